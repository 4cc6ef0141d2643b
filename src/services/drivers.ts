/** The drivers catalogue: what the installed plugins provide (`svcmgr drivers`, `svcmgr plugins`). */
import type {Interfaces} from '@oclif/core'
import type {KeywordSpec} from '../drivers/api.js'
import {GENERIC_RESOURCE_KEYWORDS} from '../drivers/generic-keywords.js'
import {loadDriverRegistry} from '../drivers/load.js'
import type {DriverRegistry, RegisteredDriver} from '../drivers/registry.js'
import {UsageError} from '../errors.js'
import type {Session} from './session.js'

export interface KeywordInfo {
  name: string
  type: string
  default?: string
  choices?: string[]
  required: boolean
  aliases: string[]
  help: string
}

export interface DriverInfo {
  type: string
  group: string
  plugin: string
  pluginVersion?: string
  description: string
  isDefaultType: boolean
  typeAliases: string[]
  sections: string[]
  keywords: KeywordInfo[]
}

export interface DriverDetail extends DriverInfo {
  /** The keywords every resource section takes (`type` aside: the driver's own). */
  genericKeywords: KeywordInfo[]
}

function keywordInfo(k: KeywordSpec): KeywordInfo {
  return {
    name: k.name,
    type: k.type ?? 'string',
    ...(k.default === undefined ? {} : {default: k.default}),
    ...(k.choices ? {choices: [...k.choices]} : {}),
    required: k.required === true,
    aliases: [...(k.aliases ?? [])],
    help: k.help,
  }
}

/** The names of the keywords every resource section takes, `type` included. */
export const GENERIC_KEYWORD_NAMES: readonly string[] = GENERIC_RESOURCE_KEYWORDS.map(k => k.name)

/** Every driver once, sorted by group.type. */
function sortedDrivers(registry: DriverRegistry): RegisteredDriver[] {
  return registry
    .drivers()
    .sort((a, b) => `${a.driver.group}.${a.driver.type}`.localeCompare(`${b.driver.group}.${b.driver.type}`))
}

function driverInfo(session: Session, d: RegisteredDriver): DriverInfo {
  const {driver} = d
  const version = session.config.plugins.get(d.plugin)?.version
  return {
    type: `${driver.group}.${driver.type}`,
    group: driver.group,
    plugin: d.plugin,
    ...(version ? {pluginVersion: version} : {}),
    description: driver.description,
    isDefaultType: driver.isDefaultType === true,
    typeAliases: [...(driver.typeAliases ?? [])],
    sections: d.sectionGroups.map(s => `${s}#N`),
    keywords: driver.keywords.filter(k => k.name !== 'type').map(keywordInfo),
  }
}

export async function driverCatalogue(session: Session): Promise<DriverInfo[]> {
  return sortedDrivers(await session.registry()).map(d => driverInfo(session, d))
}

/** One driver type, as group.type or a group (its default type); refused (exit 2) naming the installed ones. */
export async function driverDetail(session: Session, spec: string): Promise<DriverDetail> {
  const registry = await session.registry()
  const dot = spec.indexOf('.')
  const found = dot === -1 ? registry.find(spec, undefined) : registry.find(spec.slice(0, dot), spec.slice(dot + 1))
  if (!found) {
    const known = sortedDrivers(registry)
      .map(d => `${d.driver.group}.${d.driver.type}`)
      .join(', ')
    throw new UsageError(`drivers: no driver type "${spec}" is installed (installed: ${known || 'none'})`)
  }
  return {
    ...driverInfo(session, found),
    genericKeywords: GENERIC_RESOURCE_KEYWORDS.filter(k => k.name !== 'type').map(keywordInfo),
  }
}

/**
 * The driver types each plugin provides, for `svcmgr plugins` (a plugin-plugins command, without
 * svcmgr's session): a plugin that failed to load is warned about by name.
 */
export async function driverTypesByPlugin(config: Interfaces.Config): Promise<Map<string, string[]>> {
  const registry = await loadDriverRegistry(config)
  for (const p of registry.problems) process.stderr.write(`svcmgr: warning: plugin ${p.plugin}: ${p.message}\n`)
  const types = new Map<string, Set<string>>()
  for (const {driver, plugin} of registry.drivers()) {
    if (!types.has(plugin)) types.set(plugin, new Set())
    types.get(plugin)!.add(`${driver.group}.${driver.type}`)
  }
  return new Map([...types].map(([plugin, set]) => [plugin, [...set].sort()]))
}
