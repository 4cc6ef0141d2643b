/**
 * Validates a ServiceDocument against the loaded drivers' keyword manifests and compiles it
 * into a Service. Every problem is collected and named "<section>.<keyword>: expected ..., got ...".
 */
import type {KeywordSpec, KeywordValue} from '../drivers/api.js'
import {ACTED_ON_KEYWORDS, splitGenericValues, SUBSET_KEYWORDS} from '../drivers/generic-keywords.js'
import type {DriverRegistry} from '../drivers/registry.js'
import {naturalCompare, parseRid, ridProblem} from '../model/rid.js'
import {Service, type ServiceResource, type SubsetConfig} from '../model/service.js'
import type {ServiceDocument} from './document.js'
import {findKeyword, parseKeywordValue} from './keywords.js'
import {ConfigError} from '../errors.js'

const SUBSET_RE = /^subset#([a-z][a-z0-9_]*)(?:\.([a-z0-9_]+))?:(.+)$/
const RID_GROUP_RE = /^([a-z][a-z0-9_]*)#/

export interface CompileOptions {
  readonly name: string
  readonly nodename: string
  readonly varDir: string
}

interface KeywordCheck {
  readonly values: Record<string, KeywordValue>
  /** Unknown keywords and bad values of keywords that have a default or are optional: a lenient compile ignores them. */
  readonly ignorable: string[]
  /** A required keyword missing or unusable: the section cannot be compiled. */
  readonly fatal: string[]
}

/** What a manifest's keywords give a section that does not set them, worked out once per manifest. */
interface Unset {
  readonly length: number
  /** The parsed defaults (those that parse), in manifest order. */
  readonly defaults: ReadonlyArray<readonly [name: string, value: KeywordValue]>
  /** The keywords without a default that a section must set. */
  readonly required: readonly KeywordSpec[]
}

const unsetOf = new WeakMap<readonly KeywordSpec[], Unset>()

/** A manifest's defaults, parsed once per manifest rather than once per section (10,000 sections share a few), again if it grew. */
function unsetKeywords(specs: readonly KeywordSpec[]): Unset {
  let found = unsetOf.get(specs)
  if (found?.length !== specs.length) {
    const defaults: Array<readonly [string, KeywordValue]> = []
    const required: KeywordSpec[] = []
    for (const spec of specs) {
      if (spec.default !== undefined) {
        const parsed = parseKeywordValue(spec, spec.default)
        if (parsed.ok) defaults.push([spec.name, parsed.value])
      } else if (spec.required) required.push(spec)
    }
    found = {length: specs.length, defaults, required}
    unsetOf.set(specs, found)
  }
  return found
}

const NO_KEYWORDS: ReadonlySet<string> = new Set()

/** The value of a section's first entry of `key`. */
function valueOf(entries: ReadonlyArray<readonly [string, string]>, key: string): string | undefined {
  for (let i = 0; i < entries.length; i++) if (entries[i][0] === key) return entries[i][1]
  return undefined
}

function checkKeywords(
  section: string,
  entries: ReadonlyArray<[string, string]>,
  specs: readonly KeywordSpec[],
  fatalIfBad: ReadonlySet<string> = NO_KEYWORDS,
): KeywordCheck {
  const values: Record<string, KeywordValue> = {}
  const ignorable: string[] = []
  const fatal: string[] = []
  // indexed, not for..of with destructuring: no iterator and no entry copy per keyword of 10,000 sections
  for (let i = 0; i < entries.length; i++) {
    const key = entries[i][0]
    const raw = entries[i][1]
    const spec = findKeyword(specs, key)
    if (!spec) {
      ignorable.push(`${section}.${key}: unknown keyword (expected one of: ${specs.map(s => s.name).join(', ')})`)
      continue
    }
    const parsed = parseKeywordValue(spec, raw)
    if (parsed.ok) values[spec.name] = parsed.value
    else
      ((spec.required && spec.default === undefined) || fatalIfBad.has(spec.name) ? fatal : ignorable).push(
        `${section}.${key}: expected ${parsed.expected}, got ${JSON.stringify(raw)}`,
      )
  }
  const unset = unsetKeywords(specs)
  // also what a lenient compile uses in place of a bad value
  const defaults = unset.defaults
  for (let i = 0; i < defaults.length; i++)
    if (values[defaults[i][0]] === undefined) values[defaults[i][0]] = defaults[i][1]
  // a keyword given with a bad value is reported once, above, not also as missing
  for (const spec of unset.required)
    if (values[spec.name] === undefined && !entries.some(([key]) => findKeyword(specs, key) === spec))
      fatal.push(`${section}.${spec.name}: required keyword missing (${spec.help})`)
  return {values, ignorable, fatal}
}

/** A section a lenient compile could not make a resource of, with why. */
export interface UnusableSection {
  readonly rid: string
  readonly group?: string
  readonly type?: string
  readonly problems: readonly string[]
}

export interface LenientCompile {
  readonly service: Service
  /** Problems ignored to compile the rest (unknown keywords, bad values replaced by their default, failed validations). */
  readonly warnings: readonly string[]
  readonly unusable: readonly UnusableSection[]
}

/** Strict: every problem throws one ConfigError. What start, provision, create and edits use. */
export function compileService(doc: ServiceDocument, registry: DriverRegistry, options: CompileOptions): Service {
  const r = compile(doc, registry, options, false)
  if (r.problems.length > 0) throw new ConfigError(r.problems)
  return r.service
}

/**
 * Lenient: what can be understood of a stored config that no longer validates (hand-edited),
 * so that status and stop still work on it. Unknown keywords and bad values are ignored
 * (defaults apply), a section that cannot become a resource is returned as unusable; only a
 * DEFAULT section that cannot be understood still throws.
 */
export function compileServiceLenient(
  doc: ServiceDocument,
  registry: DriverRegistry,
  options: CompileOptions,
): LenientCompile {
  const r = compile(doc, registry, options, true)
  if (r.fatalDefaults.length > 0) throw new ConfigError(r.fatalDefaults)
  return {service: r.service, warnings: r.warnings, unusable: r.unusable}
}

function compile(doc: ServiceDocument, registry: DriverRegistry, options: CompileOptions, lenient: boolean) {
  const problems: string[] = []
  const warnings: string[] = []
  const fatalDefaults: string[] = []
  const unusable: UnusableSection[] = []
  let defaults: Record<string, string> = {}
  let defaultValues: Record<string, KeywordValue> = checkKeywords('DEFAULT', [], registry.defaultKeywords).values
  const resources: ServiceResource[] = []
  const subsets = new Map<string, SubsetConfig>()
  const unusableSection = (rid: string, why: string[], group?: string, type?: string) => {
    problems.push(...why)
    unusable.push({rid, ...(group ? {group} : {}), ...(type ? {type} : {}), problems: why})
  }
  for (let s = 0; s < doc.length; s++) {
    const section = doc[s]
    const name = section.name
    if (name === 'DEFAULT') {
      const checked = checkKeywords('DEFAULT', section.entries, registry.defaultKeywords)
      problems.push(...checked.ignorable, ...checked.fatal)
      warnings.push(...checked.ignorable)
      fatalDefaults.push(...checked.fatal)
      defaultValues = checked.values
      defaults = Object.fromEntries(section.entries)
      continue
    }
    const subset = SUBSET_RE.exec(name)
    if (subset) {
      const group = registry.canonicalGroup(subset[1])
      const sectionProblems: string[] = []
      if (!registry.hasGroup(group))
        sectionProblems.push(`[${name}]: unknown driver group "${subset[1]}" in a subset section`)
      const checked = checkKeywords(name, section.entries, SUBSET_KEYWORDS)
      sectionProblems.push(...checked.ignorable, ...checked.fatal)
      const key = `${group}:${subset[3]}`
      const prev = subsets.get(key)
      if (prev && prev.parallel !== checked.values.parallel)
        sectionProblems.push(`[${name}]: subset ${key} is declared twice with different parallel values`)
      problems.push(...sectionProblems)
      // a subset section only orders its members: ignoring it keeps them usable
      warnings.push(...sectionProblems)
      subsets.set(key, {group, name: subset[3], parallel: checked.values.parallel === true})
      continue
    }
    const rid = parseRid(name)
    if (!rid) {
      unusableSection(
        name,
        [
          ridProblem(name) ??
            `[${name}]: unknown section (expected DEFAULT, <group>#<n> such as container#1, or subset#<group>:<name>)`,
        ],
        RID_GROUP_RE.exec(name)?.[1],
      )
      continue
    }
    const type = valueOf(section.entries, 'type')
    const former = registry.find(rid.group, type) ? undefined : registry.formerProvider(rid.group, type)
    if (former) {
      const what =
        type === undefined ? `a [${rid.group}#N] section without type (${former.type})` : `type ${former.type}`
      unusableSection(
        name,
        [
          `[${name}]: ${what} is provided by the plugin ${former.plugin}${former.version ? ` (version ${former.version} was installed)` : ''}, which is no longer installed: install it again (svcmgr plugins install) or change the section`,
        ],
        rid.group,
        type,
      )
      continue
    }
    if (!registry.hasGroup(rid.group)) {
      const known = [...new Set(registry.drivers().map(d => d.driver.group))].sort().join(', ')
      unusableSection(
        name,
        [`[${name}]: unknown resource group "${rid.group}" (loaded drivers provide: ${known})`],
        rid.group,
        type,
      )
      continue
    }
    const found = registry.find(rid.group, type)
    if (!found) {
      const types = registry.typesOf(rid.group)
      unusableSection(
        name,
        [
          type === undefined
            ? `${name}.type: required keyword missing (expected one of: ${types.join(', ')})`
            : `${name}.type: expected one of ${types.join(', ')}, got "${type}"`,
        ],
        rid.group,
        type,
      )
      continue
    }
    const checked = checkKeywords(name, section.entries, found.sectionKeywords, ACTED_ON_KEYWORDS)
    if (checked.fatal.length > 0) {
      problems.push(...checked.ignorable)
      warnings.push(...checked.ignorable)
      unusableSection(name, checked.fatal, found.driver.group, found.driver.type)
      continue
    }
    problems.push(...checked.ignorable)
    warnings.push(...checked.ignorable)
    const {generic, kw} = splitGenericValues(checked.values)
    resources.push({
      rid: name,
      group: found.driver.group,
      index: rid.index,
      type: found.driver.type,
      ...generic,
      kw,
      driver: found.driver,
      plugin: found.plugin,
    })
  }
  const groupOf = new Map<string, string>()
  const clashing = new Set<string>()
  for (const r of resources) {
    const clash = groupOf.get(`${r.group}#${r.index}`)
    if (clash) {
      unusableSection(
        r.rid,
        [`[${r.rid}]: resource ${r.group}#${r.index} is also defined as [${clash}]`],
        r.group,
        r.type,
      )
      clashing.add(r.rid)
    }
    groupOf.set(`${r.group}#${r.index}`, r.rid)
  }
  const compiled = resources.filter(r => !clashing.has(r.rid)).sort((a, b) => naturalCompare(a.rid, b.rid))
  const kept = lenient && unusable.length > 0 ? compiled.map(withoutEdgesToMissing) : compiled
  const service = new Service(
    options.name,
    defaults.id ?? '',
    options.nodename,
    defaults,
    defaultValues,
    kept,
    subsets,
    options.varDir,
  )
  // cross-keyword checks assume every section compiled; a lenient compile runs them on what did
  if (problems.length === 0 || lenient) {
    for (const r of kept) {
      let found: string[]
      try {
        found = [...(r.driver.validate?.(r, service) ?? [])]
      } catch (error) {
        found = [`${r.rid}: the ${r.group}.${r.type} driver's validation failed: ${(error as Error).message}`]
      }
      problems.push(...found)
      warnings.push(...found)
    }
  }
  return {service, problems, warnings, fatalDefaults, unusable}
}

/**
 * A lenient compile leaves sections out: edges a driver declares to one of them are dropped
 * (a stop of what is understood must not fail on the order with what is not, which is not
 * acted on). The driver stays the prototype: its methods and fields are unchanged.
 */
function withoutEdgesToMissing(r: ServiceResource): ServiceResource {
  const driver = r.driver
  if (!driver.dependencies) return r
  const filtered: typeof driver = Object.create(driver)
  Object.defineProperty(filtered, 'dependencies', {
    value: (
      res: Parameters<NonNullable<typeof driver.dependencies>>[0],
      svc: Parameters<NonNullable<typeof driver.dependencies>>[1],
    ) => driver.dependencies!.call(driver, res, svc).filter(d => svc.resource(d.before) && svc.resource(d.after)),
  })
  return {...r, driver: filtered}
}

/** Puts `type` first and the rest in manifest order, the way `print config` shows sections. Keeps what the user wrote. */
export function normalizeDocument(doc: ServiceDocument, registry: DriverRegistry): ServiceDocument {
  return doc.map(section => {
    const rid = parseRid(section.name)
    if (!rid) return section
    const type = valueOf(section.entries, 'type')
    const found = registry.find(rid.group, type)
    if (!found) return section
    const specs = found.sectionKeywords
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
  // node:crypto loaded here, when an id is made: status and the actions never pay for it (a cold status's ms)
  const id = process.getBuiltinModule('node:crypto').randomUUID()
  if (def) return doc.map(s => (s === def ? {name: s.name, entries: [['id', id], ...s.entries]} : s))
  return [{name: 'DEFAULT', entries: [['id', id]]}, ...doc]
}
