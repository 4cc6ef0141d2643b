import {expect} from 'chai'
import {parseKwAssignment} from '../../src/cli/base.js'
import {ensureServiceId, normalizeDocument} from '../../src/config/compile.js'
import {documentToIni, documentToJson, parseDocument} from '../../src/config/document.js'
import {formatIni, parseIni} from '../../src/config/ini.js'
import {parseDuration, parseKeywordValue, parseSize, splitWords} from '../../src/config/keywords.js'
import {compileFixture, fakeRegistry, fixture} from './fixtures/services.js'
import {ConfigError, ConfigFormatError, IniSyntaxError, UsageError} from '../../src/errors.js'

const SEED_PRINT_CONFIG = `[DEFAULT]
id = fd1196ad-fbf1-49bb-ab52-12ed2a1fbf0e

[container#1]
type = docker
image = google/pause
run_command = /bin/sh

[container#2]
type = docker
image = nginx
netns = container#1

[container#3]
type = docker
image = redis
netns = container#1

[ip#1]
type = netns
mode = ipvlan-l2
netns = container#1
ipdev = eth0
ipname = 5.196.34.151
netmask = 255.255.255.224
gateway = 5.196.34.158
`

describe('config documents', () => {
  it('keeps # in section names and values, comments only at line start', () => {
    const doc = parseIni('# comment\n[container#1]\nrun_command = /bin/sh -c "echo #1"\n; other\n')
    expect(doc).to.deep.equal([{name: 'container#1', entries: [['run_command', '/bin/sh -c "echo #1"']]}])
  })

  it('turns the seed JSON into the seed INI, type first and keywords in manifest order', () => {
    const doc = normalizeDocument(parseDocument(fixture('svc2.json'), 'svc2', 'seed'), fakeRegistry())
    expect(documentToIni(doc)).to.equal(SEED_PRINT_CONFIG)
  })

  it('round-trips INI → document → INI and JSON', () => {
    const doc = parseDocument(SEED_PRINT_CONFIG, 'svc2', 'x')
    expect(documentToIni(doc)).to.equal(SEED_PRINT_CONFIG)
    expect(documentToIni(parseDocument(JSON.stringify(documentToJson(doc)), 'svc2', 'x'))).to.equal(SEED_PRINT_CONFIG)
  })

  it('accepts the wrapped {"svc2": {...}} form and refuses a wrap naming another service', () => {
    const flat = JSON.parse(fixture('svc2.json'))
    expect(parseDocument(JSON.stringify({svc2: flat}), 'svc2', 'x')).to.deep.equal(
      parseDocument(fixture('svc2.json'), 'svc2', 'x'),
    )
    expect(() => parseDocument(JSON.stringify({other: flat}), 'svc2', 'x')).to.throw(ConfigFormatError, /"other"/)
  })

  it('keeps a given id and generates one otherwise', () => {
    expect(ensureServiceId(parseDocument(fixture('svc2.json'), 's', 'x'))[0].entries[0]).to.deep.equal([
      'id',
      'fd1196ad-fbf1-49bb-ab52-12ed2a1fbf0e',
    ])
    const generated = ensureServiceId(parseDocument('[container#1]\ntype = docker\nimage = x\n', 's', 'x'))
    expect(generated[0].name).to.equal('DEFAULT')
    expect(generated[0].entries[0][1]).to.match(/^[0-9a-f-]{36}$/)
  })

  it('names the line of an INI syntax error', () => {
    expect(() => parseIni('[a#1]\nthis is not a keyword line\n', 'f.conf')).to.throw(IniSyntaxError, /f.conf line 2/)
    expect(() => parseIni('image = x\n', 'f.conf')).to.throw(IniSyntaxError, /before any \[section\]/)
  })

  it('parses durations and shell-like words', () => {
    expect(parseDuration('10s')).to.equal(10000)
    expect(parseDuration('1m30s')).to.equal(90000)
    expect(parseDuration('500ms')).to.equal(500)
    expect(parseDuration('5')).to.equal(5000)
    expect(parseDuration('soon')).to.equal(undefined)
    expect(splitWords(`/bin/sh -c "echo a b" 'x y'`)).to.deep.equal(['/bin/sh', '-c', 'echo a b', 'x y'])
    expect(splitWords('"unbalanced')).to.equal(undefined)
  })
})

// One test per bug the properties of config-properties.test.ts found (or showed by reading), named after it.
describe('config parsing regressions', () => {
  const json = (sections: object) => JSON.stringify(sections)

  it('the printer wrote an empty keyword ("= ") that the parser refuses: refused naming it', () => {
    expect(() => formatIni([{name: 'container#0', entries: [['', '']]}])).to.throw(
      IniSyntaxError,
      'container#0."": a keyword cannot be empty',
    )
  })

  it('an indented "; ..." line was read as the keyword ";" and printed as a comment: it is a comment, as in configparser', () => {
    expect(parseIni('[container#0]\n\t;:\n  # note\nimage = x\n')).to.deep.equal([
      {name: 'container#0', entries: [['image', 'x']]},
    ])
  })

  it('a JSON value with whitespace at its ends (U+3000) was trimmed on the way to INI: refused naming section.keyword', () => {
    expect(() => parseDocument(json({'container#0': {a: '\u3000'}}), 's', 'x')).to.throw(
      ConfigFormatError,
      'container#0.a: the value starts or ends with whitespace',
    )
    expect(() => parseDocument(json({'container#1': {image: ' nginx'}}), 's', 'x')).to.throw(
      ConfigFormatError,
      'container#1.image',
    )
  })

  it('a value holding a blank line and "[section]" injected a section when printed (set, print config): kept as one value, as configparser reads it', () => {
    const doc = [{name: 'container#1', entries: [['image', 'x\n\n[container#9]\ntype = docker'] as [string, string]]}]
    expect(documentToIni(doc)).to.equal('[container#1]\nimage = x\n\n\t[container#9]\n\ttype = docker\n')
    expect(parseIni(documentToIni(doc))).to.deep.equal(doc)
    // what it cannot hold is refused: a trailing line break, a continuation line read as a comment
    expect(() => documentToIni([{name: 'task#1', entries: [['command', 'a\n']]}])).to.throw(
      IniSyntaxError,
      'task#1.command: the value ends with a line break',
    )
    expect(() => parseDocument(json({'task#1': {command: 'a\n# b'}}), 's', 'x')).to.throw(
      ConfigFormatError,
      'task#1.command: line 2 of the value starts with "#"',
    )
  })

  it('a line indented deeper than its keyword after a blank line was read as a new keyword or section: it continues the value, as in configparser', () => {
    expect(parseIni('[container#1]\ntype = docker\n\n  image = x\n\t[container#2]\n\n\n')).to.deep.equal([
      {name: 'container#1', entries: [['type', 'docker\n\nimage = x\n[container#2]']]},
    ])
    // indented as deep as the keyword: a keyword of its own
    expect(parseIni('[container#1]\n  type = docker\n\n  image = x\n')).to.deep.equal([
      {
        name: 'container#1',
        entries: [
          ['type', 'docker'],
          ['image', 'x'],
        ],
      },
    ])
    expect(() => parseIni('[ container#1 ]\n', 'f.conf')).to.throw(
      IniSyntaxError,
      'f.conf line 1: a section name cannot be empty or start or end with whitespace',
    )
  })

  it('set --kw with a value or section the config file cannot hold was only caught when writing: refused as --kw', () => {
    expect(() => parseKwAssignment('container#1.image=x\n# [container#9]', true)).to.throw(
      UsageError,
      '--kw: container#1.image: line 2 of the value starts with "#"',
    )
    expect(() => parseKwAssignment('container#1.image=a\x1b[2Jb', true)).to.throw(
      UsageError,
      '--kw: container#1.image: the value holds the control character U+001B',
    )
    expect(() => parseKwAssignment('subset#container:a\n[x#1].parallel=true', true)).to.throw(
      UsageError,
      /^--kw: \["subset#container:a\\n\[x#1\]"\]: a section name cannot hold/,
    )
    expect(() => parseKwAssignment('container#1.image= nginx', true)).to.throw(
      UsageError,
      'starts or ends with whitespace',
    )
    expect(parseKwAssignment('container#1.run_command=/bin/sh -c "echo #1; a=b"', true).value).to.equal(
      '/bin/sh -c "echo #1; a=b"',
    )
  })

  it('control characters (NUL, ESC, CR, DEL, C1), U+2028, U+FEFF inside a line and lone surrogates are refused, in files and in JSON, and never shown raw', () => {
    for (const c of ['\0', '\x1b', '\r', '\x7f', '\x9b', '\u2028', '\ufeff', '\ud800']) {
      expect(() => parseDocument(json({'container#1': {image: `a${c}b`}}), 's', 'x'), JSON.stringify(c)).to.throw(
        ConfigFormatError,
        /^container#1\.image: the value holds the (control )?character U\+/,
      )
      expect(() => parseIni(`[container#1]\nimage = a${c}b\n`, 'f.conf'), JSON.stringify(c)).to.throw(
        IniSyntaxError,
        /^f\.conf line 2: holds the (control )?character U\+/,
      )
    }
    expect(() => parseIni('[container#1]\nimage = a\u2028b\n', 'f.conf')).to.throw(
      IniSyntaxError,
      'f.conf line 2: holds the character U+2028, which a config file cannot hold',
    )
    expect(() => parseDocument(json({'container#1\x1b[2J': {image: 'x'}}), 's', 'x')).to.throw(
      ConfigFormatError,
      '["container#1\\u001b[2J"]: a section name cannot hold the control character U+001B',
    )
    expect(() => parseDocument(json({'container#1': {'im\x9bage': 'x'}}), 's', 'x')).to.throw(
      ConfigFormatError,
      'container#1."im\\u009bage": a keyword cannot hold',
    )
    // CRLF files still read: only a CR that is not part of a line end is refused
    expect(parseIni('[container#1]\r\nimage = x\r\n')).to.deep.equal([{name: 'container#1', entries: [['image', 'x']]}])
    // a CR before the CR of a line end, or ending the text, is one (the text is scanned whole first, then its lines)
    for (const text of ['[container#1]\r\nimage = x\r\r\n', '[container#1]\nimage = x\r'])
      expect(() => parseIni(text, 'f.conf'), JSON.stringify(text)).to.throw(
        IniSyntaxError,
        'f.conf line 2: holds the control character U+000D',
      )
  })

  it('JSON duplicate keys were silently kept last: refused naming the key and where, flat or wrapped', () => {
    expect(() =>
      parseDocument('{"container#1": {"image": "a"},\n "container#1": {"image": "b"}}', 's', 'f.json'),
    ).to.throw(ConfigFormatError, 'f.json line 2: section [container#1] appears twice')
    expect(() => parseDocument('{"s": {"container#1": {"image": "a",\n"ima\\u0067e": "b"}}}', 's', 'f.json')).to.throw(
      ConfigFormatError,
      'f.json line 2: keyword "image" appears twice in [container#1]',
    )
    expect(() => parseDocument('{"s": {}, "s": {"container#1": {}}}', 's', 'f.json')).to.throw(
      ConfigFormatError,
      '"s" appears twice in the top-level object',
    )
    // the same key in different sections, or in nested values, is no duplicate
    expect(
      parseDocument(
        '{"container#1": {"image": "a"}, "container#2": {"image": "a", "tags": ["x", "x"]}}',
        's',
        'f.json',
      ),
    ).to.have.length(2)
  })

  it('a JSON list item that is empty or holds a backslash was lost or changed: quoted so the words read back the same', () => {
    const raw = (items: string[]) => parseDocument(json({'app#1': {args: items}}), 's', 'x')[0].entries[0][1]
    expect(splitWords(raw(['', 'a\\b', 'say "hi"', '$HOME', 'x y']))).to.deep.equal([
      '',
      'a\\b',
      'say "hi"',
      '$HOME',
      'x y',
    ])
    expect(raw(['a', 'b c'])).to.equal('a "b c"')
  })

  it('a JSON config starting with a UTF-8 byte order mark was refused as invalid JSON: read like the INI one', () => {
    expect(parseDocument('\ufeff{"container#1": {"image": "a"}}', 's', 'f')).to.deep.equal([
      {name: 'container#1', entries: [['image', 'a']]},
    ])
    expect(parseIni('\ufeff[container#1]\nimage = a\n')).to.deep.equal([
      {name: 'container#1', entries: [['image', 'a']]},
    ])
  })

  it('a value ending with U+FEFF lost it (JavaScript trims it, Python does not): refused', () => {
    expect(() => parseIni('[ip#61]\na = x\ufeff\n', 'f.conf')).to.throw(
      IniSyntaxError,
      'f.conf line 2: holds the character U+FEFF',
    )
  })

  it('an empty config made an empty service: refused (nothing, comments only, {}, a wrapped {}, only an empty DEFAULT)', () => {
    for (const text of ['', ' \n\t\n', '# nothing\n; here\n', '{}', ' {"svc2": {}}', '[DEFAULT]\n', '{"DEFAULT": {}}'])
      expect(() => parseDocument(text, 'svc2', 'f'), JSON.stringify(text)).to.throw(
        ConfigFormatError,
        'f: the config is empty',
      )
    // DEFAULT keywords without resources are a service (OpenSVC allows it)
    expect(parseDocument('[DEFAULT]\nnodes = n1\n', 'svc2', 'f')).to.deep.equal([
      {name: 'DEFAULT', entries: [['nodes', 'n1']]},
    ])
  })

  it('a 25-day duration (over 2^31-1 ms, which Node fires at once) and 99999999999999999999d were accepted: refused', () => {
    expect(parseDuration('24d20h31m23s647ms')).to.equal(2 ** 31 - 1)
    expect(parseDuration('24d20h31m23s648ms')).to.equal(undefined)
    expect(parseDuration('25d')).to.equal(undefined)
    expect(parseDuration('99999999999999999999d')).to.equal(undefined)
    expect(parseDuration('99999999999999999999')).to.equal(undefined)
    expect(parseKeywordValue({name: 't', type: 'duration', help: ''}, '99999999999999999999d')).to.deep.equal({
      ok: false,
      expected: 'a duration of at most 24d20h31m23s647ms (2^31-1 ms, the longest timer Node.js keeps)',
    })
  })

  it('sizes and integers past 2^53 were accepted as rounded numbers: refused', () => {
    expect(parseSize('8191T')).to.equal(8191 * 1024 ** 4)
    expect(parseSize('8192T')).to.equal(undefined)
    expect(parseSize('99999999999999999999')).to.equal(undefined)
    expect(parseKeywordValue({name: 's', type: 'size', help: ''}, '9000T')).to.deep.equal({
      ok: false,
      expected: 'a size of at most 8191T (2^53-1 bytes)',
    })
    expect(parseKeywordValue({name: 'n', type: 'int', help: ''}, 'big')).to.deep.equal({
      ok: false,
      expected: 'an integer',
    })
    expect(parseKeywordValue({name: 'n', type: 'int', help: ''}, '9007199254740991')).to.deep.equal({
      ok: true,
      value: 9007199254740991,
    })
    expect(parseKeywordValue({name: 'n', type: 'int', help: ''}, '9007199254740993')).to.deep.equal({
      ok: false,
      expected: 'an integer between -9007199254740991 and 9007199254740991',
    })
  })
})

describe('config validation', () => {
  const problemsOf = (json: object) => {
    try {
      compileFixture(JSON.stringify(json), 's')
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError)
      return (error as ConfigError).problems
    }
    throw new Error('expected the config to be refused')
  }

  it('compiles the seed services', () => {
    expect(compileFixture(fixture('svc2.json'), 'svc2').resources.map(r => r.rid)).to.deep.equal([
      'container#1',
      'container#2',
      'container#3',
      'ip#1',
    ])
    const bb = compileFixture(fixture('busybox.conf'), 'busybox')
    expect(bb.resource('vg#1')!.group).to.equal('disk')
    expect(bb.resource('ip#1')!.type).to.equal('host')
    expect(bb.resource('container#1')!.kw.stop_timeout).to.equal(10000)
  })

  it('names section.keyword and what was expected', () => {
    expect(problemsOf({'container#1': {type: 'docker', image: 'x', rm: 'maybe'}})).to.deep.equal([
      'container#1.rm: expected true or false, got "maybe"',
    ])
    expect(problemsOf({'container#1': {type: 'docker', image: 'x', stop_timeout: 'soon'}})[0]).to.match(
      /^container#1.stop_timeout: expected a duration/,
    )
    expect(
      problemsOf({'container#1': {type: 'docker', image: 'x', stop_timeout: '99999999999999999999d'}}),
    ).to.deep.equal([
      'container#1.stop_timeout: expected a duration of at most 24d20h31m23s647ms (2^31-1 ms, the longest timer Node.js keeps), got "99999999999999999999d"',
    ])
    expect(problemsOf({'container#1': {type: 'docker', image: 'x', colour: 'red'}})[0]).to.match(
      /^container#1.colour: unknown keyword/,
    )
    expect(problemsOf({'container#1': {type: 'docker'}})[0]).to.match(/^container#1.image: required keyword missing/)
    expect(problemsOf({'container#1': {type: 'podman', image: 'x'}})[0]).to.equal(
      'container#1.type: expected one of docker, got "podman"',
    )
    expect(
      problemsOf({'ip#1': {type: 'netns', mode: 'wild', netns: 'container#1', ipdev: 'eth0', ipname: '192.0.2.1'}})[0],
    ).to.match(/^ip#1.mode: expected one of bridge, dedicated/)
    expect(problemsOf({'widget#1': {type: 'x'}})[0]).to.match(/^\[widget#1\]: unknown resource group "widget"/)
    expect(problemsOf({nonsense: {a: 'b'}, 'container#1': {type: 'docker', image: 'x'}})[0]).to.match(
      /^\[nonsense\]: unknown section/,
    )
  })

  it('reports a required keyword with a bad value once, not also as missing', () => {
    const svc = {
      'ip#1': {type: 'netns', netns: 'container#1', ipdev: 'eth0', ipname: 'not-an-ip'},
      'container#1': {type: 'docker', image: 'x'},
    }
    expect(problemsOf(svc)).to.deep.equal(['ip#1.ipname: expected an IPv4 address, got "not-an-ip"'])
  })

  it('collects every problem at once', () => {
    expect(
      problemsOf({'container#1': {type: 'docker', rm: 'x'}, 'container#2': {type: 'docker', image: 'x', tty: 'y'}}),
    ).to.have.length(3)
  })
})
