/**
 * The value types of keywords, in one table: how a value is parsed (config/keywords.ts), what
 * the JSON Schema accepts for it (schema/config-schema.ts) and what it looks like (help). The
 * schema agrees with the parser (test/unit/value-types.test.ts): a JSON number, boolean or
 * array is accepted by one exactly when by the other, and what the parser accepts the schema
 * does; a string's form is checked by both, but its bound (a duration's 2^31-1 ms, an int's
 * 2^53-1) and a list's balanced quotes only by the parser.
 */
import type {KeywordType, KeywordValueTypes} from '../drivers/api.js'

export type JsonSchema = {[key: string]: unknown}

export type ParsedAs<T> = {ok: true; value: T} | {ok: false; expected: string}

export interface ValueType<T> {
  /** What a value looks like, in a sentence (for documentation and catalogues). */
  readonly help: string
  /** The value from its text as a config file writes it (a JSON value arrives as String(value)). */
  parse(raw: string): ParsedAs<T>
  /** The JSON Schema of a value: its natural JSON form and its text form; `choices` restrict both. */
  schema(choices?: readonly string[]): JsonSchema
}

/**
 * Durations end up as timers, and Node.js fires a timer of more than 2^31-1 ms (24.8 days) at
 * once: that is the longest duration accepted, wherever one is parsed.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1
/** Sizes are byte counts, kept exact: at most 2^53-1 bytes (just over 8191T). */
export const MAX_SIZE = Number.MAX_SAFE_INTEGER

const TRUE = new Set(['true', 'yes', 'on', '1'])
const FALSE = new Set(['false', 'no', 'off', '0'])
const BOOL_WORDS = [...TRUE, ...FALSE]
const DURATION_UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000}
const SIZE_UNITS: Record<string, number> = {'': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4}

const DURATION_RE = '^\\s*(\\d+(\\.\\d+)?|(\\d+(\\.\\d+)?(ms|s|m|h|d))+)\\s*$'
const SIZE_RE = '^\\s*\\d+(\\.\\d+)?\\s*[bkmgtBKMGT]?[iI]?[bB]?\\s*$'
const INT_RE = '^\\s*-?\\d+\\s*$'
/**
 * JSON writes a number below 1e-6 with an exponent (String(1e-7) is "1e-7"), a form no number
 * keyword parses: the schema leaves those out too.
 */
const NO_EXPONENT: JsonSchema = {not: {type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 0.000001}}

/** A regex source matching `word` in any letter case (JSON Schema patterns take no flags). */
function anyCase(word: string): string {
  return [...word].map(c => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : escapeRe(c))).join('')
}

export const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

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

const string: ValueType<string> = {
  help: 'any text',
  parse: raw => ({ok: true, value: raw}),
  schema: choices => (choices ? {enum: [...choices]} : {type: ['string', 'number', 'boolean']}),
}

const bool: ValueType<boolean> = {
  help: `${BOOL_WORDS.join(', ')} (any letter case)`,
  parse: raw => {
    const v = raw.trim().toLowerCase()
    return TRUE.has(v)
      ? {ok: true, value: true}
      : FALSE.has(v)
        ? {ok: true, value: false}
        : {ok: false, expected: 'true or false'}
  },
  schema: () => ({
    anyOf: [{type: 'boolean'}, {type: 'string', pattern: `^\\s*(${BOOL_WORDS.map(anyCase).join('|')})\\s*$`}],
  }),
}

const int: ValueType<number> = {
  help: `a whole number between ${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`,
  parse: raw => {
    if (!/^-?\d+$/.test(raw.trim())) return {ok: false, expected: 'an integer'}
    const value = Number(raw.trim())
    if (!Number.isSafeInteger(value))
      return {ok: false, expected: `an integer between ${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`}
    return {ok: true, value}
  },
  schema: () => ({
    anyOf: [
      {type: 'integer', minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER},
      {type: 'string', pattern: INT_RE},
    ],
  }),
}

const duration: ValueType<number> = {
  help: 'a duration like 10s, 1m30s or 500ms (units ms, s, m, h, d; a bare number is seconds), at most 24d20h31m23s647ms; parsed as milliseconds',
  parse: raw => {
    const ms = durationMs(raw.trim())
    if (ms === undefined) return {ok: false, expected: 'a duration like 10s, 1m30s or 500ms'}
    if (ms > MAX_DURATION_MS)
      return {
        ok: false,
        expected: 'a duration of at most 24d20h31m23s647ms (2^31-1 ms, the longest timer Node.js keeps)',
      }
    return {ok: true, value: ms}
  },
  schema: () => ({
    anyOf: [
      {type: 'number', minimum: 0, maximum: MAX_DURATION_MS / 1000, ...NO_EXPONENT, description: 'seconds'},
      {type: 'string', pattern: DURATION_RE},
    ],
  }),
}

const size: ValueType<number> = {
  help: 'a size like 512M or 2G (units b, k, m, g, t, powers of 1024; a bare number is bytes), at most 8191T; parsed as bytes',
  parse: raw => {
    const n = sizeBytes(raw)
    if (n === undefined) return {ok: false, expected: 'a size like 512M or 2G'}
    if (n > MAX_SIZE) return {ok: false, expected: 'a size of at most 8191T (2^53-1 bytes)'}
    return {ok: true, value: n}
  },
  // a fraction of a byte rounds, as in "1.5k"
  schema: () => ({
    anyOf: [
      {type: 'number', minimum: 0, maximum: MAX_SIZE, ...NO_EXPONENT, description: 'bytes'},
      {type: 'string', pattern: SIZE_RE},
    ],
  }),
}

const list: ValueType<readonly string[]> = {
  help: 'words split like a shell splits them (quotes and backslashes, no expansion), or a JSON array',
  parse: raw => {
    const words = splitWords(raw)
    return words ? {ok: true, value: words} : {ok: false, expected: 'words with balanced quotes'}
  },
  schema: choices => {
    const item: JsonSchema = choices ? {enum: [...choices]} : {type: ['string', 'number']}
    const text: JsonSchema = {type: 'string'}
    if (choices) text.pattern = `^\\s*((${choices.map(escapeRe).join('|')})(\\s+|$))*$`
    return {anyOf: [text, {type: 'array', items: item}]}
  },
}

/** Every keyword value type, by the name a manifest's `type` gives. */
export const VALUE_TYPES: {readonly [T in KeywordType]: ValueType<KeywordValueTypes[T]>} = {
  string,
  bool,
  int,
  duration,
  size,
  list,
}
