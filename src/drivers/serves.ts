/**
 * What a plugin's drivers serve, as its package.json declares it (`svcmgrPlugin.serves`), and which
 * plugins a service's config cannot need: a command on one service runs only the hooks of the
 * plugins its config can need (src/services/session.ts, skipUnneeded), as an editor activates
 * an extension only for the files it declares. A plugin without a declaration always runs.
 * loadDriverRegistry (./load.ts) checks each declaration against what the hook registered.
 */
import type {ServiceDocument} from '../config/document.js'
import type {DriverRegistration} from './api.js'
import {CORE_DEFAULT_KEYWORDS} from './generic-keywords.js'

/** What a plugin's drivers serve, as its package.json `svcmgrPlugin.serves` declares it (sorted lists). */
export interface PluginServes {
  /** Section groups: each driver's group and section aliases. */
  readonly sectionGroups: readonly string[]
  /** `<group>.<type name>` of each driver, type aliases included. */
  readonly types: readonly string[]
  /** The DEFAULT keywords it adds, names and aliases. */
  readonly defaultKeywords: readonly string[]
}

const sortedSet = (xs: readonly string[]) => [...new Set(xs)].sort()

/** The declaration a registration makes true: what a plugin's `svcmgrPlugin.serves` must say. */
export function servesOf(r: Pick<DriverRegistration, 'drivers' | 'defaultKeywords'>): PluginServes {
  return {
    sectionGroups: sortedSet(r.drivers.flatMap(d => [d.group, ...(d.sectionAliases ?? [])])),
    types: sortedSet(r.drivers.flatMap(d => [d.type, ...(d.typeAliases ?? [])].map(t => `${d.group}.${t}`))),
    defaultKeywords: sortedSet((r.defaultKeywords ?? []).flatMap(k => [k.name, ...(k.aliases ?? [])])),
  }
}

/** A package.json `svcmgrPlugin.serves` value, or undefined when it is absent or not three lists of strings. */
export function readServes(value: unknown): PluginServes | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const v = value as Record<string, unknown>
  const list = (x: unknown) => Array.isArray(x) && x.every(e => typeof e === 'string')
  return list(v.sectionGroups) && list(v.types) && list(v.defaultKeywords) ? (v as unknown as PluginServes) : undefined
}

/** A plugin as oclif's Config (its package.json) or the lean path's (the declaration read) holds it. */
export interface DeclaringPlugin {
  readonly name: string
  readonly serves?: PluginServes
  readonly pjson?: {readonly svcmgrPlugin?: {readonly serves?: unknown}}
}

/** The plugin's declaration, if it makes one. */
export function declaredServes(p: DeclaringPlugin): PluginServes | undefined {
  return p.serves ?? readServes(p.pjson?.svcmgrPlugin?.serves)
}

/** Whether two declarations say the same (as sorted lists, as servesOf gives them). */
export function sameServes(a: PluginServes, b: PluginServes): boolean {
  const same = (x: readonly string[], y: readonly string[]) => {
    const sx = sortedSet(x)
    const sy = sortedSet(y)
    return sx.length === sy.length && sx.every((e, i) => e === sy[i])
  }
  return same(a.sectionGroups, b.sectionGroups) && same(a.types, b.types) && same(a.defaultKeywords, b.defaultKeywords)
}

const CORE_DEFAULTS = new Set(CORE_DEFAULT_KEYWORDS.flatMap(k => [k.name, ...(k.aliases ?? [])]))

/** The group a section name is of (`subset#<group>:...` or `<group>#...`), undefined for another name. */
function groupOfSection(name: string): string | undefined {
  const hash = name.indexOf('#')
  if (hash <= 0) return undefined
  const inSubset = name.startsWith('subset#') ? /^subset#([a-z][a-z0-9_]*)/.exec(name)?.[1] : undefined
  if (inSubset) return inSubset
  const group = name.slice(0, hash)
  return /^[a-z][a-z0-9_]*$/.test(group) ? group : undefined
}

/**
 * The declaring plugins that nothing in the config can need, or undefined when something is
 * not covered by any declaration (a group or DEFAULT keyword of a plugin that declares nothing,
 * or of none: its message names every loaded driver, so all are loaded).
 */
export function unneededPlugins(doc: ServiceDocument, plugins: readonly DeclaringPlugin[]): Set<string> | undefined {
  const declared = plugins.flatMap(p => {
    const serves = declaredServes(p)
    return serves ? [{name: p.name, serves}] : []
  })
  const needed = new Set<string>()
  const need = (serves: (s: PluginServes) => boolean) => {
    const found = declared.filter(p => serves(p.serves))
    for (const p of found) needed.add(p.name)
    return found.length > 0
  }
  // each group once: 10,000 sections are a few groups
  const groups = new Set<string>()
  for (const section of doc) {
    if (section.name === 'DEFAULT') {
      for (const [key] of section.entries)
        if (!CORE_DEFAULTS.has(key) && !need(s => s.defaultKeywords.includes(key))) return undefined
      continue
    }
    const group = groupOfSection(section.name)
    if (!group) return undefined
    groups.add(group)
  }
  for (const group of groups) if (!need(s => s.sectionGroups.includes(group))) return undefined
  return new Set(declared.filter(p => !needed.has(p.name)).map(p => p.name))
}

/** The plugins none of these configs can need (every config must leave a plugin out for it to be). */
export function unneededByAll(docs: readonly ServiceDocument[], plugins: readonly DeclaringPlugin[]): Set<string> {
  const each = docs.map(doc => unneededPlugins(doc, plugins))
  if (each.length === 0 || each.some(u => u === undefined)) return new Set()
  return new Set([...each[0]!].filter(name => each.every(u => u!.has(name))))
}
