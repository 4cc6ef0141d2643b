/**
 * A JSON Schema (draft 2020-12) of a service config in its JSON form, built from the loaded
 * drivers' keyword manifests: the DEFAULT section, one patternProperties entry per driver
 * group ("^container#...") whose `type` selects the driver's keywords (if/then), and the
 * subset sections. Pure: the caller gives the drivers; nothing is read or run.
 *
 * Values follow what svcmgr accepts in JSON: a string as written in INI, or the natural JSON
 * type (true, 10, ["a", "b"]). Checks a manifest makes in code (`check`) and cross-keyword
 * validation stay with `svcmgr validate config`.
 */
import type {Driver, KeywordSpec} from '../drivers/api.js'
import {GENERIC_RESOURCE_KEYWORDS, resourceSectionKeywords, SUBSET_KEYWORDS} from '../drivers/generic-keywords.js'
import {escapeRe, type JsonSchema, VALUE_TYPES} from '../config/value-types.js'

export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema'

export interface SchemaDriver {
  readonly driver: Pick<
    Driver,
    'group' | 'type' | 'typeAliases' | 'isDefaultType' | 'sectionAliases' | 'description' | 'keywords'
  >
  readonly plugin: string
}

export interface SchemaInput {
  readonly drivers: readonly SchemaDriver[]
  readonly defaultKeywords: readonly KeywordSpec[]
  /** Keywords every resource section accepts (default: the core's generic keywords). */
  readonly genericKeywords?: readonly KeywordSpec[]
  readonly subsetKeywords?: readonly KeywordSpec[]
  /** Written as the schema's $id when given. */
  readonly id?: string
}

export type {JsonSchema}

/** The schema of one keyword's value: its type's (src/config/value-types.ts), with the manifest's help and default. */
export function keywordValueSchema(spec: KeywordSpec): JsonSchema {
  const meta: JsonSchema = {description: spec.help}
  if (spec.default !== undefined) meta.default = spec.default
  return {...meta, ...VALUE_TYPES[spec.type ?? 'string'].schema(spec.choices)}
}

/** An object schema of a section's keywords (aliases accepted, unknown keywords rejected). */
function sectionObject(
  specs: readonly KeywordSpec[],
  description?: string,
  extraProperties: Record<string, JsonSchema> = {},
): JsonSchema {
  const properties: Record<string, JsonSchema> = {}
  const required: string[] = []
  const requiredOneOf: JsonSchema[] = []
  for (const spec of specs) {
    properties[spec.name] = keywordValueSchema(spec)
    for (const alias of spec.aliases ?? [])
      properties[alias] = {...keywordValueSchema(spec), description: `Alias of ${spec.name}: ${spec.help}`}
    if (spec.required) {
      // a required keyword with aliases is there when any of its names is
      if (spec.aliases?.length) requiredOneOf.push({anyOf: [spec.name, ...spec.aliases].map(n => ({required: [n]}))})
      else required.push(spec.name)
    }
  }
  Object.assign(properties, extraProperties)
  const schema: JsonSchema = {type: 'object'}
  if (description) schema.description = description
  schema.properties = properties
  schema.additionalProperties = false
  if (required.length > 0) schema.required = required
  if (requiredOneOf.length > 0) schema.allOf = requiredOneOf
  return schema
}

/** The keywords of a resource section served by `driver`: `type`, the driver's own, then the generic ones. */
export function resourceKeywords(
  driverKeywords: readonly KeywordSpec[],
  generic: readonly KeywordSpec[] = GENERIC_RESOURCE_KEYWORDS,
): KeywordSpec[] {
  return resourceSectionKeywords(driverKeywords, generic).filter(k => k.name !== 'type')
}

const defName = (d: SchemaDriver['driver']) => `${d.group}.${d.type}`

/** Builds the schema. Driver groups and types are sorted, so the output is stable. */
export function buildConfigSchema(input: SchemaInput): JsonSchema {
  const generic = input.genericKeywords ?? GENERIC_RESOURCE_KEYWORDS
  const typeSpec = generic.find(k => k.name === 'type')
  const drivers = [...input.drivers].sort((a, b) => defName(a.driver).localeCompare(defName(b.driver)))
  const $defs: Record<string, JsonSchema> = {}
  $defs.DEFAULT = sectionObject(input.defaultKeywords, 'The service-wide keywords.')
  $defs.subset = sectionObject(
    input.subsetKeywords ?? SUBSET_KEYWORDS,
    'A subset of a driver group: its members start together (parallel) or in rid order; subsets run in alphanumerical order.',
  )

  const groups = new Map<string, SchemaDriver[]>()
  for (const d of drivers) {
    if (!groups.has(d.driver.group)) groups.set(d.driver.group, [])
    groups.get(d.driver.group)!.push(d)
  }

  const patternProperties: Record<string, JsonSchema> = {}
  for (const [group, members] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const typeNames = members.flatMap(m => [m.driver.type, ...(m.driver.typeAliases ?? [])])
    const byDefault = members.find(m => m.driver.isDefaultType)
    for (const m of members) {
      const names = [m.driver.type, ...(m.driver.typeAliases ?? [])]
      const typeProperty: JsonSchema = {description: typeSpec?.help ?? 'The driver type.', enum: names}
      $defs[defName(m.driver)] = sectionObject(
        resourceKeywords(m.driver.keywords, generic),
        `${defName(m.driver)} (plugin ${m.plugin}): ${m.driver.description}`,
        {type: typeProperty},
      )
    }
    const branches: JsonSchema[] = members.map(m => ({
      if: {properties: {type: {enum: [m.driver.type, ...(m.driver.typeAliases ?? [])]}}, required: ['type']},
      then: {$ref: `#/$defs/${defName(m.driver)}`},
    }))
    const section = (name: string): JsonSchema => {
      // like the registry: no `type` means the group's default driver, or the driver a section alias is named after ("vg" → disk.vg)
      const fallback = byDefault ?? (name === group ? undefined : members.find(m => m.driver.type === name))
      const schema: JsonSchema = {
        type: 'object',
        description: `A resource of the ${group} group; its type selects the driver: ${members.map(m => `${m.driver.type} (${m.plugin})`).join(', ')}.`,
        properties: {type: {description: typeSpec?.help ?? 'The driver type.', enum: typeNames}},
      }
      if (!fallback) schema.required = ['type']
      schema.allOf = fallback
        ? [...branches, {if: {not: {required: ['type']}}, then: {$ref: `#/$defs/${defName(fallback.driver)}`}}]
        : branches
      return schema
    }
    for (const name of [group, ...new Set(members.flatMap(m => m.driver.sectionAliases ?? []))]) {
      patternProperties[`^${escapeRe(name)}#[A-Za-z0-9_.-]+$`] = section(name)
    }
    patternProperties[`^subset#${escapeRe(group)}(\\.[a-z0-9_]+)?:.+$`] = {$ref: '#/$defs/subset'}
    for (const alias of new Set(members.flatMap(m => m.driver.sectionAliases ?? []))) {
      patternProperties[`^subset#${escapeRe(alias)}(\\.[a-z0-9_]+)?:.+$`] = {$ref: '#/$defs/subset'}
    }
  }

  const schema: JsonSchema = {$schema: JSON_SCHEMA_DIALECT}
  if (input.id) schema.$id = input.id
  Object.assign(schema, {
    title: 'svcmgr service configuration',
    description:
      'A service config in its flat JSON form: {"DEFAULT": {...}, "<group>#<n>": {...}, "subset#<group>:<name>": {...}}. Built by `svcmgr print schema` from the drivers loaded: ' +
      (drivers.length ? drivers.map(d => `${defName(d.driver)} (${d.plugin})`).join(', ') : 'none') +
      '.',
    type: 'object',
    properties: {DEFAULT: {$ref: '#/$defs/DEFAULT'}},
    patternProperties,
    additionalProperties: false,
    $defs,
  })
  return schema
}
