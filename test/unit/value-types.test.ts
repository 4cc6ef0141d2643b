/**
 * The value-type table (src/config/value-types.ts): the JSON Schema of each type agrees with its
 * parser on generated values. A JSON value reaches the parser as the JSON config reader writes it
 * (documentFromJson: String(number), words quoted back). Within the JSON kinds a type's schema
 * names (bool: booleans and strings; int, duration, size: numbers and strings; list: strings and
 * arrays; string: strings, numbers, booleans) the two agree, with one documented difference: a
 * string's bound (2^31-1 ms, 2^53-1) and a list's balanced quotes are the parser's alone.
 */
import {expect} from 'chai'
import fc from 'fast-check'
import {Ajv2020} from 'ajv/dist/2020.js'
import type {KeywordType} from '../../src/drivers/api.js'
import {documentFromJson} from '../../src/config/document.js'
import {MAX_DURATION_MS, MAX_SIZE, VALUE_TYPES} from '../../src/config/value-types.js'

const ajv = new Ajv2020({strict: true, allowUnionTypes: true})
const TYPES = Object.keys(VALUE_TYPES) as KeywordType[]
const schemaOf = Object.fromEntries(TYPES.map(t => [t, ajv.compile(VALUE_TYPES[t].schema())]))

/** The text the parser gets for a JSON value: a string as it is, the others through the real JSON config reader. */
function rawOf(value: unknown): string {
  if (typeof value === 'string') return value
  const doc = documentFromJson({'app#1': {kw: value}}, 'svc')
  return doc.find(s => s.name === 'app#1')!.entries[0][1]
}

const parse = (type: KeywordType, value: unknown) => VALUE_TYPES[type].parse(rawOf(value))

/** What only the parser checks in a string (see the file comment): the expected-message of each. */
const PARSER_ONLY = /^a duration of at most|^an integer between|^a size of at most|^words with balanced quotes/

const pieces = [
  '0',
  '1',
  '7',
  '9',
  '42',
  '.',
  '.5',
  '2147483',
  '647',
  '9007199254740991',
  '-',
  'ms',
  's',
  'm',
  'h',
  'd',
  'k',
  'M',
  'G',
  'T',
  'i',
  'B',
  'b',
  'KiB',
  ' ',
  '\t',
  '"',
  "'",
  '\\',
  'true',
  'YES',
  'Off',
  'x',
  'é',
]
const grammarString = fc.array(fc.constantFrom(...pieces), {maxLength: 8}).map(a => a.join(''))
const anyString = fc.oneof(
  grammarString,
  fc.string(),
  fc.constantFrom(
    '24d20h31m23s647ms',
    '24d20h31m23s648ms',
    '2147483.647',
    '2147483.648',
    '8191T',
    '8192T',
    '9007199254740991',
    '9007199254740992',
    '-9007199254740992',
  ),
)
const jsonNumber = fc.oneof(
  fc.double({noNaN: true, noDefaultInfinity: true}),
  fc.double({min: 0, max: 3e6, noNaN: true}),
  fc.double({min: 0, max: 1e-5, noNaN: true}),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.constantFrom(
    0,
    -0,
    1e-6,
    1e-7,
    MAX_DURATION_MS / 1000,
    2147483.648,
    MAX_SIZE,
    MAX_SIZE + 1,
    -MAX_SIZE,
    -MAX_SIZE - 2,
    1e21,
    2 ** 53,
  ),
)
const jsonArray = fc.array(fc.oneof(anyString, fc.integer(), fc.double({noNaN: true, noDefaultInfinity: true})), {
  maxLength: 4,
})

const FORMS: Record<KeywordType, fc.Arbitrary<unknown>> = {
  string: fc.oneof(anyString, jsonNumber, fc.boolean()),
  bool: fc.oneof(anyString, fc.boolean()),
  int: fc.oneof(anyString, jsonNumber),
  duration: fc.oneof(anyString, jsonNumber),
  size: fc.oneof(anyString, jsonNumber),
  list: fc.oneof(anyString, jsonArray),
}

describe('keyword value types: the JSON Schema agrees with the parser', () => {
  for (const type of TYPES) {
    it(`${type}: what the parser accepts the schema accepts, and the schema refuses only what the parser refuses (strings: but for their bound)`, () => {
      fc.assert(
        fc.property(FORMS[type], value => {
          const parsed = parse(type, value)
          const valid = schemaOf[type](value)
          if (parsed.ok)
            expect(
              valid,
              `schema refuses ${JSON.stringify(value)}, parsed as ${JSON.stringify(parsed.value)}`,
            ).to.equal(true)
          else if (valid) {
            expect(
              typeof value === 'string' || Array.isArray(value),
              `schema accepts ${JSON.stringify(value)}, parser expected ${parsed.expected}`,
            ).to.equal(true)
            expect(parsed.expected).to.match(PARSER_ONLY)
          }
        }),
        {numRuns: 2000},
      )
    })
  }

  it('puts the parser bounds on JSON numbers: durations up to 2^31-1 ms, sizes and ints within 2^53-1, no exponent forms', () => {
    const agree = (type: KeywordType, value: number, ok: boolean) => {
      expect(parse(type, value).ok, `${type} parser, ${value}`).to.equal(ok)
      expect(schemaOf[type](value), `${type} schema, ${value}`).to.equal(ok)
    }
    agree('duration', MAX_DURATION_MS / 1000, true)
    agree('duration', 2147483.648, false)
    agree('duration', 0.000001, true)
    agree('duration', 1e-7, false)
    agree('duration', 0, true)
    agree('duration', -1, false)
    agree('size', MAX_SIZE, true)
    agree('size', MAX_SIZE + 1, false)
    agree('size', 1e21, false)
    agree('int', -MAX_SIZE, true)
    agree('int', MAX_SIZE + 1, false)
    agree('int', 1.5, false)
  })

  it('has a help text for every type', () => {
    for (const type of TYPES) expect(VALUE_TYPES[type].help).to.be.a('string').and.not.equal('')
  })
})
