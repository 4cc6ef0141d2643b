/**
 * Property-based tests of config parsing and printing (fast-check): INI ↔ document ↔ JSON round
 * trips with generated sections, keywords and values, including the characters an INI file cannot
 * hold. A failure prints the counterexample and the seed to replay it (fc.assert's report).
 */
import {expect} from 'chai'
import fc from 'fast-check'
import {type ServiceDocument, documentToIni, documentToJson, parseDocument} from '../../src/config/document.js'
import {formatIni, parseIni, shownName} from '../../src/config/ini.js'
import {findDuplicateKey} from '../../src/config/json-duplicates.js'
import {
  MAX_DURATION_MS,
  MAX_SIZE,
  parseDuration,
  parseKeywordValue,
  parseSize,
  splitWords,
} from '../../src/config/keywords.js'
import {RUNS, hostileDoc, iniLine, plainChar, representableDoc} from './fixtures/config-arbitraries.js'
import {ConfigFormatError, IniSyntaxError} from '../../src/errors.js'

/** What documentToIni drops: a DEFAULT section without keywords carries nothing. */
const printed = (doc: ServiceDocument) => doc.filter(s => s.entries.length > 0 || s.name !== 'DEFAULT')

/** A refusal names the section (and keyword) it is about, as [section] or section.keyword. */
function expectNamed(error: unknown, doc: ServiceDocument, type: new (...a: never[]) => Error) {
  expect(error).to.be.instanceOf(type)
  const message = (error as Error).message
  // one JSON section whose name is not DEFAULT nor <group>#...: read as a service wrapping its keywords as sections
  const wrapped =
    type === ConfigFormatError && doc.length === 1 && doc[0].name !== 'DEFAULT' && !doc[0].name.includes('#')
  if (wrapped && (doc[0].entries.length === 0 || /^the JSON wraps a service named/.test(message)))
    return expect(message).to.match(/is empty|wraps a service/)
  const names = (wrapped ? doc[0].entries.map(([k]) => k) : doc.map(s => s.name)).flatMap(n => [
    n,
    JSON.stringify(n),
    shownName(n),
  ])
  expect(
    names.some(n => message.includes(`[${n}]`) || message.includes(`${n}.`)),
    message,
  ).to.equal(true)
  // the message itself never carries a raw control character to the terminal
  // eslint-disable-next-line no-control-regex -- no raw control character reaches the terminal
  expect(message).not.to.match(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/)
}

describe('config parsing properties (fast-check)', () => {
  it('parse(print(doc)) deep-equals doc for every representable document, in order', () => {
    fc.assert(
      fc.property(representableDoc, doc => {
        const text = documentToIni(doc)
        expect(parseIni(text)).to.deep.equal(printed(doc))
        expect(documentToIni(parseIni(text))).to.equal(text)
      }),
      RUNS,
    )
  })

  it('a document the printer accepts reads back the same; any other is refused naming its section or keyword', () => {
    fc.assert(
      fc.property(hostileDoc, doc => {
        let text: string
        try {
          text = formatIni(doc)
        } catch (error) {
          expectNamed(error, doc, IniSyntaxError)
          return
        }
        // nothing a value holds can add a line, a section or a keyword
        expect(parseIni(text)).to.deep.equal(doc)
      }),
      RUNS,
    )
  })

  it('whatever the parser reads, the printer writes back to the same document', () => {
    fc.assert(
      fc.property(fc.array(iniLine, {maxLength: 12}), fc.constantFrom('\n', '\r\n'), (lines, eol) => {
        let doc: ServiceDocument
        try {
          doc = parseIni(lines.join(eol), 'gen.conf')
        } catch (error) {
          expect(error).to.be.instanceOf(IniSyntaxError)
          expect((error as Error).message).to.match(/^gen\.conf line \d+: /)
          return
        }
        expect(parseIni(formatIni(doc))).to.deep.equal(doc)
      }),
      RUNS,
    )
  })

  it('JSON → document → INI → document → JSON is the identity, order kept, flat or wrapped', () => {
    fc.assert(
      fc.property(
        representableDoc.filter(d => d.some(s => s.entries.length > 0 || s.name !== 'DEFAULT')),
        doc => {
          const json = Object.fromEntries(doc.map(s => [s.name, Object.fromEntries(s.entries)]))
          for (const text of [JSON.stringify(json), JSON.stringify({svc: json}, null, 2)]) {
            const fromJson = parseDocument(text, 'svc', 'gen.json')
            const back = documentToJson(parseDocument(documentToIni(fromJson), 'svc', 'gen.conf'))
            expect(JSON.stringify(back)).to.equal(JSON.stringify(documentToJson(printed(fromJson))))
            expect(JSON.stringify(documentToJson(fromJson))).to.equal(JSON.stringify(json))
          }
        },
      ),
      RUNS,
    )
  })

  it('a JSON config is taken as written or refused naming section.keyword, never changed on the way to INI', () => {
    fc.assert(
      fc.property(
        hostileDoc.filter(d => d.some(s => s.entries.length > 0 || s.name !== 'DEFAULT')),
        doc => {
          const json = JSON.stringify(Object.fromEntries(doc.map(s => [s.name, Object.fromEntries(s.entries)])))
          let fromJson: ServiceDocument
          try {
            fromJson = parseDocument(json, 'svc', 'gen.json')
          } catch (error) {
            expectNamed(error, doc, ConfigFormatError)
            return
          }
          expect(fromJson).to.deep.equal(doc)
          expect(parseIni(documentToIni(fromJson))).to.deep.equal(printed(doc))
        },
      ),
      RUNS,
    )
  })

  it('refuses a JSON key given twice, at any level, naming it', () => {
    fc.assert(
      fc.property(
        representableDoc.filter(d => d.length > 0 && d[0].entries.length > 0),
        fc.boolean(),
        fc.boolean(),
        (doc, dupSection, wrap) => {
          const body = (s: ServiceDocument[number]) =>
            `{${s.entries.map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ')}}`
          const sections = doc.map(s => `${JSON.stringify(s.name)}: ${body(s)}`)
          const first = doc[0]
          if (dupSection) sections.push(`${JSON.stringify(first.name)}: {}`)
          else
            sections[0] = `${JSON.stringify(first.name)}: ${body({name: first.name, entries: [...first.entries, first.entries[0]]})}`
          let text = `{\n${sections.join(',\n')}\n}`
          if (wrap) text = `{"svc": ${text}}`
          expect(() => parseDocument(text, 'svc', 'gen.json')).to.throw(
            ConfigFormatError,
            dupSection
              ? `section [${first.name}] appears twice`
              : `keyword ${JSON.stringify(first.entries[0][0])} appears twice in [${first.name}]`,
          )
        },
      ),
      RUNS,
    )
  })

  it('the duplicate-key scan sees no duplicate in any JSON that has none (escapes, nesting, arrays, formatting)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(undefined, 2, '\t'), (value, indent) => {
        expect(findDuplicateKey(JSON.stringify(value, null, indent))).to.equal(undefined)
      }),
      RUNS,
    )
  })

  it('a JSON list reads back, as shell-like words, as the same list', () => {
    const word = fc.string({unit: plainChar, maxLength: 8})
    fc.assert(
      fc.property(fc.array(word, {minLength: 1, maxLength: 5}), words => {
        const doc = parseDocument(JSON.stringify({'app#1': {args: words}}), 'svc', 'gen.json')
        const raw = parseIni(documentToIni(doc))[0].entries[0][1]
        expect(splitWords(raw)).to.deep.equal(words)
      }),
      RUNS,
    )
  })

  it('durations, sizes and integers are in range or refused', () => {
    const amount = fc.oneof(fc.nat().map(String), fc.stringMatching(/^\d{1,25}(\.\d{1,3})?$/))
    fc.assert(
      fc.property(
        fc.array(fc.tuple(amount, fc.constantFrom('ms', 's', 'm', 'h', 'd')), {minLength: 1, maxLength: 3}),
        parts => {
          const d = parseDuration(parts.map(([n, u]) => n + u).join(''))
          if (d !== undefined) expect(d).to.be.within(0, MAX_DURATION_MS)
        },
      ),
      RUNS,
    )
    fc.assert(
      fc.property(amount, fc.constantFrom('', 'k', 'M', 'G', 'T', 'KiB', 'gb'), (n, u) => {
        const s = parseSize(n + u)
        if (s !== undefined) expect(Number.isSafeInteger(s) && s >= 0 && s <= MAX_SIZE).to.equal(true)
      }),
      RUNS,
    )
    fc.assert(
      fc.property(fc.stringMatching(/^-?\d{1,25}$/), n => {
        const r = parseKeywordValue({name: 'n', type: 'int', help: ''}, n)
        if (r.ok) expect(Number.isSafeInteger(r.value)).to.equal(true)
        else expect(r.expected).to.match(/^an integer between/)
        if (!r.ok) expect(Number.isSafeInteger(Number(n))).to.equal(false)
      }),
      RUNS,
    )
  })
})
