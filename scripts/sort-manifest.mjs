#!/usr/bin/env node
// oclif lists commands in the order the file system returns the command folders, which differs
// between a clean and an incremental build: sort them so the generated manifest is reproducible.
import fs from 'node:fs'

const file = process.argv[2] ?? 'oclif.manifest.json'
const manifest = JSON.parse(fs.readFileSync(file, 'utf8'))
manifest.commands = Object.fromEntries(
  Object.entries(manifest.commands).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
)
fs.writeFileSync(file, JSON.stringify(manifest, null, 2) + '\n')
