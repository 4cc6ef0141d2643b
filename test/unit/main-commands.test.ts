import fs from 'node:fs'
import path from 'node:path'
import {expect} from 'chai'
import {COMMANDS} from '../../src/main.js'

const COMMANDS_DIR = new URL('../../src/commands/', import.meta.url).pathname

/** oclif's id of a command file: its folders and name joined by ':', an index file being its folder's. */
function idsOf(dir: string, prefix: string[] = []): string[] {
  return fs.readdirSync(dir, {withFileTypes: true}).flatMap(e => {
    if (e.isDirectory()) return idsOf(path.join(dir, e.name), [...prefix, e.name])
    const name = e.name.replace(/\.ts$/, '')
    return [[...prefix, ...(name === 'index' ? [] : [name])].join(':')]
  })
}

describe('the CLI bundle entry (src/main.ts)', () => {
  it('lists every file under src/commands by its oclif id, and nothing else', () => {
    // Object.keys: the plugins commands' getters are not run (they load the built bundle's entry)
    expect(Object.keys(COMMANDS).sort()).to.deep.equal(idsOf(COMMANDS_DIR).sort())
  })
})
