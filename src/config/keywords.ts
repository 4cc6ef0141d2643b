/** Parsing and checking of keyword values against a KeywordSpec: its type's parser (./value-types.ts), then choices and the manifest's check. */
import type {KeywordSpec, KeywordValue} from '../drivers/api.js'
import {MAX_DURATION_MS, MAX_SIZE, type ParsedAs, splitWords, VALUE_TYPES} from './value-types.js'

export {MAX_DURATION_MS, MAX_SIZE, splitWords}

export type ParseResult = ParsedAs<KeywordValue>

/** A duration in milliseconds, or what was expected: "10s", "1m30s", "500ms", a bare number is seconds. */
export function checkDuration(raw: string): ParsedAs<number> {
  return VALUE_TYPES.duration.parse(raw)
}

/** Durations are returned in milliseconds; undefined when not a duration or longer than MAX_DURATION_MS. */
export function parseDuration(raw: string): number | undefined {
  const d = checkDuration(raw)
  return d.ok ? d.value : undefined
}

/** Sizes are returned in bytes ("512M", "2G", a bare number is bytes); undefined when not a size or larger than MAX_SIZE. */
export function parseSize(raw: string): number | undefined {
  const s = VALUE_TYPES.size.parse(raw)
  return s.ok ? s.value : undefined
}

export function parseKeywordValue(spec: KeywordSpec, raw: string): ParseResult {
  const parsed: ParseResult = VALUE_TYPES[spec.type ?? 'string'].parse(raw)
  if (!parsed.ok) return parsed
  const value = parsed.value
  if (spec.choices) {
    const items = Array.isArray(value) ? value : [String(value)]
    const bad = items.find(v => !spec.choices!.includes(v))
    if (bad !== undefined) return {ok: false, expected: `one of ${spec.choices.join(', ')}`}
  }
  if (spec.check) {
    const expected = spec.check(raw, value)
    if (expected) return {ok: false, expected}
  }
  return {ok: true, value}
}

const byName = new WeakMap<readonly KeywordSpec[], {length: number; index: Map<string, KeywordSpec>}>()

/** Looks a keyword up by its name or one of its aliases (a name wins over an alias, the first spec over a later one). */
export function findKeyword(specs: readonly KeywordSpec[], name: string): KeywordSpec | undefined {
  // one map per manifest, built at its first lookup (again if it grew: the registry's DEFAULT
  // keywords do as plugins are added): compile looks up every keyword of every section
  let cached = byName.get(specs)
  if (cached?.length !== specs.length) {
    const index = new Map<string, KeywordSpec>()
    for (const s of specs) for (const a of s.aliases ?? []) if (!index.has(a)) index.set(a, s)
    for (const s of [...specs].reverse()) index.set(s.name, s)
    cached = {length: specs.length, index}
    byName.set(specs, cached)
  }
  return cached.index.get(name)
}
