/**
 * The script bundles' loader (src/cli/cached-script.ts) on real files and V8's real code cache:
 * a first run writes the cache, the next one takes it, a cache V8 refuses is replaced, an
 * earlier build's is removed, and a cache folder that cannot be written leaves the run uncached.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {codeCacheDir, runCachedScript, svcmgrCacheDir} from '../../src/cli/cached-script.js'

const HASH = '0123456789abcdef'
/** The cache file of a script: its name, this V8 and architecture, its hash. */
const cacheName = (name: string, hash: string) => `${name}.script-v8.${process.versions.v8}-${process.arch}-${hash}.v8`

/** A script bundle as scripts/bundle.mjs writes one: the header, then one function expression. */
function scriptBundle(dir: string, name: string, body: string, hash = HASH): string {
  const file = path.join(dir, `${name}.script.js`)
  fs.writeFileSync(
    file,
    `// svcmgr script ${hash}\n(function (exports, require, module, __filename, __dirname, __svcmgrUrl, __svcmgrImport) {${body}\n})\n`,
  )
  fs.writeFileSync(
    path.join(dir, `${name}.script-import.mjs`),
    'export default (specifier, options) => import(specifier, options)\n',
  )
  return file
}

describe('cached-script: script bundles run with a code cache', () => {
  let dir: string
  let cacheDir: string
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-cached-script-'))
    cacheDir = path.join(dir, 'cache', 'script-cache')
  })
  afterEach(() => fs.rmSync(dir, {recursive: true, force: true}))

  const body = `
    const shared = require('./shared.mjs')
    const pathModule = require('node:path')
    function twice(n) { return n * 2 }
    exports.value = twice(21)
    exports.shared = shared
    exports.url = __svcmgrUrl
    exports.base = pathModule.basename(__filename)
    exports.load = () => __svcmgrImport('./plain.mjs')`

  it('writes the cache after a first run and takes it on the next, with the same exports', async () => {
    fs.writeFileSync(path.join(dir, 'plain.mjs'), 'export const answer = 42\n')
    const file = scriptBundle(dir, 'demo', body)
    const shared = {one: 'instance'}

    const first = runCachedScript(file, {cacheDir, modules: {'./shared.mjs': shared}})
    expect(first.cache).to.equal('miss')
    expect(first.exports).to.include({value: 42, base: 'demo.script.js', url: `file://${file}`})
    expect(first.exports.shared).to.equal(shared)
    const loaded = (await (first.exports.load as () => Promise<{answer: number}>)()).answer
    expect(loaded).to.equal(42)
    expect(fs.existsSync(cacheDir)).to.equal(false)
    expect(first.save()).to.equal(true)
    const cacheFile = path.join(cacheDir, cacheName('demo', HASH))
    expect(fs.readdirSync(cacheDir)).to.deep.equal([path.basename(cacheFile)])
    expect(fs.statSync(cacheFile).size).to.be.greaterThan(0)
    expect(fs.statSync(cacheDir).mode & 0o777).to.equal(0o700)

    const second = runCachedScript(file, {cacheDir, modules: {'./shared.mjs': shared}})
    expect(second.cache).to.equal('hit')
    expect(second.exports).to.include({value: 42, base: 'demo.script.js'})
    expect(second.exports.shared).to.equal(shared)
    const before = fs.statSync(cacheFile).mtimeMs
    expect(second.save()).to.equal(false)
    expect(fs.statSync(cacheFile).mtimeMs).to.equal(before)
  })

  it('replaces a cache V8 refuses', () => {
    const file = scriptBundle(dir, 'demo', body)
    const cacheFile = path.join(cacheDir, cacheName('demo', HASH))
    fs.mkdirSync(cacheDir, {recursive: true})
    fs.writeFileSync(cacheFile, 'not bytecode at all')
    const run = runCachedScript(file, {cacheDir, modules: {'./shared.mjs': {}}})
    expect(run.cache).to.equal('rejected')
    expect(run.exports.value).to.equal(42)
    expect(run.save()).to.equal(true)
    expect(fs.readFileSync(cacheFile, 'utf8')).to.not.equal('not bytecode at all')
    expect(runCachedScript(file, {cacheDir, modules: {'./shared.mjs': {}}}).cache).to.equal('hit')
  })

  it("a new build's cache replaces the earlier build's, not another script's", () => {
    const old = scriptBundle(dir, 'demo', body, 'aaaaaaaaaaaaaaaa')
    runCachedScript(old, {cacheDir, modules: {'./shared.mjs': {}}}).save()
    const other = scriptBundle(dir, 'demo-other', body, 'bbbbbbbbbbbbbbbb')
    runCachedScript(other, {cacheDir, modules: {'./shared.mjs': {}}}).save()
    const rebuilt = scriptBundle(dir, 'demo', `${body}\nexports.rebuilt = true`)
    const run = runCachedScript(rebuilt, {cacheDir, modules: {'./shared.mjs': {}}})
    expect(run.cache).to.equal('miss')
    expect(run.exports.rebuilt).to.equal(true)
    // another Node's cache of the same script: kept
    const otherNode = 'demo.script-v8.1.2.3-x64-aaaaaaaaaaaaaaaa.v8'
    fs.writeFileSync(path.join(cacheDir, otherNode), '')
    run.save()
    expect(fs.readdirSync(cacheDir).sort()).to.deep.equal(
      [cacheName('demo-other', 'bbbbbbbbbbbbbbbb'), cacheName('demo', HASH), otherNode].sort(),
    )
  })

  it('runs uncached without a cache folder, or when the folder cannot be made', () => {
    const file = scriptBundle(dir, 'demo', body)
    const off = runCachedScript(file, {modules: {'./shared.mjs': {}}})
    expect(off.cache).to.equal('off')
    expect(off.save()).to.equal(false)
    // a file where the folder should be
    const blocked = path.join(dir, 'blocked')
    fs.writeFileSync(blocked, '')
    const run = runCachedScript(file, {cacheDir: path.join(blocked, 'script-cache'), modules: {'./shared.mjs': {}}})
    expect(run.cache).to.equal('miss')
    expect(run.exports.value).to.equal(42)
    expect(run.save()).to.equal(false)
    expect(fs.readdirSync(dir).sort()).to.deep.equal(['blocked', 'demo.script-import.mjs', 'demo.script.js'])
  })

  it('refuses a file that is not a script bundle, naming it', () => {
    const file = path.join(dir, 'plain.js')
    fs.writeFileSync(file, 'module.exports = 1\n')
    expect(() => runCachedScript(file, {cacheDir})).to.throw(`${file}: not a script bundle`)
  })

  it("the cache folder: svcmgr's (SVCMGR_CACHE_DIR, XDG_CACHE_HOME, ~/.cache), off with SVCMGR_CODE_CACHE=0", () => {
    expect(svcmgrCacheDir({SVCMGR_CACHE_DIR: '/c'}, '/home/u')).to.equal('/c')
    expect(svcmgrCacheDir({XDG_CACHE_HOME: '/x'}, '/home/u')).to.equal('/x/svcmgr')
    expect(svcmgrCacheDir({}, '/home/u')).to.equal('/home/u/.cache/svcmgr')
    expect(codeCacheDir({SVCMGR_CACHE_DIR: '/c'}, '/home/u')).to.equal('/c/script-cache')
    expect(codeCacheDir({SVCMGR_CACHE_DIR: '/c', SVCMGR_CODE_CACHE: '0'}, '/home/u')).to.equal(undefined)
  })
})
