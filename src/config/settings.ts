/**
 * svcmgr's own settings: where state lives, the node name, the engine address, the log level
 * (the lowest level of the progress lines an action prints; the log file keeps every level).
 * Sources, later wins: defaults (system paths as root, XDG paths otherwise), a cosmiconfig
 * file (`svcmgr` key in package.json, .svcmgrrc[.json|.yaml], svcmgr.config.js, ... searched
 * from the working folder up and in the XDG config folder), then SVCMGR_ROOT / DOCKER_HOST /
 * SVCMGR_NODENAME / SVCMGR_LOG_LEVEL / SVCMGR_ETCD (comma separated) / SVCMGR_LEASE_TTL.
 */
import {existsSync, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {SettingsError} from '../errors.js'

export interface Settings {
  readonly root: string
  readonly etcDir: string
  readonly varDir: string
  readonly logDir: string
  readonly nodename: string
  readonly dockerHost?: string
  /** The lowest level of the progress lines printed (off a TTY or with --verbose, which means debug); the service log file keeps every level. */
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error'
  /** The etcd endpoints of the cluster (http://host:port); none: one node, no cluster code loaded. */
  readonly etcd?: readonly string[]
  /** Seconds of the agent's etcd lease (ownership and presence go with it). */
  readonly leaseTtl: number
  /** Where the settings came from, for `svcmgr settings`. */
  readonly source?: string
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const

interface SettingsFile {
  root?: string
  nodename?: string
  dockerHost?: string
  logLevel?: string
  etcd?: unknown
  leaseTtl?: unknown
}

const SETTING_NAMES = ['root', 'nodename', 'dockerHost', 'logLevel', 'etcd', 'leaseTtl']
export const DEFAULT_LEASE_TTL = 10
const LEASE_TTL_MIN = 3
const LEASE_TTL_MAX = 3600

/** The etcd endpoints: a list (or a comma separated string) of http://host:port URLs. */
export function parseEtcdEndpoints(value: unknown, where: string): string[] | undefined {
  if (value === undefined || value === '') return undefined
  const items = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined
  if (!items || items.some(i => typeof i !== 'string'))
    throw new SettingsError(
      `${where}: etcd: expected a list of endpoints (http://host:port), got ${JSON.stringify(value)}`,
    )
  const endpoints = (items as string[]).map(i => i.trim()).filter(Boolean)
  if (endpoints.length === 0) return undefined
  for (const e of endpoints) {
    let url: URL | undefined
    try {
      url = new URL(e)
    } catch {
      url = undefined
    }
    if (!url || url.protocol !== 'http:' || !url.hostname || !url.port || (url.pathname !== '/' && url.pathname !== ''))
      throw new SettingsError(`${where}: etcd: expected endpoints as http://host:port, got "${e}"`)
  }
  return endpoints.map(e => e.replace(/\/+$/, ''))
}

/** The lease TTL: whole seconds, 3 to 3600. */
export function parseLeaseTtl(value: unknown, where: string): number {
  if (value === undefined || value === '') return DEFAULT_LEASE_TTL
  const n =
    typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN
  if (!Number.isInteger(n) || n < LEASE_TTL_MIN || n > LEASE_TTL_MAX)
    throw new SettingsError(
      `${where}: leaseTtl: expected whole seconds from ${LEASE_TTL_MIN} to ${LEASE_TTL_MAX}, got ${JSON.stringify(value)}`,
    )
  return n
}

function defaultRoot(): string {
  if (process.getuid?.() === 0) return '/var/lib/svcmgr'
  const dataHome = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share')
  return path.join(dataHome, 'svcmgr')
}

// What cosmiconfig 9 (searchStrategy global) reads, in the order it reads it; test/unit/settings.test.ts
// checks these lists against cosmiconfig's own, so that an upgrade that adds a place fails there.
/** Its meta config ("cosmiconfig" settings of the search itself), in the working folder only. */
export const META_SEARCH_PLACES = [
  'package.json',
  'package.yaml',
  ...['json', 'yaml', 'yml', 'js', 'ts', 'cjs', 'mjs'].map(e => `.config/config.${e}`),
]
/** In the working folder and each one above it, up to the home folder (or /). */
export const SEARCH_PLACES = [
  'package.json',
  ...['', '.json', '.yaml', '.yml', '.js', '.ts', '.cjs', '.mjs'].map(e => `.svcmgrrc${e}`),
  ...['', '.json', '.yaml', '.yml', '.js', '.ts', '.cjs', '.mjs'].map(e => `.config/svcmgrrc${e}`),
  ...['js', 'ts', 'cjs', 'mjs'].map(e => `svcmgr.config.${e}`),
]
/** In the XDG config folder ($XDG_CONFIG_HOME/svcmgr or ~/.config/svcmgr). */
export const GLOBAL_SEARCH_PLACES = ['', '.json', '.yaml', '.yml', '.js', '.ts', '.cjs', '.mjs'].map(e => `config${e}`)

/** True when a package.json there could hold the key (one that cannot be read or parsed counts: cosmiconfig would say why). */
function packageHas(file: string, key: string): boolean {
  try {
    const pjson = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> | null
    return typeof pjson !== 'object' || pjson === null || key in pjson
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT'
  }
}

/**
 * Whether cosmiconfig's search could find anything: false only when none of the files it
 * would try exists (a package.json only counts with a "svcmgr" key, or "cosmiconfig" for the
 * meta config). Checking costs a few dozen stat calls; loading cosmiconfig and letting it
 * try each file costs a cold command several times that, for the usual answer "no file".
 */
export function settingsFileMayExist(cwd: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const home = os.homedir()
  const found = (dir: string, places: readonly string[], key: string) =>
    places.some(p => {
      const file = path.join(dir, p)
      return p === 'package.json' ? packageHas(file, key) : existsSync(file)
    })
  if (found(cwd, META_SEARCH_PLACES, 'cosmiconfig')) return true
  const stop = path.resolve(home)
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    if (found(dir, SEARCH_PLACES, 'svcmgr')) return true
    if (dir === stop || path.dirname(dir) === dir) break
  }
  const global = path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'svcmgr')
  return found(global, GLOBAL_SEARCH_PLACES, 'svcmgr')
}

async function searchSettingsFile(): Promise<{config: SettingsFile; filepath: string} | undefined> {
  const explicit = process.env.SVCMGR_CONFIG
  if (!explicit && !settingsFileMayExist(process.cwd())) return undefined
  // cosmiconfig is loaded only here: a command that never needs settings files pays nothing.
  // A CommonJS package: Node gives its exports by name and as `default`, the CLI bundle's chunk
  // of it only as `default` (scripts/bundle.mjs), tsx only by name (it marks itself __esModule).
  type Cosmiconfig = typeof import('cosmiconfig')
  const mod = (await import('cosmiconfig')) as Cosmiconfig & {default?: Cosmiconfig}
  const cosmiconfig = mod.cosmiconfig ?? mod.default!.cosmiconfig
  const explorer = cosmiconfig('svcmgr', {searchStrategy: 'global'})
  const found = explicit ? await explorer.load(explicit) : await explorer.search()
  return found && !found.isEmpty ? {config: found.config as SettingsFile, filepath: found.filepath} : undefined
}

export async function loadSettings(): Promise<Settings> {
  const found = await searchSettingsFile()
  const file: SettingsFile = found?.config ?? {}
  const where = found ? found.filepath : 'defaults'
  for (const key of Object.keys(file)) {
    if (!SETTING_NAMES.includes(key))
      throw new SettingsError(
        `${where}: unknown setting "${key}": expected ${SETTING_NAMES.slice(0, -1).join(', ')} or leaseTtl`,
      )
  }
  const root = path.resolve(process.env.SVCMGR_ROOT || file.root || defaultRoot())
  const logLevel = (process.env.SVCMGR_LOG_LEVEL || file.logLevel || 'info') as Settings['logLevel']
  if (!LOG_LEVELS.includes(logLevel))
    throw new SettingsError(`${where}: logLevel: expected one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`)
  return {
    root,
    etcDir: path.join(root, 'etc'),
    varDir: path.join(root, 'var'),
    logDir: path.join(root, 'log'),
    nodename: process.env.SVCMGR_NODENAME || file.nodename || os.hostname(),
    dockerHost: process.env.DOCKER_HOST || file.dockerHost || undefined,
    logLevel,
    etcd: process.env.SVCMGR_ETCD
      ? parseEtcdEndpoints(process.env.SVCMGR_ETCD, 'SVCMGR_ETCD')
      : parseEtcdEndpoints(file.etcd, where),
    leaseTtl: process.env.SVCMGR_LEASE_TTL
      ? parseLeaseTtl(process.env.SVCMGR_LEASE_TTL, 'SVCMGR_LEASE_TTL')
      : parseLeaseTtl(file.leaseTtl, where),
    source: where,
  }
}
