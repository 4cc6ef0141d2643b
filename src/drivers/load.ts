/** Gathers the drivers every installed plugin provides through the `svcmgr:drivers` hook. */
import {mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import type {Hook, Interfaces} from '@oclif/core'
import {DRIVER_API_VERSION, type DriverRegistration} from './api.js'
import {DriverRegistry, type KnownProvider} from './registry.js'
import type {SvcmgrHooks} from './hook.js'
import {type DeclaringPlugin, declaredServes, type PluginServes, sameServes, servesOf} from './serves.js'

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

type DriverHookResult = Hook.Result<SvcmgrHooks['svcmgr:drivers']['return']>

/**
 * The svcmgr:drivers hooks of these plugins only: the config's runHook (oclif's, or the lean
 * path's) on a view of the config whose `plugins` are these, as the hooks then see it.
 */
async function runDriverHooks(config: Interfaces.Config, plugins: readonly Interfaces.Plugin[]) {
  const view =
    plugins.length === config.plugins.size
      ? config
      : (Object.create(config, {plugins: {value: new Map(plugins.map(p => [p.name, p]))}}) as Interfaces.Config)
  // captureErrors: a hook calling this.error() or this.exit() is reported like one that throws, never fatal
  // oclif's hook timeout timer is unref'd: with only a never-settling hook left, node would end
  // the process (exit 13) before it fires; this timer keeps the process up until it has
  const keepAlive = setTimeout(() => undefined, DRIVER_HOOK_TIMEOUT_MS + 1000)
  try {
    return (await config.runHook.call(
      view,
      'svcmgr:drivers',
      {apiVersion: DRIVER_API_VERSION},
      DRIVER_HOOK_TIMEOUT_MS,
      true,
    )) as DriverHookResult
  } finally {
    clearTimeout(keepAlive)
  }
}

/** The `<group>.<type>` names a hook's result registers (none when it is no registration). */
function registeredTypes(result: unknown): readonly string[] {
  const drivers = (result as Partial<DriverRegistration> | undefined)?.drivers
  return Array.isArray(drivers) ? servesOf({drivers}).types : []
}

/**
 * The drivers of the config's plugins but `skip` (plugins that declare what they serve and that
 * the command's service cannot need: Session.skipUnneeded). A skipped plugin declaring a type
 * another plugin registers runs too, so that the conflict is reported as without the skip.
 */
export async function loadDriverRegistry(
  config: Interfaces.Config,
  skip: ReadonlySet<string> = new Set(),
): Promise<DriverRegistry> {
  const registry = new DriverRegistry()
  const all = [...config.plugins.values()]
  const result = await runDriverHooks(
    config,
    all.filter(p => !skip.has(p.name)),
  )
  if (skip.size > 0) {
    const taken = new Set(result.successes.flatMap(s => registeredTypes(s.result)))
    const clashing = all.filter(
      p => skip.has(p.name) && (declaredServes(p as DeclaringPlugin)?.types ?? []).some(t => taken.has(t)),
    )
    if (clashing.length > 0) {
      const more = await runDriverHooks(config, clashing)
      result.successes.push(...more.successes)
      result.failures.push(...more.failures)
    }
  }
  const order = precedence(config)
  for (const s of [...result.successes].sort((a, b) => order(a.plugin, b.plugin))) {
    // plugins without a handler for this hook do not appear; a handler returning nothing is a bug worth naming
    const mismatch = apiVersionProblem(s.result)
    if (mismatch) registry.problems.push({plugin: s.plugin.name, message: mismatch})
    else {
      registry.add(s.plugin.name, s.result)
      const wrong = declarationProblem(s.plugin as DeclaringPlugin, s.result)
      if (wrong) registry.problems.push({plugin: s.plugin.name, message: wrong})
    }
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
 * When a plugin's package.json `svcmgrPlugin.serves` is not what its registration serves: a command
 * on a service could then leave out a plugin it needs (src/drivers/serves.ts).
 */
export function declarationProblem(plugin: DeclaringPlugin, registration: DriverRegistration): string | undefined {
  const declared = declaredServes(plugin)
  if (!declared) return undefined
  const actual = servesOf(registration)
  if (sameServes(declared, actual)) return undefined
  const show = (s: PluginServes) =>
    `section groups [${s.sectionGroups.join(', ')}], types [${s.types.join(', ')}], DEFAULT keywords [${s.defaultKeywords.join(', ')}]`
  return `its package.json svcmgrPlugin.serves says ${show(declared)}, but its drivers serve ${show(actual)}: a command on a service may leave out a plugin it needs; make the declaration say what the drivers serve (svcmgr/testing's servesOf gives it), or remove it`
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
