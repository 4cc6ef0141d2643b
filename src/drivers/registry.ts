/** DriverRegistry: the drivers every plugin registered, looked up by section group and type. */
import type {Driver, DriverRegistration, KeywordSpec} from './api.js'
import {CORE_DEFAULT_KEYWORDS} from './generic-keywords.js'

export interface RegisteredDriver {
  readonly driver: Driver
  readonly plugin: string
}

export interface PluginProblem {
  readonly plugin: string
  readonly message: string
}

export class DriverRegistry {
  private readonly byKey = new Map<string, RegisteredDriver>()
  private readonly groupAliases = new Map<string, string>()
  private readonly defaultKeywordList: KeywordSpec[] = [...CORE_DEFAULT_KEYWORDS]
  readonly problems: PluginProblem[] = []

  /** Adds a plugin's registration; a type already taken is reported, not overwritten. */
  add(plugin: string, registration: DriverRegistration): void {
    if (!registration || !Array.isArray(registration.drivers)) {
      this.problems.push({plugin, message: 'its svcmgr:drivers hook did not return {drivers: [...]}'})
      return
    }
    for (const driver of registration.drivers) {
      const names = [driver.type, ...(driver.typeAliases ?? [])]
      const taken = names.map(t => this.byKey.get(`${driver.group}.${t}`)).find(Boolean)
      if (taken) {
        this.problems.push({plugin, message: `driver ${driver.group}.${driver.type} is already provided by ${taken.plugin}; ignored`})
        continue
      }
      for (const t of names) this.byKey.set(`${driver.group}.${t}`, {driver, plugin})
      if (driver.isDefaultType) this.byKey.set(`${driver.group}.`, {driver, plugin})
      for (const alias of driver.sectionAliases ?? []) this.groupAliases.set(alias, driver.group)
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

  drivers(): RegisteredDriver[] {
    return [...new Set(this.byKey.values())]
  }

  get defaultKeywords(): readonly KeywordSpec[] {
    return this.defaultKeywordList
  }
}
