/** DriverRegistry: the drivers every plugin registered, looked up by section group and type. */
import type {Driver, DriverRegistration, KeywordSpec} from './api.js'
import {CORE_DEFAULT_KEYWORDS, resourceSectionKeywords} from './generic-keywords.js'
import {readinessKeywords} from '../readiness/probe.js'

/** A driver as registered: once per driver, whatever number of names it answers to. */
export interface RegisteredDriver {
  readonly driver: Driver
  readonly plugin: string
  /** Its type names: the type, then its aliases. */
  readonly typeNames: readonly string[]
  /** The section groups it serves: its group, then its section aliases. */
  readonly sectionGroups: readonly string[]
  /** The keywords of its sections: `type`, its own, then the generic ones (made once, here). */
  readonly sectionKeywords: readonly KeywordSpec[]
}

export interface PluginProblem {
  readonly plugin: string
  readonly message: string
}

/** Who provided a driver type once, remembered after its plugin is gone (see rememberProviders in ./load.ts). */
export interface KnownProvider {
  /** "app.forking" */
  readonly type: string
  readonly plugin: string
  readonly version?: string
}

const NAME_RE = /^[a-z][a-z0-9_]*$/

/** What is wrong with a registered driver's shape (a plugin written against another API), or undefined. */
function malformedDriver(driver: Driver): string | undefined {
  if (!driver || typeof driver !== 'object') return `a driver is ${JSON.stringify(driver)}, not an object`
  const id = `driver ${String(driver.group)}.${String(driver.type)}`
  if (
    typeof driver.group !== 'string' ||
    !NAME_RE.test(driver.group) ||
    typeof driver.type !== 'string' ||
    !NAME_RE.test(driver.type)
  )
    return `${id}: group and type must be lowercase words (a-z, 0-9, _)`
  if (!Array.isArray(driver.keywords) || driver.keywords.some(k => !k || typeof k.name !== 'string'))
    return `${id}: keywords must be a list of {name, help, ...}`
  const missing = (['label', 'describe', 'status', 'start', 'stop'] as const).filter(
    m => typeof driver[m] !== 'function',
  )
  if (missing.length > 0) return `${id}: missing ${missing.join(', ')}`
  return undefined
}

/**
 * A driver with the readiness capability gets the readiness keywords (those it does not define
 * itself) after its own: a copy of it, its methods unchanged.
 */
function withReadinessKeywords(driver: Driver): Driver {
  const cap = driver.capabilities?.readiness
  if (!cap || !Array.isArray(cap.kinds)) return driver
  const extra = readinessKeywords(cap.kinds, cap.defaultHelp).filter(k => !driver.keywords.some(o => o.name === k.name))
  return extra.length === 0 ? driver : {...driver, keywords: [...driver.keywords, ...extra]}
}

export class DriverRegistry {
  /** One entry per driver, in the order the plugins registered them. */
  private readonly registered: RegisteredDriver[] = []
  /** "<group>.<type name>" and "<group>." (its default type) → the same entry. */
  private readonly byKey = new Map<string, RegisteredDriver>()
  /** "<section group>.<type or empty>" → the plugin that provided it when last seen. */
  readonly formerProviders = new Map<string, KnownProvider>()
  private readonly groupAliases = new Map<string, string>()
  private readonly defaultKeywordList: KeywordSpec[] = [...CORE_DEFAULT_KEYWORDS]
  readonly problems: PluginProblem[] = []

  /** Adds a plugin's registration; a type already taken is reported, not overwritten. */
  add(plugin: string, registration: DriverRegistration): void {
    if (!registration || !Array.isArray(registration.drivers)) {
      this.problems.push({plugin, message: 'its svcmgr:drivers hook did not return {drivers: [...]}'})
      return
    }
    for (const registered of registration.drivers) {
      const malformed = malformedDriver(registered)
      if (malformed) {
        this.problems.push({plugin, message: `${malformed}; ignored`})
        continue
      }
      const driver = withReadinessKeywords(registered)
      const entry: RegisteredDriver = {
        driver,
        plugin,
        typeNames: [driver.type, ...(driver.typeAliases ?? [])],
        sectionGroups: [driver.group, ...(driver.sectionAliases ?? [])],
        sectionKeywords: resourceSectionKeywords(driver.keywords),
      }
      const taken = entry.typeNames.map(t => this.byKey.get(`${driver.group}.${t}`)).find(Boolean)
      if (taken) {
        this.problems.push({
          plugin,
          message: `driver ${driver.group}.${driver.type} is already provided by ${taken.plugin}; ignored`,
        })
        continue
      }
      this.registered.push(entry)
      for (const t of entry.typeNames) this.byKey.set(`${driver.group}.${t}`, entry)
      if (driver.isDefaultType) this.byKey.set(`${driver.group}.`, entry)
      for (const alias of entry.sectionGroups.slice(1)) this.groupAliases.set(alias, driver.group)
    }
    for (const kw of registration.defaultKeywords ?? []) {
      if (!this.defaultKeywordList.some(k => k.name === kw.name)) this.defaultKeywordList.push(kw)
    }
  }

  /** The canonical group of a section prefix ("vg" → "disk" when a driver says so). */
  canonicalGroup(sectionGroup: string): string {
    return this.groupAliases.get(sectionGroup) ?? sectionGroup
  }

  hasGroup(group: string): boolean {
    const g = this.canonicalGroup(group)
    for (const key of this.byKey.keys()) if (key.startsWith(`${g}.`)) return true
    return false
  }

  /** The driver for a section group and its `type` (undefined type → the group's default driver). */
  find(group: string, type: string | undefined): RegisteredDriver | undefined {
    const g = this.canonicalGroup(group)
    if (type === undefined) {
      const byDefault = this.byKey.get(`${g}.`)
      if (byDefault) return byDefault
      // a section group named after a type ("vg" for disk.vg) needs no `type =`
      if (g !== group) return this.byKey.get(`${g}.${group}`)
      return undefined
    }
    return this.byKey.get(`${g}.${type}`)
  }

  typesOf(group: string): string[] {
    const g = this.canonicalGroup(group)
    return [...this.byKey.keys()].filter(k => k.startsWith(`${g}.`) && !k.endsWith('.')).map(k => k.slice(g.length + 1))
  }

  /** Every driver once, in registration order. */
  drivers(): RegisteredDriver[] {
    return [...this.registered]
  }

  /** For a section whose group/type no loaded driver serves: the plugin that provided it before, if known. */
  formerProvider(sectionGroup: string, type: string | undefined): KnownProvider | undefined {
    return this.formerProviders.get(`${sectionGroup}.${type ?? ''}`)
  }

  /** The keys formerProvider() answers for, for every loaded driver: each type name, the default, section aliases. */
  providerKeys(): Array<[string, KnownProvider]> {
    const out: Array<[string, KnownProvider]> = []
    for (const {driver, plugin, typeNames, sectionGroups} of this.registered) {
      const provider = {type: `${driver.group}.${driver.type}`, plugin}
      for (const g of sectionGroups) {
        for (const t of typeNames) out.push([`${g}.${t}`, provider])
        if (g !== driver.group && g === driver.type) out.push([`${g}.`, provider])
      }
      if (driver.isDefaultType) out.push([`${driver.group}.`, provider])
    }
    return out
  }

  get defaultKeywords(): readonly KeywordSpec[] {
    return this.defaultKeywordList
  }
}
