/**
 * Compiling configs against given driver registrations, for driver unit tests: the same
 * validation `svcmgr create` does, without a CLI or a state root. Exported as `svcmgr/testing`.
 */
import {compileService, normalizeDocument} from '../config/compile.js'
import {documentToIni, parseDocument} from '../config/document.js'
import type {DriverRegistration} from '../drivers/api.js'
import {DriverRegistry} from '../drivers/registry.js'
import type {Service} from '../model/service.js'
import {declaredEdges} from '../planner/dependencies.js'
import type {Dependency} from '../drivers/api.js'
import {ConfigError} from '../errors.js'

export type Registrations = ReadonlyArray<{plugin: string; registration: DriverRegistration}>

export interface CompileOptions {
  readonly name?: string
  readonly nodename?: string
  readonly varDir?: string
}

/** A registry of these registrations; a problem (a type taken twice, a malformed driver) throws. */
export function registryOf(registrations: Registrations): DriverRegistry {
  const registry = new DriverRegistry()
  for (const {plugin, registration} of registrations) registry.add(plugin, registration)
  if (registry.problems.length > 0) throw new Error(registry.problems.map(p => `${p.plugin}: ${p.message}`).join('; '))
  return registry
}

const asText = (config: string | object) => (typeof config === 'string' ? config : JSON.stringify(config))

/** Compiles a config (INI or JSON text, or an object); an invalid one throws ConfigError. */
export function compileConfig(
  config: string | object,
  registrations: Registrations,
  options: CompileOptions = {},
): Service {
  const name = options.name ?? 'svc'
  return compileService(parseDocument(asText(config), name, 'test config'), registryOf(registrations), {
    name,
    nodename: options.nodename ?? 'deb1',
    varDir: options.varDir ?? `/var/lib/svcmgr/var/${name}`,
  })
}

/** The problems `svcmgr validate config` would report ([] when the config is valid). */
export function configProblems(
  config: string | object,
  registrations: Registrations,
  options: CompileOptions = {},
): string[] {
  try {
    compileConfig(config, registrations, options)
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems]
    throw error
  }
  return []
}

/** The config as `svcmgr print config` shows it once created (keywords in manifest order). */
export function printedConfig(config: string | object, registrations: Registrations, name = 'svc'): string {
  return documentToIni(normalizeDocument(parseDocument(asText(config), name, 'test config'), registryOf(registrations)))
}

/** The start-order edges one resource's driver declares: its dependencies() and the core's matches of its needs. */
export function resourceEdges(service: Service, rid: string): Dependency[] {
  const r = service.resource(rid)
  if (!r) throw new Error(`${rid} is not a resource of ${service.name}`)
  return declaredEdges(service, r)
}
