/** Gathers the drivers every installed plugin provides through the `svcmgr:drivers` hook. */
import {mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import type {Hook, Interfaces} from '@oclif/core'
import {DRIVER_API_VERSION} from './api.js'
import {DriverRegistry, type KnownProvider} from './registry.js'
import type {SvcmgrHooks} from './hook.js'

/**
 * The file remembering which installed plugin provided each driver type: beside the plugins
 * `svcmgr plugins install|link` adds (oclif's data dir, SVCMGR_DATA_DIR), since only those can
 * be uninstalled. Core plugins are not recorded, so nothing is written until a user plugin is.
 */
export const KNOWN_TYPES_FILE = 'known-driver-types.json'

/** How long a plugin's hook may take (importing its modules included) before it is reported and left out. */
export const DRIVER_HOOK_TIMEOUT_MS = 10_000

const TYPE_RANK: Record<string, number> = {core: 0, user: 1, dev: 2, link: 3}

/**
 * The order registrations are taken in, so that a type two plugins register goes to the same
 * one every time (hooks run concurrently and finish in any order): core plugins first, in the
 * order svcmgr lists them, then user-installed, then linked plugins, each by name. A user
 * plugin can thus never take a core type over.
 */
function precedence(config: Interfaces.Config): (a: Interfaces.Plugin, b: Interfaces.Plugin) => number {
  const loadOrder = new Map([...config.plugins.keys()].map((name, i) => [name, i]))
  return (a, b) =>
    (TYPE_RANK[a.type] ?? 9) - (TYPE_RANK[b.type] ?? 9) ||
    (a.type === 'core'
      ? (loadOrder.get(a.name) ?? 0) - (loadOrder.get(b.name) ?? 0)
      : a.name < b.name
        ? -1
        : a.name > b.name
          ? 1
          : 0)
}

export async function loadDriverRegistry(config: Interfaces.Config): Promise<DriverRegistry> {
  const registry = new DriverRegistry()
  // captureErrors: a hook calling this.error() or this.exit() is reported like one that throws, never fatal
  // oclif's hook timeout timer is unref'd: with only a never-settling hook left, node would end
  // the process (exit 13) before it fires; this timer keeps the process up until it has
  const keepAlive = setTimeout(() => undefined, DRIVER_HOOK_TIMEOUT_MS + 1000)
  let result: Hook.Result<SvcmgrHooks['svcmgr:drivers']['return']>
  try {
    result = (await config.runHook(
      'svcmgr:drivers',
      {apiVersion: DRIVER_API_VERSION},
      DRIVER_HOOK_TIMEOUT_MS,
      true,
    )) as Hook.Result<SvcmgrHooks['svcmgr:drivers']['return']>
  } finally {
    clearTimeout(keepAlive)
  }
  const order = precedence(config)
  for (const s of [...result.successes].sort((a, b) => order(a.plugin, b.plugin))) {
    // plugins without a handler for this hook do not appear; a handler returning nothing is a bug worth naming
    const mismatch = apiVersionProblem(s.result)
    if (mismatch) registry.problems.push({plugin: s.plugin.name, message: mismatch})
    else registry.add(s.plugin.name, s.result)
  }
  for (const f of [...result.failures].sort((a, b) => order(a.plugin, b.plugin))) {
    const reason = f.error instanceof Error ? f.error.message : String(f.error)
    registry.problems.push({
      plugin: f.plugin.name,
      message: `its svcmgr:drivers hook failed, its drivers are not loaded: ${reason}`,
    })
  }
  rememberProviders(registry, path.join(config.dataDir, KNOWN_TYPES_FILE), name => {
    const plugin = config.plugins.get(name)
    return plugin && (plugin.type === 'user' || plugin.type === 'link') ? {version: plugin.version} : undefined
  })
  return registry
}

/**
 * The one check of a plugin's driver API version: a registration declares the version it was
 * written for (`apiVersion`, absent meaning 1, what plugins spoke before declaring it).
 */
export function apiVersionProblem(registration: unknown): string | undefined {
  if (typeof registration !== 'object' || registration === null) return undefined
  const declared = (registration as {apiVersion?: unknown}).apiVersion ?? 1
  if (declared === DRIVER_API_VERSION) return undefined
  return `it was written for the driver API version ${JSON.stringify(declared)}; this svcmgr speaks version ${DRIVER_API_VERSION}: its drivers are not loaded (install a version of the plugin made for this svcmgr)`
}

/**
 * Merges the loaded drivers' providers into the known-types file (rewritten only when it
 * changes) and gives the registry the providers of types no loaded plugin serves any more,
 * so a config using an uninstalled plugin's type is told which plugin to install. A file
 * that cannot be read or written costs nothing but that message.
 */
export function rememberProviders(
  registry: DriverRegistry,
  file: string,
  installed: (plugin: string) => {version?: string} | undefined,
): void {
  let known: Record<string, KnownProvider> = {}
  let before = ''
  try {
    before = readFileSync(file, 'utf8')
    const parsed = JSON.parse(before) as {types?: Record<string, KnownProvider>}
    if (parsed && typeof parsed.types === 'object' && parsed.types !== null) known = parsed.types
  } catch {
    // no file yet, or unreadable: start afresh
  }
  const current = new Map(registry.providerKeys())
  for (const [key, provider] of Object.entries(known)) {
    if (!current.has(key) && typeof provider?.plugin === 'string' && typeof provider?.type === 'string')
      registry.formerProviders.set(key, provider)
  }
  const merged: Record<string, KnownProvider> = {...known}
  for (const [key, provider] of current) {
    const plugin = installed(provider.plugin)
    if (plugin) merged[key] = plugin.version ? {...provider, version: plugin.version} : provider
  }
  if (Object.keys(merged).length === 0) return
  const sorted = Object.fromEntries(Object.entries(merged).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
  const text = JSON.stringify({version: 1, types: sorted}, null, 2) + '\n'
  if (text === before) return
  try {
    mkdirSync(path.dirname(file), {recursive: true})
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, text)
    renameSync(tmp, file)
  } catch {
    // a read-only data dir: the hint is lost, nothing else
  }
}
