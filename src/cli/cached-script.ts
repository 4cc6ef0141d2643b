/**
 * Runs a script bundle (scripts/bundle.mjs writes dist/bundle/lean.script.js and
 * lean-actions.script.js) with V8's code cache on disk. Node 20 has no compile cache for ES
 * modules (module.enableCompileCache is Node >= 22.1) and a cold `print status` spent as much
 * CPU compiling its bundle as running it; a vm.Script takes the bytecode V8 serialized after an
 * earlier run, the functions that run included, and compiles nothing it finds there.
 *
 * A script bundle is one function expression, `(exports, require, module, __filename,
 * __dirname, __svcmgrUrl, __svcmgrImport) => ...` as CommonJS wraps a module, after a first
 * line `// svcmgr script <hash>` (its content's hash: the cache file's name, so a new build never
 * meets an old cache). The build rewrote each `import()` to `__svcmgrImport()`: a script run by
 * vm.Script has no dynamic import of its own (Node's option for one is experimental, and is lost
 * with a cached script); <name>.script-import.mjs beside it imports for it. `import.meta.url` is
 * `__svcmgrUrl`.
 *
 * The cache is written once, at the exit of a run that found none (or one V8 refused: another
 * Node version, other V8 flags), to a temp file renamed into place: concurrent runs each write a
 * whole file. It lives in the user's cache folder, beside Node's compile cache: a folder that
 * cannot be made or written leaves the run uncached, never failed. SVCMGR_CODE_CACHE=0 turns it
 * off (the bench's uncached row).
 */
import fs from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import vm from 'node:vm'

type ImportModule = (specifier: string, attributes?: ImportCallOptions) => Promise<unknown>

/** The first line of a script bundle: its content's hash. */
const HEADER = /^\/\/ svcmgr script ([0-9a-f]{8,64})\n/

export type CodeCacheUse =
  /** The cache was there and V8 took it. */
  | 'hit'
  /** No cache yet: it is written by save(). */
  | 'miss'
  /** A cache V8 refused (another Node or V8 flags): replaced by save(). */
  | 'rejected'
  /** Turned off, or no cache folder. */
  | 'off'

export interface CachedScript {
  readonly exports: Record<string, unknown>
  readonly cache: CodeCacheUse
  /** Writes the cache when it was missing or refused; false when it was not written. */
  save(): boolean
}

export interface CachedScriptOptions {
  /** The folder of the cache files; none: the script runs uncached. */
  readonly cacheDir?: string
  /** The cache's name, one per script (its earlier builds' caches are removed); default: the file's name. */
  readonly name?: string
  /** What `require(id)` returns for these ids instead of loading them: modules the caller already holds (one instance). */
  readonly modules?: Readonly<Record<string, unknown>>
}

/** svcmgr's cache folder (oclif's cacheDir): SVCMGR_CACHE_DIR, else $XDG_CACHE_HOME/svcmgr or ~/.cache/svcmgr. */
export function svcmgrCacheDir(env: NodeJS.ProcessEnv, home: string): string {
  return env.SVCMGR_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'svcmgr')
}

/** The script bundles' cache folder: `script-cache` in svcmgr's; none when SVCMGR_CODE_CACHE=0. */
export function codeCacheDir(env: NodeJS.ProcessEnv, home: string): string | undefined {
  return env.SVCMGR_CODE_CACHE === '0' ? undefined : path.join(svcmgrCacheDir(env, home), 'script-cache')
}

/** Runs the script bundle `file` once and returns its exports. */
export function runCachedScript(file: string, options: CachedScriptOptions = {}): CachedScript {
  const source = fs.readFileSync(file, 'utf8')
  const hash = HEADER.exec(source)?.[1]
  if (!hash) throw new Error(`${file}: not a script bundle (no "// svcmgr script <hash>" first line)`)
  // what every build's cache of this script on this V8 shares: a build replaces its earlier
  // builds' caches, not another Node version's (CI may run several on one machine)
  const stem = `${options.name ?? path.basename(file, '.js')}-v8.${process.versions.v8}-${process.arch}-`
  const cacheFile = options.cacheDir ? path.join(options.cacheDir, `${stem}${hash}.v8`) : undefined
  let cachedData: Buffer | undefined
  if (cacheFile)
    try {
      cachedData = fs.readFileSync(cacheFile)
    } catch {}
  const script = new vm.Script(source, {filename: file, ...(cachedData ? {cachedData} : {})})
  const cache: CodeCacheUse = !cacheFile ? 'off' : !cachedData ? 'miss' : script.cachedDataRejected ? 'rejected' : 'hit'

  const url = pathToFileURL(file).href
  const requireFile = createRequire(file)
  const modules = options.modules ?? {}
  const require = Object.assign((id: string) => (Object.hasOwn(modules, id) ? modules[id] : requireFile(id)), {
    resolve: requireFile.resolve,
    cache: requireFile.cache,
    main: requireFile.main,
  })
  // through the script's sibling <name>.script-import.mjs, loaded on the first import(): a
  // specifier resolves from the script's own folder, as it would in the ES module it was built from
  let importer: Promise<{default: ImportModule}> | undefined
  const importModule: ImportModule = (specifier, attributes) =>
    (importer ??= import(pathToFileURL(file.replace(/\.js$/, '-import.mjs')).href)).then(m =>
      m.default(specifier, attributes),
    )
  const module = {exports: {} as Record<string, unknown>}
  const run = script.runInThisContext() as (...args: unknown[]) => void
  run(module.exports, require, module, file, path.dirname(file), url, importModule)

  let saved = false
  return {
    exports: module.exports,
    cache,
    save() {
      if (saved || !cacheFile || cache === 'hit' || cache === 'off') return false
      saved = true
      return writeCache(cacheFile, stem, script.createCachedData())
    },
  }
}

/** Saves the script's cache when the process exits (the run compiled what it called: the cache holds it). */
export function saveAtExit(script: CachedScript): void {
  if (script.cache === 'miss' || script.cache === 'rejected') process.once('exit', () => script.save())
}

function writeCache(cacheFile: string, stem: string, data: Buffer): boolean {
  const dir = path.dirname(cacheFile)
  const temp = `${cacheFile}.${process.pid}.tmp`
  try {
    fs.mkdirSync(dir, {recursive: true, mode: 0o700})
    fs.writeFileSync(temp, data, {mode: 0o600})
    fs.renameSync(temp, cacheFile)
  } catch {
    removeQuietly(temp)
    return false
  }
  // the same script's caches of earlier builds: none is read again by this build
  const name = path.basename(cacheFile)
  try {
    for (const other of fs.readdirSync(dir))
      if (other !== name && other.startsWith(stem) && other.endsWith('.v8')) removeQuietly(path.join(dir, other))
  } catch {}
  return true
}

function removeQuietly(file: string): void {
  try {
    fs.rmSync(file, {force: true})
  } catch {}
}
