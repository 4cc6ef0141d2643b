/**
 * `svcmgr -s X print status` without oclif (bin/run.js tries this first; dist/bundle/lean.mjs).
 * Loading oclif and every command costs a cold status more than the status itself; this path
 * runs the same service code (Session, serviceStatus, the status tree) with the core plugins'
 * `svcmgr:drivers` hooks called as oclif calls them. It is taken only when nothing could make
 * oclif behave differently, else it declines and oclif runs as always:
 * - the words are exactly `print status` and the flags -s/--service (once, with a value) and
 *   --format text|json (once); anything else (--help, a typo, a missing or repeated flag, a
 *   value starting with "-") is oclif's to parse and to refuse, with its messages;
 * - no plugin is installed or linked in oclif's data dir (a user plugin may have an init hook,
 *   commands or a driver hook of its own), no dev setting (NODE_ENV development/test, DEBUG,
 *   SVCMGR_DEBUG, OCLIF_*) is set, the root's plugins are plain package names, and
 *   SVCMGR_LEAN=0 is not set (what the tests comparing both paths use).
 * Errors end the process as the command's catch does (src/cli/base.ts): `svcmgr: <message>`,
 * the error's exit code, or 128+n after a signal.
 */
import {existsSync, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import type {Interfaces} from '@oclif/core'
import {formatStatusTree} from '../render/status-tree.js'
import {receivedInterrupt, restoreTerminal, SIGNAL_EXIT_CODE} from '../services/interrupts.js'
import {Session} from '../services/session.js'
import {serviceStatus} from '../services/status.js'
import {exitCodeOf} from '../errors.js'
import {moveLeadingServiceFlag} from './argv.js'

export interface LeanStatusRequest {
  readonly service: string
  readonly format: 'text' | 'json'
}

/** The `print status` request these arguments make, if they are exactly one the lean path answers like oclif would. */
export function leanStatusRequest(argv: readonly string[]): LeanStatusRequest | undefined {
  const words = moveLeadingServiceFlag(argv)
  if (words[0] !== 'print' || words[1] !== 'status') return undefined
  let service: string | undefined
  let format: string | undefined
  const plain = (v: string | undefined) => v !== undefined && v !== '' && !v.startsWith('-')
  for (let i = 2; i < words.length; i++) {
    const w = words[i]
    let name: 'service' | 'format'
    let value: string | undefined
    if (w === '-s' || w === '--service' || w === '--format') {
      name = w === '--format' ? 'format' : 'service'
      value = words[++i]
    } else if (w.startsWith('--service=') || w.startsWith('--format=')) {
      name = w.startsWith('--service=') ? 'service' : 'format'
      value = w.slice(w.indexOf('=') + 1)
    } else if (w.startsWith('-s') && !w.startsWith('-s=') && w.length > 2) {
      name = 'service'
      value = w.slice(2)
    } else {
      return undefined
    }
    if (!plain(value)) return undefined
    if (name === 'service') {
      if (service !== undefined) return undefined
      service = value
    } else {
      if (format !== undefined || (value !== 'text' && value !== 'json')) return undefined
      format = value
    }
  }
  if (service === undefined) return undefined
  return {service, format: (format ?? 'text') as 'text' | 'json'}
}

interface PackageJson {
  name?: string
  version?: string
  dependencies?: Record<string, string>
  oclif?: {
    dirname?: string
    bin?: string
    plugins?: unknown[]
    hooks?: Record<string, unknown>
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

/** True when oclif would load no user or linked plugin from the data dir's package.json. */
export function noUserPlugins(dataDir: string): boolean {
  const file = path.join(dataDir, 'package.json')
  if (!existsSync(file)) return true
  try {
    const plugins = readJson(file).oclif?.plugins
    return plugins === undefined || (Array.isArray(plugins) && plugins.length === 0)
  } catch {
    return false
  }
}

/** A core plugin's folder as oclif finds one without a main file: node_modules/<name> from the root up. */
function pluginRoot(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name)
    if (existsSync(path.join(candidate, 'package.json'))) return candidate
    if (path.dirname(dir) === dir) return undefined
  }
}

interface LeanPlugin {
  readonly name: string
  readonly type: 'core'
  readonly version: string
  readonly root: string
  readonly hooks: Record<string, Array<{target: string; identifier: string}>>
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

/**
 * What loadDriverRegistry needs of oclif's Config: the plugins (the root, then the core plugins
 * in the order package.json lists them) and runHook, which calls each plugin's handlers as
 * oclif's does (the handler named by its identifier, else for `default` the module's function;
 * a timeout; failures collected).
 */
class LeanConfig {
  readonly plugins = new Map<string, LeanPlugin>()
  constructor(
    readonly dataDir: string,
    plugins: LeanPlugin[],
  ) {
    for (const p of plugins) this.plugins.set(p.name, p)
  }

  async runHook(event: string, opts: object, timeout?: number): Promise<Interfaces.Hook.Result<unknown>> {
    const result: {successes: Array<{plugin: any; result: unknown}>; failures: Array<{plugin: any; error: Error}>} = {
      successes: [],
      failures: [],
    }
    await Promise.all(
      [...this.plugins.values()].map(async p => {
        for (const hook of p.hooks[event] ?? []) {
          try {
            const module = (await import(pathToFileURL(path.join(p.root, hook.target)).href)) as Record<string, unknown>
            const fn = (module[hook.identifier] ??
              (hook.identifier === 'default'
                ? Object.values(module).find(m => typeof m === 'function')
                : undefined)) as ((this: unknown, o: object) => unknown) | undefined
            if (typeof fn !== 'function') continue
            const context = {config: this, debug: () => undefined}
            const call = Promise.resolve(fn.call(context, {...opts, config: this, context}))
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
    return result
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
  if (!noUserPlugins(dataDir)) return undefined
  const plugins: LeanPlugin[] = [
    {name: pjson.name, type: 'core', version: pjson.version ?? '0.0.0', root, hooks: hookEntries(pjson.oclif?.hooks)},
  ]
  for (const name of pjson.oclif?.plugins ?? []) {
    // oclif matches these against the dependencies as glob patterns: only plain names here
    if (typeof name !== 'string' || /[*?[\]{}!]/.test(name) || !pjson.dependencies?.[name]) return undefined
    const dir = pluginRoot(name, root)
    if (!dir) return undefined
    const p = readJson(path.join(dir, 'package.json'))
    if (p.oclif?.plugins?.length) return undefined // plugins of a plugin: oclif's business
    plugins.push({
      name: p.name ?? name,
      type: 'core',
      version: p.version ?? '0.0.0',
      root: dir,
      hooks: hookEntries(p.oclif?.hooks),
    })
  }
  return new LeanConfig(dataDir, plugins)
}

/**
 * Runs `print status` if the arguments and the installation allow it (true), else does nothing
 * (false: the caller runs oclif). root: the svcmgr package's folder.
 */
export async function runLeanStatus(argv: readonly string[], root: string): Promise<boolean> {
  const request = leanStatusRequest(argv)
  if (!request) return false
  const config = leanConfig(root, process.env)
  if (!config) return false
  try {
    const report = await serviceStatus(await Session.open(config as unknown as Interfaces.Config), request.service)
    process.stdout.write(request.format === 'json' ? JSON.stringify(report, null, 2) + '\n' : formatStatusTree(report))
  } catch (error) {
    const signal = receivedInterrupt()
    process.stderr.write(`svcmgr: ${(error as Error).message}\n`)
    if (signal) restoreTerminal()
    process.exit(signal ? SIGNAL_EXIT_CODE[signal] : exitCodeOf(error))
  }
  return true
}
