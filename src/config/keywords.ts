/** Parsing and checking of keyword values against a KeywordSpec. */
import type {KeywordSpec, KeywordValue} from '../drivers/api.js'

const TRUE = new Set(['true', 'yes', 'on', '1'])
const FALSE = new Set(['false', 'no', 'off', '0'])
const DURATION_UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000}
const SIZE_UNITS: Record<string, number> = {'': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4}

export type ParseResult = {ok: true; value: KeywordValue} | {ok: false; expected: string}

/** Durations are returned in milliseconds: "10s", "1m30s", "500ms", a bare number is seconds. */
export function parseDuration(raw: string): number | undefined {
  const s = raw.trim()
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

export function parseSize(raw: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)i?b?$/i.exec(raw.trim())
  return m ? Math.round(Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()]) : undefined
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
      break
    }
    case 'duration': {
      const d = parseDuration(raw)
      if (d === undefined) return {ok: false, expected: 'a duration like 10s, 1m30s or 500ms'}
      value = d
      break
    }
    case 'size': {
      const n = parseSize(raw)
      if (n === undefined) return {ok: false, expected: 'a size like 512M or 2G'}
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
