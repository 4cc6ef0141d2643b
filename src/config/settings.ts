/**
 * svcmgr's own settings: where state lives, the node name, the engine address, the log level
 * (the lowest level of the progress lines an action prints; the log file keeps every level).
 * Sources, later wins: defaults (system paths as root, XDG paths otherwise), a cosmiconfig
 * file (`svcmgr` key in package.json, .svcmgrrc[.json|.yaml], svcmgr.config.js, ... searched
 * from the working folder up and in the XDG config folder), then SVCMGR_ROOT / DOCKER_HOST /
 * SVCMGR_NODENAME / SVCMGR_LOG_LEVEL.
 */
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
  /** Where the settings came from, for `svcmgr settings`. */
  readonly source?: string
}

const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const

interface SettingsFile {
  root?: string
  nodename?: string
  dockerHost?: string
  logLevel?: string
}

function defaultRoot(): string {
  if (process.getuid?.() === 0) return '/var/lib/svcmgr'
  const dataHome = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share')
  return path.join(dataHome, 'svcmgr')
}

async function searchSettingsFile(): Promise<{config: SettingsFile; filepath: string} | undefined> {
  // cosmiconfig is loaded only here: a command that never needs settings files pays nothing.
  // Through `default` (module.exports of this CommonJS package): the CLI bundle's chunk of it
  // exports nothing else (scripts/bundle.mjs).
  const {default: cc} = await import('cosmiconfig')
  const {cosmiconfig} = cc
  const explorer = cosmiconfig('svcmgr', {searchStrategy: 'global'})
  const explicit = process.env.SVCMGR_CONFIG
  const found = explicit ? await explorer.load(explicit) : await explorer.search()
  return found && !found.isEmpty ? {config: found.config as SettingsFile, filepath: found.filepath} : undefined
}

export async function loadSettings(): Promise<Settings> {
  const found = await searchSettingsFile()
  const file: SettingsFile = found?.config ?? {}
  const where = found ? found.filepath : 'defaults'
  for (const key of Object.keys(file)) {
    if (!['root', 'nodename', 'dockerHost', 'logLevel'].includes(key))
      throw new SettingsError(`${where}: unknown setting "${key}": expected root, nodename, dockerHost or logLevel`)
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
    source: where,
  }
}
