/**
 * Validates a ServiceDocument against the loaded drivers' keyword manifests and compiles it
 * into a Service. Every problem is collected and named "<section>.<keyword>: expected ..., got ...".
 */
import {randomUUID} from 'node:crypto'
import type {KeywordSpec, KeywordValue} from '../drivers/api.js'
import {GENERIC_RESOURCE_KEYWORDS, SUBSET_KEYWORDS} from '../drivers/generic-keywords.js'
import type {DriverRegistry} from '../drivers/registry.js'
import {naturalCompare, parseRid} from '../model/rid.js'
import {Service, type ServiceResource, type SubsetConfig} from '../model/service.js'
import type {ServiceDocument} from './document.js'
import {findKeyword, parseKeywordValue} from './keywords.js'

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.length === 1 ? problems[0] : `${problems.length} problems in the configuration:\n  ${problems.join('\n  ')}`)
  }
}

const SUBSET_RE = /^subset#([a-z][a-z0-9_]*)(?:\.([a-z0-9_]+))?:(.+)$/

export interface CompileOptions {
  readonly name: string
  readonly nodename: string
  readonly varDir: string
}

function checkKeywords(section: string, entries: ReadonlyArray<[string, string]>, specs: readonly KeywordSpec[], problems: string[]) {
  const values: Record<string, KeywordValue> = {}
  const given = new Set<string>()
  for (const [key, raw] of entries) {
    const spec = findKeyword(specs, key)
    if (!spec) {
      problems.push(`${section}.${key}: unknown keyword (expected one of: ${specs.map(s => s.name).join(', ')})`)
      continue
    }
    given.add(spec.name)
    const parsed = parseKeywordValue(spec, raw)
    if (parsed.ok) values[spec.name] = parsed.value
    else problems.push(`${section}.${key}: expected ${parsed.expected}, got ${JSON.stringify(raw)}`)
  }
  for (const spec of specs) {
    // a keyword given with a bad value is reported once, above, not also as missing
    if (values[spec.name] !== undefined || given.has(spec.name)) continue
    if (spec.default !== undefined) {
      const parsed = parseKeywordValue(spec, spec.default)
      if (parsed.ok) values[spec.name] = parsed.value
    } else if (spec.required) {
      problems.push(`${section}.${spec.name}: required keyword missing (${spec.help})`)
    }
  }
  return values
}

/** The driver keyword list a section uses: its driver's, then the generic ones. */
export function sectionKeywords(driverKeywords: readonly KeywordSpec[]): KeywordSpec[] {
  const own = new Set(driverKeywords.map(k => k.name))
  return [GENERIC_RESOURCE_KEYWORDS[0], ...driverKeywords.filter(k => k.name !== 'type'), ...GENERIC_RESOURCE_KEYWORDS.slice(1).filter(k => !own.has(k.name))]
}

export function compileService(doc: ServiceDocument, registry: DriverRegistry, options: CompileOptions): Service {
  const problems: string[] = []
  let defaults: Record<string, string> = {}
  let defaultValues: Record<string, KeywordValue> = checkKeywords('DEFAULT', [], registry.defaultKeywords, [])
  const resources: ServiceResource[] = []
  const subsets = new Map<string, SubsetConfig>()
  for (const section of doc) {
    const name = section.name
    if (name === 'DEFAULT') {
      defaultValues = checkKeywords('DEFAULT', section.entries, registry.defaultKeywords, problems)
      defaults = Object.fromEntries(section.entries)
      continue
    }
    const subset = SUBSET_RE.exec(name)
    if (subset) {
      const group = registry.canonicalGroup(subset[1])
      if (!registry.hasGroup(group)) problems.push(`[${name}]: unknown driver group "${subset[1]}" in a subset section`)
      const values = checkKeywords(name, section.entries, SUBSET_KEYWORDS, problems)
      const key = `${group}:${subset[3]}`
      const prev = subsets.get(key)
      if (prev && prev.parallel !== values.parallel) problems.push(`[${name}]: subset ${key} is declared twice with different parallel values`)
      subsets.set(key, {group, name: subset[3], parallel: values.parallel === true})
      continue
    }
    const rid = parseRid(name)
    if (!rid) {
      problems.push(`[${name}]: unknown section (expected DEFAULT, <group>#<n> such as container#1, or subset#<group>:<name>)`)
      continue
    }
    const type = section.entries.find(([k]) => k === 'type')?.[1]
    const former = registry.find(rid.group, type) ? undefined : registry.formerProvider(rid.group, type)
    if (former) {
      const what = type === undefined ? `a [${rid.group}#N] section without type (${former.type})` : `type ${former.type}`
      problems.push(`[${name}]: ${what} is provided by the plugin ${former.plugin}${former.version ? ` (version ${former.version} was installed)` : ''}, which is no longer installed: install it again (svcmgr plugins install) or change the section`)
      continue
    }
    if (!registry.hasGroup(rid.group)) {
      const known = [...new Set(registry.drivers().map(d => d.driver.group))].sort().join(', ')
      problems.push(`[${name}]: unknown resource group "${rid.group}" (loaded drivers provide: ${known})`)
      continue
    }
    const found = registry.find(rid.group, type)
    if (!found) {
      const types = registry.typesOf(rid.group)
      problems.push(type === undefined
        ? `${name}.type: required keyword missing (expected one of: ${types.join(', ')})`
        : `${name}.type: expected one of ${types.join(', ')}, got "${type}"`)
      continue
    }
    const values = checkKeywords(name, section.entries, sectionKeywords(found.driver.keywords), problems)
    const {type: _t, tags, subset: sub, optional, disable, standby, comment: _c, ...kw} = values
    resources.push({
      rid: name,
      group: found.driver.group,
      index: rid.index,
      type: found.driver.type,
      subset: sub as string | undefined,
      tags: (tags as string[] | undefined) ?? [],
      disabled: disable === true,
      optional: optional === true,
      standby: standby === true,
      kw,
      driver: found.driver,
      plugin: found.plugin,
    })
  }
  const groupOf = new Map<string, string>()
  for (const r of resources) {
    const clash = groupOf.get(`${r.group}#${r.index}`)
    if (clash) problems.push(`[${r.rid}]: resource ${r.group}#${r.index} is also defined as [${clash}]`)
    groupOf.set(`${r.group}#${r.index}`, r.rid)
  }
  resources.sort((a, b) => naturalCompare(a.rid, b.rid))
  const service = new Service(options.name, defaults.id ?? '', options.nodename, defaults, defaultValues, resources, subsets, options.varDir)
  if (problems.length === 0) {
    for (const r of resources) {
      try {
        problems.push(...(r.driver.validate?.(r, service) ?? []))
      } catch (error) {
        problems.push(`${r.rid}: the ${r.group}.${r.type} driver's validation failed: ${(error as Error).message}`)
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return service
}

/** Puts `type` first and the rest in manifest order, the way `print config` shows sections. Keeps what the user wrote. */
export function normalizeDocument(doc: ServiceDocument, registry: DriverRegistry): ServiceDocument {
  return doc.map(section => {
    const rid = parseRid(section.name)
    if (!rid) return section
    const type = section.entries.find(([k]) => k === 'type')?.[1]
    const found = registry.find(rid.group, type)
    if (!found) return section
    const specs = sectionKeywords(found.driver.keywords)
    const rank = (key: string) => {
      const spec = findKeyword(specs, key)
      return spec ? specs.indexOf(spec) : specs.length
    }
    return {name: section.name, entries: [...section.entries].sort((a, b) => rank(a[0]) - rank(b[0]))}
  })
}

/** Adds DEFAULT.id when the config has none (OpenSVC keeps a given id, generates one otherwise). */
export function ensureServiceId(doc: ServiceDocument): ServiceDocument {
  const def = doc.find(s => s.name === 'DEFAULT')
  if (def?.entries.some(([k]) => k === 'id')) return doc
  if (def) return doc.map(s => (s === def ? {name: s.name, entries: [['id', randomUUID()], ...s.entries]} : s))
  return [{name: 'DEFAULT', entries: [['id', randomUUID()]]}, ...doc]
}
