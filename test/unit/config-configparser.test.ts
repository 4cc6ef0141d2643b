/**
 * OpenSVC reads service configs with Python's configparser: svcmgr's INI must mean the same to it.
 * Generated documents, as svcmgr prints them, and generated INI text that svcmgr reads, are read
 * by the real configparser (strict, no interpolation, keyword case kept) in one python3 process;
 * both must give the same sections, keywords and values. Skipped, saying so, without python3.
 */
import {execFileSync} from 'node:child_process'
import {expect} from 'chai'
import fc from 'fast-check'
import {type ServiceDocument, documentToIni} from '../../src/config/document.js'
import {parseIni} from '../../src/config/ini.js'
import {RUNS, iniLine, representableDoc} from './fixtures/config-arbitraries.js'

const READER = `
import configparser, json, sys
out = []
for text in json.load(sys.stdin):
    cp = configparser.ConfigParser(interpolation=None, strict=True)
    cp.optionxform = str
    try:
        cp.read_string(text)
    except configparser.Error as e:
        out.append({'error': type(e).__name__})
        continue
    sections = [{'name': 'DEFAULT', 'entries': [[k, v] for k, v in cp.defaults().items()]}] if cp.defaults() else []
    sections += [{'name': s, 'entries': [[k, v] for k, v in cp._sections[s].items()]} for s in cp.sections()]
    out.append({'sections': sections})
json.dump(out, sys.stdout)
`

function python3(): string | undefined {
  try {
    execFileSync('python3', ['-c', 'import configparser'], {stdio: 'ignore'})
    return 'python3'
  } catch {
    return undefined
  }
}

/** As configparser lists them: DEFAULT first (its keywords only), an empty DEFAULT not at all. */
const asConfigparser = (doc: ServiceDocument) => [
  ...doc.filter(s => s.name === 'DEFAULT' && s.entries.length > 0),
  ...doc.filter(s => s.name !== 'DEFAULT'),
]

describe("INI as Python's configparser reads it", function () {
  this.timeout(60_000)
  const python = python3()
  before(function () {
    if (!python) {
      console.log('      skipped: python3 with configparser not found on PATH (apt-get install python3)')
      this.skip()
    }
  })

  const readAll = (texts: string[]): Array<{error?: string; sections?: ServiceDocument}> =>
    JSON.parse(
      execFileSync(python!, ['-c', READER], {
        input: JSON.stringify(texts),
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      }),
    )

  it('reads every document svcmgr prints as svcmgr does', () => {
    const docs = fc.sample(representableDoc, RUNS.numRuns * 2)
    const read = readAll(docs.map(documentToIni))
    docs.forEach((doc, i) => expect(read[i], documentToIni(doc)).to.deep.equal({sections: asConfigparser(doc)}))
  })

  it('reads every INI text svcmgr accepts as svcmgr does (svcmgr may only be stricter)', () => {
    // svcmgr skips a byte order mark that starts the file; configparser reads it as text
    const texts = fc
      .sample(fc.array(iniLine, {maxLength: 12}), RUNS.numRuns * 4)
      .map(lines => lines.join('\n') + '\n')
      .filter(t => !t.startsWith('\ufeff'))
    const accepted = texts.flatMap(text => {
      try {
        return [{text, doc: parseIni(text)}]
      } catch {
        return []
      }
    })
    expect(accepted.length).to.be.above(texts.length / 10)
    const read = readAll(accepted.map(a => a.text))
    accepted.forEach((a, i) => expect(read[i], a.text).to.deep.equal({sections: asConfigparser(a.doc)}))
  })
})
