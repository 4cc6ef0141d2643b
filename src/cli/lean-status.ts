/**
 * `svcmgr -s X print status` (and a plain `<action> [--dry-run]`: ./lean-action.ts, a plain `apply`: ./lean-apply.ts) without oclif (bin/run.js tries this first; dist/bundle/lean.mjs).
 * Loading oclif and every command costs a cold status more than the status itself; this path
 * runs the same service code (Session, serviceStatus, the status tree) with the core plugins'
 * `svcmgr:drivers` hooks called as oclif calls them. It is taken only when nothing could make
 * oclif behave differently, else it declines and oclif runs as always:
 * - the words are exactly `print status` and the flags -s/--service (once, with a value) and
 *   --format text|json (once); anything else (--help, a typo, a missing or repeated flag, a
 *   value starting with "-") is oclif's to parse and to refuse, with its messages;
 * - the plugins in oclif's data dir are installed ones (`svcmgr plugins install`, not links)
 *   whose only hook is an ES module `svcmgr:drivers`, without commands or a manifest (anything
 *   else, such as an init hook, is oclif's to run); no dev setting (NODE_ENV development/test,
 *   DEBUG, SVCMGR_DEBUG, OCLIF_*) is set, the root's plugins are plain package names, and
 *   SVCMGR_LEAN=0 is not set (what the tests comparing both paths use).
 * Errors end the process as the command's catch does (src/cli/base.ts): `svcmgr: <message>`,
 * the error's exit code, or 128+n after a signal.
 * Of the plugins that declare what their drivers serve (package.json `svcmgrPlugin.serves`), only
 * those the service's config can need are loaded, on both paths (Session.skipUnneeded,
 * src/drivers/serves.ts).
 */
import {existsSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import type {Interfaces} from '@oclif/core'
import {type PluginServes, readServes} from '../drivers/serves.js'
import {formatStatusTree} from '../render/status-tree.js'
import {receivedInterrupt, restoreTerminal, SIGNAL_EXIT_CODE} from '../services/interrupts.js'
import {Session} from '../services/session.js'
import {serviceStatus} from '../services/status.js'
import {ActionFailedError, EXIT, exitCodeOf} from '../errors.js'
import {moveLeadingServiceFlag} from './argv.js'
import {codeCacheDir, runCachedScript, saveAtExit} from './cached-script.js'
import {parseLeanFlags} from './lean-flags.js'

export interface LeanStatusRequest {
  readonly service: string
  readonly format: 'text' | 'json'
}

/** The `print status` request these arguments make, if they are exactly one the lean path answers like oclif would. */
export function leanStatusRequest(argv: readonly string[]): LeanStatusRequest | undefined {
  const words = moveLeadingServiceFlag(argv)
  if (words[0] !== 'print' || words[1] !== 'status') return undefined
  const flags = parseLeanFlags(words, 2)
  return flags && {service: flags.service, format: flags.format}
}

interface PackageJson {
  name?: string
  version?: string
  svcmgrPlugin?: {serves?: unknown}
  dependencies?: Record<string, string>
  oclif?: {
    dirname?: string
    bin?: string
    plugins?: unknown[]
    hooks?: Record<string, unknown>
    commands?: unknown
  }
}

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as PackageJson

/** Settings that make oclif load more or behave otherwise than a plain run. */
function devSettings(env: NodeJS.ProcessEnv): boolean {
  return (
    env.SVCMGR_LEAN === '0' ||
    Boolean(env.DEBUG) ||
    Boolean(env.SVCMGR_DEBUG) ||
    env.NODE_ENV === 'development' ||
    env.NODE_ENV === 'test' ||
    Object.keys(env).some(k => k.startsWith('OCLIF_'))
  )
}

/** oclif's data dir (Config.dataDir on Linux): SVCMGR_DATA_DIR, else $XDG_DATA_HOME or ~/.local/share, then the dirname. */
export function oclifDataDir(env: NodeJS.ProcessEnv, dirname: string): string {
  const home = env.HOME || os.homedir() || os.tmpdir()
  return env.SVCMGR_DATA_DIR || path.join(env.XDG_DATA_HOME || path.join(home, '.local/share'), dirname)
}

/**
 * The plugins `svcmgr plugins install` put in the data dir, when the lean path can run each as
 * oclif does (undefined otherwise, and oclif runs): installed ones (a link, which oclif may load
 * from its TypeScript sources and warns about, is oclif's), found under the data dir's
 * node_modules, with an ES module hook for `svcmgr:drivers` and nothing else oclif could act on
 * at start-up (other hooks, commands, a manifest, plugins of their own).
 */
export function userPlugins(dataDir: string): LeanPlugin[] | undefined {
  const file = path.join(dataDir, 'package.json')
  if (!existsSync(file)) return []
  let listed: unknown
  try {
    listed = readJson(file).oclif?.plugins ?? []
  } catch {
    return undefined
  }
  if (!Array.isArray(listed)) return undefined
  const found: LeanPlugin[] = []
  for (const entry of listed as Array<{name?: unknown; type?: unknown; root?: unknown}>) {
    if (typeof entry !== 'object' || entry === null || entry.type !== 'user' || typeof entry.name !== 'string')
      return undefined
    if (entry.root !== undefined) return undefined
    const dir = pluginRoot(entry.name, dataDir)
    if (!dir) return undefined
    let p: PackageJson & {type?: string; 'cli-engine'?: unknown}
    try {
      p = readJson(path.join(dir, 'package.json'))
    } catch {
      return undefined
    }
    const o = p.oclif
    if (!p.name || !o || p['cli-engine'] !== undefined || o.commands !== undefined || o.plugins?.length)
      return undefined
    if (['oclif.manifest.json', '.oclif.manifest.json'].some(m => existsSync(path.join(dir, m)))) return undefined
    const hooks = hookEntries(o.hooks)
    for (const [event, list] of Object.entries(hooks)) {
      if (event !== 'svcmgr:drivers') return undefined
      for (const h of list) {
        const target = path.join(dir, h.target)
        const esm = target.endsWith('.mjs') || (target.endsWith('.js') && p.type === 'module')
        if (!esm || !existsSync(target)) return undefined
      }
    }
    const serves = readServes(p.svcmgrPlugin?.serves)
    found.push({
      name: p.name,
      type: 'user',
      version: p.version ?? '0.0.0',
      root: dir,
      hooks,
      ...(serves ? {serves} : {}),
    })
  }
  return found
}

/** A core plugin's folder as oclif finds one without a main file: node_modules/<name> from the root up. */
function pluginRoot(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name)
    if (existsSync(path.join(candidate, 'package.json'))) return candidate
    if (path.dirname(dir) === dir) return undefined
  }
}

export interface LeanPlugin {
  readonly name: string
  readonly type: 'core' | 'user'
  readonly version: string
  readonly root: string
  readonly hooks: Record<string, Array<{target: string; identifier: string}>>
  /** Its declaration of what its drivers serve (package.json svcmgrPlugin.serves), if it makes one. */
  readonly serves?: PluginServes
}

/** oclif.hooks as oclif reads them: a target or a list of them, each a path or {target, identifier}. */
function hookEntries(hooks: Record<string, unknown> | undefined) {
  const out: Record<string, Array<{target: string; identifier: string}>> = {}
  for (const [event, value] of Object.entries(hooks ?? {})) {
    out[event] = (Array.isArray(value) ? value : [value]).map((h: string | {target: string; identifier?: string}) =>
      typeof h === 'string'
        ? {target: h, identifier: 'default'}
        : {target: h.target, identifier: h.identifier ?? 'default'},
    )
  }
  return out
}

const requireHere = createRequire(import.meta.url)

/**
 * oclif's module loader for an ES module hook: the resolved file, its load errors named as oclif
 * names them. A core plugin's hook bundle with a script twin (scripts/bundle.mjs: drivers.mjs,
 * drivers.script.js) runs as the script, with the code cache (./cached-script.ts).
 */
async function loadHookModule(target: string, plugin: LeanPlugin): Promise<Record<string, unknown>> {
  let filePath = target
  try {
    filePath = requireHere.resolve(target)
    const twin = filePath.replace(/\.mjs$/, '.script.js')
    if (plugin.type === 'core' && twin !== filePath && existsSync(twin)) {
      const script = runCachedScript(twin, {
        cacheDir: codeCacheDir(process.env, os.homedir()),
        // each plugin's drivers.script.js a cache of its own
        name: `${plugin.name.replace(/^@/, '').replace(/\//g, '+')}.${path.basename(twin, '.js')}`,
      })
      saveAtExit(script)
      return script.exports
    }
    return (await import(pathToFileURL(filePath).href)) as Record<string, unknown>
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND')
      throw Object.assign(
        new Error(`[MODULE_NOT_FOUND] import() failed to load ${filePath}: ${(error as Error).message}`),
        {code: 'MODULE_NOT_FOUND'},
      )
    throw error
  }
}

function searchHook(m: Record<string, unknown>): unknown {
  if (typeof m === 'function') return m
  if (m.default && typeof m.default === 'function') return m.default
  return Object.values(m).find(v => typeof v === 'function')
}

type OclifErrors = {
  Errors: {error(m: unknown, o?: unknown): never; exit(code?: number): never; warn(m: unknown): void}
  ux: {stdout(m?: unknown, ...a: unknown[]): void}
}
let oclif: OclifErrors | undefined
/**
 * The `this` of a hook, as oclif gives it: error, exit, log and warn are oclif's own (required
 * from node_modules on first use, which only a plugin's hook calling them pays for).
 */
function hookContext(config: unknown) {
  const core = () => (oclif ??= requireHere('@oclif/core') as OclifErrors)
  return {
    config,
    debug: () => undefined,
    error: (message: unknown, options: unknown = {}) => core().Errors.error(message, options),
    exit: (code = 0) => core().Errors.exit(code),
    log: (message?: unknown, ...args: unknown[]) => core().ux.stdout(message, ...args),
    warn: (message: unknown) => core().Errors.warn(message),
  }
}

/**
 * What loadDriverRegistry needs of oclif's Config: the plugins (the root, then the core plugins
 * in the order package.json lists them) and runHook, which calls each plugin's handlers as
 * oclif's does (the handler named by its identifier, else for `default` the module's function;
 * a timeout; failures collected).
 */
export class LeanConfig {
  readonly plugins = new Map<string, LeanPlugin>()
  constructor(
    readonly dataDir: string,
    plugins: LeanPlugin[],
  ) {
    for (const p of plugins) this.plugins.set(p.name, p)
  }

  /** Runs the hooks of `this.plugins` (loadDriverRegistry may call it on a view holding fewer). */
  async runHook(event: string, opts: object, timeout?: number): Promise<Interfaces.Hook.Result<unknown>> {
    const result: {successes: Array<{plugin: any; result: unknown}>; failures: Array<{plugin: any; error: Error}>} = {
      successes: [],
      failures: [],
    }
    await this.runHooks([...this.plugins.values()], event, opts, timeout, result)
    return result
  }

  private async runHooks(
    plugins: readonly LeanPlugin[],
    event: string,
    opts: object,
    timeout: number | undefined,
    result: {successes: Array<{plugin: any; result: unknown}>; failures: Array<{plugin: any; error: Error}>},
  ): Promise<void> {
    await Promise.all(
      plugins.map(async p => {
        for (const hook of p.hooks[event] ?? []) {
          try {
            const module = await loadHookModule(path.join(p.root, hook.target), p)
            // oclif's lookup: the identifier's export, else for `default` the module's function
            const hookFn = (module[hook.identifier] ??
              (hook.identifier === 'default' ? searchHook(module) : undefined)) as
              ((this: unknown, o: object) => unknown) | undefined
            if (!hookFn) continue
            const context = hookContext(this)
            const call = Promise.resolve(hookFn.call(context, {...opts, config: this, context}))
            let timer: NodeJS.Timeout | undefined
            const value = timeout
              ? await Promise.race([
                  call,
                  new Promise((_, reject) => {
                    timer = setTimeout(() => reject(new Error(`Timed out after ${timeout} ms.`)), timeout).unref()
                  }),
                ]).finally(() => clearTimeout(timer))
              : await call
            result.successes.push({plugin: p, result: value})
          } catch (error) {
            result.failures.push({plugin: p, error: error as Error})
          }
        }
      }),
    )
  }
}

/** The lean config of the svcmgr package at root, or undefined when oclif must run (see the file's comment). */
export function leanConfig(root: string, env: NodeJS.ProcessEnv): LeanConfig | undefined {
  if (devSettings(env)) return undefined
  try {
    process.cwd()
  } catch {
    return undefined // oclif warns that the current directory does not exist
  }
  const pjson = readJson(path.join(root, 'package.json'))
  const dirname = pjson.oclif?.dirname ?? pjson.name
  if (!pjson.name || !dirname || pjson.oclif?.bin !== 'svcmgr') return undefined
  const dataDir = oclifDataDir(env, dirname)
  const users = userPlugins(dataDir)
  if (!users) return undefined
  const plugins: LeanPlugin[] = [
    {name: pjson.name, type: 'core', version: pjson.version ?? '0.0.0', root, hooks: hookEntries(pjson.oclif?.hooks)},
    ...users,
  ]
  for (const name of pjson.oclif?.plugins ?? []) {
    // oclif matches these against the dependencies as glob patterns: only plain names here
    if (typeof name !== 'string' || /[*?[\]{}!]/.test(name) || !pjson.dependencies?.[name]) return undefined
    const dir = pluginRoot(name, root)
    if (!dir) return undefined
    const p = readJson(path.join(dir, 'package.json'))
    if (p.oclif?.plugins?.length) return undefined // plugins of a plugin: oclif's business
    // a user-installed plugin of the same name is the one oclif loads
    if (plugins.some(u => u.name === (p.name ?? name))) continue
    plugins.push({
      name: p.name ?? name,
      type: 'core',
      version: p.version ?? '0.0.0',
      root: dir,
      hooks: hookEntries(p.oclif?.hooks),
      serves: readServes(p.svcmgrPlugin?.serves),
    })
  }
  return new LeanConfig(dataDir, plugins)
}

/** A command the lean path answers: the request its arguments make (undefined: not this one), and its run. */
export interface LeanCommand<R> {
  request(argv: readonly string[]): R | undefined
  run(session: Session, config: LeanConfig, request: R): Promise<void>
}

/** `print status`: the status tree or report, then the process ends (nothing is left pending). */
export const leanStatusCommand: LeanCommand<LeanStatusRequest> = {
  request: leanStatusRequest,
  async run(session, config, request) {
    session.skipUnneeded(request.service)
    const report = await serviceStatus(session, request.service)
    const text = request.format === 'json' ? JSON.stringify(report, null, 2) + '\n' : formatStatusTree(report)
    // done once the output is written: status leaves nothing pending (its reads are done, its
    // only write, the known driver types, is synchronous), so the process ends here rather than
    // after the engine connections close and V8 tears its heap down (a few ms of a cold status)
    await exitOnceWritten(text)
  },
}

/**
 * Writes the last output and ends the process with exit code 0 once it is written: for a
 * command that leaves nothing pending, instead of the event loop draining and V8 tearing its
 * heap down (85 ms after a 10,000-section dry-run's plan).
 */
export async function exitOnceWritten(text: string): Promise<never> {
  await new Promise<void>((resolve, reject) => process.stdout.write(text, e => (e ? reject(e) : resolve())))
  process.exit(0)
}

/**
 * Runs the first of these commands the arguments make, if the installation allows it (true),
 * else does nothing (false: the caller runs oclif). root: the svcmgr package's folder. Each
 * lean bundle passes its own commands (./lean-entry.ts, ./lean-actions-entry.ts), so that a
 * `print status` loads no code of the actions.
 */
export async function runLean(
  argv: readonly string[],
  root: string,
  commands: ReadonlyArray<LeanCommand<any>>,
): Promise<boolean> {
  let found: {command: LeanCommand<unknown>; request: unknown} | undefined
  for (const command of commands) {
    const request = command.request(argv)
    if (request !== undefined) {
      found = {command, request}
      break
    }
  }
  if (!found) return false
  const config = leanConfig(root, process.env)
  if (!config) return false
  try {
    const session = await Session.open(config as unknown as Interfaces.Config)
    await found.command.run(session, config, found.request)
  } catch (error) {
    // an exit code the run chose (the command's `exit`: --detailed-exitcode's 4): nothing to print
    const chosen = (error as {exitCode?: unknown; name?: string}).name === 'LeanExit'
    if (chosen) process.exit((error as {exitCode: number}).exitCode)
    const signal = receivedInterrupt()
    // a failed action printed its report already (as the oclif commands' catch does)
    if (!(error instanceof ActionFailedError)) process.stderr.write(`svcmgr: ${(error as Error).message}\n`)
    if (process.env.SVCMGR_DEBUG && exitCodeOf(error) !== EXIT.usage && (error as Error).stack)
      process.stderr.write(`${(error as Error).stack}\n`)
    if (signal) restoreTerminal()
    process.exit(signal ? SIGNAL_EXIT_CODE[signal] : exitCodeOf(error))
  }
  return true
}
