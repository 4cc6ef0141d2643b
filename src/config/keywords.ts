/** Parsing and checking of keyword values against a KeywordSpec. */
import type {KeywordSpec, KeywordValue} from '../drivers/api.js'

const TRUE = new Set(['true', 'yes', 'on', '1'])
const FALSE = new Set(['false', 'no', 'off', '0'])
const DURATION_UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000}
const SIZE_UNITS: Record<string, number> = {'': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4}

export type ParseResult = {ok: true; value: KeywordValue} | {ok: false; expected: string}

/**
 * Durations end up as timers, and Node.js fires a timer of more than 2^31-1 ms (24.8 days) at
 * once: that is the longest duration accepted, wherever one is parsed.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1
/** Sizes are byte counts, kept exact: at most 2^53-1 bytes (just over 8191T). */
export const MAX_SIZE = Number.MAX_SAFE_INTEGER

/** A duration in milliseconds, or what was expected: "10s", "1m30s", "500ms", a bare number is seconds. */
export function checkDuration(raw: string): {ok: true; value: number} | {ok: false; expected: string} {
  const ms = durationMs(raw.trim())
  if (ms === undefined) return {ok: false, expected: 'a duration like 10s, 1m30s or 500ms'}
  if (ms > MAX_DURATION_MS) return {ok: false, expected: 'a duration of at most 24d20h31m23s647ms (2^31-1 ms, the longest timer Node.js keeps)'}
  return {ok: true, value: ms}
}

/** Durations are returned in milliseconds; undefined when not a duration or longer than MAX_DURATION_MS. */
export function parseDuration(raw: string): number | undefined {
  const d = checkDuration(raw)
  return d.ok ? d.value : undefined
}

function durationMs(s: string): number | undefined {
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy
  let total = 0
  let m: RegExpExecArray | null
  let consumed = 0
  while ((m = re.exec(s))) {
    total += Number(m[1]) * DURATION_UNITS[m[2]]
    consumed = re.lastIndex
  }
  return consumed === s.length && consumed > 0 ? total : undefined
}

function sizeBytes(raw: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?$/i.exec(raw.trim())
  return m ? Math.round(Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()]) : undefined
}

/** Sizes are returned in bytes ("512M", "2G", a bare number is bytes); undefined when not a size or larger than MAX_SIZE. */
export function parseSize(raw: string): number | undefined {
  const bytes = sizeBytes(raw)
  return bytes !== undefined && bytes <= MAX_SIZE ? bytes : undefined
}

/** Splits like a POSIX shell does words (quotes and backslashes), without any expansion. */
export function splitWords(raw: string): string[] | undefined {
  const words: string[] = []
  let cur = ''
  let inWord = false
  let quote: '"' | "'" | undefined
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]
    if (quote) {
      if (c === quote) quote = undefined
      else if (c === '\\' && quote === '"' && i + 1 < raw.length && '"\\$`'.includes(raw[i + 1])) cur += raw[++i]
      else cur += c
    } else if (c === '"' || c === "'") {
      quote = c
      inWord = true
    } else if (c === '\\' && i + 1 < raw.length) {
      cur += raw[++i]
      inWord = true
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur)
      cur = ''
      inWord = false
    } else {
      cur += c
      inWord = true
    }
  }
  if (quote) return undefined
  if (inWord) words.push(cur)
  return words
}

export function parseKeywordValue(spec: KeywordSpec, raw: string): ParseResult {
  const type = spec.type ?? 'string'
  let value: KeywordValue
  switch (type) {
    case 'bool': {
      const v = raw.trim().toLowerCase()
      if (TRUE.has(v)) value = true
      else if (FALSE.has(v)) value = false
      else return {ok: false, expected: 'true or false'}
      break
    }
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim())) return {ok: false, expected: 'an integer'}
      value = Number(raw.trim())
      if (!Number.isSafeInteger(value)) return {ok: false, expected: `an integer between ${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`}
      break
    }
    case 'duration': {
      const d = checkDuration(raw)
      if (!d.ok) return d
      value = d.value
      break
    }
    case 'size': {
      const n = sizeBytes(raw)
      if (n === undefined) return {ok: false, expected: 'a size like 512M or 2G'}
      if (n > MAX_SIZE) return {ok: false, expected: 'a size of at most 8191T (2^53-1 bytes)'}
      value = n
      break
    }
    case 'list': {
      const words = splitWords(raw)
      if (!words) return {ok: false, expected: 'words with balanced quotes'}
      value = words
      break
    }
    default:
      value = raw
  }
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

/** Looks a keyword up by its name or one of its aliases. */
export function findKeyword(specs: readonly KeywordSpec[], name: string): KeywordSpec | undefined {
  return specs.find(s => s.name === name) ?? specs.find(s => s.aliases?.includes(name))
}
