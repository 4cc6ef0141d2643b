#!/usr/bin/env node
// Bundles the CLI (and each core plugin) with esbuild into dist/bundle/: a few ES module files
// where tsc's output is one file per module, so a cold start opens tens of files, not hundreds
// (docs/architecture.md, "Build"). tsc still emits dist/ (the kit's declarations, dist/index.js,
// svcmgr/testing); the bundles are what bin/run.js and oclif load.
//
//   node scripts/bundle.mjs            the root: src/main.ts, src/plugins-commands.ts, the interrupt handlers
//   node scripts/bundle.mjs plugin     the core plugin in the working folder: src/hooks/drivers.ts → drivers.mjs
//                                      and, if it has commands, src/commands.ts → commands.mjs; its
//                                      dependencies other than @oclif/core stay in node_modules, loaded
//                                      when first imported (dockerode: only by the calls that need it)
//
// Code splitting: a module two entries share is one chunk (one instance: the interrupt handlers
// bin/run.js installs are the ones the commands use), and every `await import(...)` of a bundled
// package (cosmiconfig, listr2, execa) is a chunk of its own, loaded only when reached.
import fs from 'node:fs'
import path from 'node:path'
import {build} from 'esbuild'

// typescript: oclif's ts-path code requires it only for development (.ts) plugins; 9 MB if bundled
const ALWAYS_EXTERNAL = ['typescript']

async function bundle({
  root,
  entryPoints,
  external,
  splitting = true,
  clean = true,
  plugins = [],
  chunkNames = 'chunks/[name]-[hash]',
}) {
  const outdir = path.join(root, 'dist', 'bundle')
  if (clean) fs.rmSync(outdir, {recursive: true, force: true})
  const result = await build({
    absWorkingDir: root,
    entryPoints,
    outdir,
    bundle: true,
    splitting,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outExtension: {'.js': '.mjs'},
    entryNames: '[name]',
    chunkNames,
    external: [...ALWAYS_EXTERNAL, ...external],
    // CommonJS packages inside an ES module bundle call require() (Node built-ins, JSON)
    banner: {
      js: "import {createRequire as __svcmgrCreateRequire} from 'node:module'\nconst require = __svcmgrCreateRequire(import.meta.url)",
    },
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    plugins,
  })
  const outputs = Object.keys(result.metafile.outputs)
  const bytes = outputs.reduce((n, f) => n + result.metafile.outputs[f].bytes, 0)
  console.log(
    `bundled ${path.relative(process.cwd(), outdir) || '.'}: ${outputs.length} files, ${(bytes / 1024).toFixed(0)} KiB`,
  )
}

const here = process.cwd()
if (process.argv[2] === 'plugin') {
  const pjson = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8'))
  const entryPoints = {drivers: 'src/hooks/drivers.ts'}
  if (fs.existsSync(path.join(here, 'src/commands.ts'))) entryPoints.commands = 'src/commands.ts'
  // @oclif/core is bundled into the commands' chunk (the driver hook uses its types only)
  const external = Object.keys(pjson.dependencies ?? {}).filter(d => d !== '@oclif/core')
  await bundle({root: here, entryPoints, external})
} else {
  const root = path.resolve(import.meta.dirname, '..')
  await bundle({
    root,
    entryPoints: {
      svcmgr: 'src/main.ts',
      'plugins-commands': 'src/plugins-commands.ts',
      interrupts: 'src/services/interrupts.ts',
    },
    // npm's machinery: loaded from node_modules by the `plugins` commands only
    external: ['@oclif/plugin-plugins'],
  })
  // print status without oclif: a build of its own, so that lean.mjs is one file (no chunks shared
  // with svcmgr.mjs: each file the loader opens costs a cold status a few tenths of a ms; its
  // chunks are its `await import()`s, loaded when reached), but the interrupt state bin/run.js
  // installs stays the one of interrupts.mjs
  const interruptsExternal = {
    name: 'interrupts-external',
    setup(b) {
      b.onResolve({filter: /\/interrupts\.js$/}, args =>
        path.resolve(args.resolveDir, args.path) === path.join(root, 'src/services/interrupts.js')
          ? {path: './interrupts.mjs', external: true}
          : undefined,
      )
    },
  }
  await bundle({
    root,
    entryPoints: {lean: 'src/cli/lean-status.ts'},
    external: ['@oclif/plugin-plugins'],
    clean: false,
    plugins: [interruptsExternal],
    // beside lean.mjs, so that its chunks' `./interrupts.mjs` is the same file as lean.mjs's
    chunkNames: 'lean-[name]-[hash]',
  })
}
