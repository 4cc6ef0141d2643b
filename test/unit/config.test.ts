import {expect} from 'chai'
import {ConfigError, ensureServiceId, normalizeDocument} from '../../src/config/compile.js'
import {ConfigFormatError, documentToIni, documentToJson, parseDocument} from '../../src/config/document.js'
import {IniSyntaxError, parseIni} from '../../src/config/ini.js'
import {parseDuration, splitWords} from '../../src/config/keywords.js'
import {compileFixture, fakeRegistry, fixture} from './fixtures/services.js'

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
    expect(parseDocument(JSON.stringify({svc2: flat}), 'svc2', 'x')).to.deep.equal(parseDocument(fixture('svc2.json'), 'svc2', 'x'))
    expect(() => parseDocument(JSON.stringify({other: flat}), 'svc2', 'x')).to.throw(ConfigFormatError, /"other"/)
  })

  it('keeps a given id and generates one otherwise', () => {
    expect(ensureServiceId(parseDocument(fixture('svc2.json'), 's', 'x'))[0].entries[0]).to.deep.equal(['id', 'fd1196ad-fbf1-49bb-ab52-12ed2a1fbf0e'])
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
    expect(compileFixture(fixture('svc2.json'), 'svc2').resources.map(r => r.rid)).to.deep.equal(['container#1', 'container#2', 'container#3', 'ip#1'])
    const bb = compileFixture(fixture('busybox.conf'), 'busybox')
    expect(bb.resource('vg#1')!.group).to.equal('disk')
    expect(bb.resource('ip#1')!.type).to.equal('host')
    expect(bb.resource('container#1')!.kw.stop_timeout).to.equal(10000)
  })

  it('names section.keyword and what was expected', () => {
    expect(problemsOf({'container#1': {type: 'docker', image: 'x', rm: 'maybe'}})).to.deep.equal(['container#1.rm: expected true or false, got "maybe"'])
    expect(problemsOf({'container#1': {type: 'docker', image: 'x', stop_timeout: 'soon'}})[0]).to.match(/^container#1.stop_timeout: expected a duration/)
    expect(problemsOf({'container#1': {type: 'docker', image: 'x', colour: 'red'}})[0]).to.match(/^container#1.colour: unknown keyword/)
    expect(problemsOf({'container#1': {type: 'docker'}})[0]).to.match(/^container#1.image: required keyword missing/)
    expect(problemsOf({'container#1': {type: 'podman', image: 'x'}})[0]).to.equal('container#1.type: expected one of docker, got "podman"')
    expect(problemsOf({'ip#1': {type: 'netns', mode: 'wild', netns: 'container#1', ipdev: 'eth0', ipname: '192.0.2.1'}})[0]).to.match(/^ip#1.mode: expected one of bridge, dedicated/)
    expect(problemsOf({'widget#1': {type: 'x'}})[0]).to.match(/^\[widget#1\]: unknown resource group "widget"/)
    expect(problemsOf({'nonsense': {a: 'b'}, 'container#1': {type: 'docker', image: 'x'}})[0]).to.match(/^\[nonsense\]: unknown section/)
  })

  it('reports a required keyword with a bad value once, not also as missing', () => {
    const svc = {'ip#1': {type: 'netns', netns: 'container#1', ipdev: 'eth0', ipname: 'not-an-ip'}, 'container#1': {type: 'docker', image: 'x'}}
    expect(problemsOf(svc)).to.deep.equal(['ip#1.ipname: expected an IPv4 address, got "not-an-ip"'])
  })

  it('collects every problem at once', () => {
    expect(problemsOf({'container#1': {type: 'docker', rm: 'x'}, 'container#2': {type: 'docker', image: 'x', tty: 'y'}})).to.have.length(3)
  })
})
