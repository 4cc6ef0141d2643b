// The JSON Schema of `svcmgr print schema`, checked with a real validator (Ajv, draft 2020-12):
// it accepts the seed's configs, rejects bad keywords and values with their paths, and agrees
// with the core's own compile on what is valid.
import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import {Ajv2020, type ErrorObject} from 'ajv/dist/2020.js'
import {compileService} from '../../src/config/compile.js'
import {documentToJson, parseDocument} from '../../src/config/document.js'
import {DriverRegistry} from '../../src/drivers/registry.js'
import {buildConfigSchema, JSON_SCHEMA_DIALECT} from '../../src/schema/config-schema.js'
import {registration as appRegistration} from '../../plugins/app/src/hooks/drivers.js'
import {registration as dockerRegistration} from '../../plugins/docker/src/hooks/drivers.js'
import {fakeRegistration} from './fixtures/fake-drivers.js'

const SVC2 = JSON.parse(readFileSync(new URL('../fixtures/svc2.json', import.meta.url), 'utf8'))
const BUSYBOX = readFileSync(new URL('../fixtures/busybox.conf', import.meta.url), 'utf8')

function fakeRegistry(): DriverRegistry {
  const r = new DriverRegistry()
  r.add('fake-drivers', fakeRegistration().registration)
  r.add('svcmgr-plugin-app', appRegistration)
  expect(r.problems).to.deep.equal([])
  return r
}

function validator(registry: DriverRegistry) {
  const schema = buildConfigSchema({drivers: registry.drivers(), defaultKeywords: registry.defaultKeywords})
  const ajv = new Ajv2020({allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true})
  const validate = ajv.compile(schema)
  return (config: unknown): ErrorObject[] => (validate(config) ? [] : (validate.errors ?? []))
}

/** The errors as "path: message", the path ending with the offending keyword for unknown ones (Ajv's "must match then" summaries left out). */
function paths(errors: ErrorObject[]): string[] {
  return errors
    .filter(e => e.keyword !== 'if')
    .map(e =>
      e.keyword === 'additionalProperties'
        ? `${e.instancePath}/${(e.params as {additionalProperty: string}).additionalProperty}: unknown keyword`
        : `${e.instancePath}: ${e.message}`,
    )
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v))

function compiles(registry: DriverRegistry, config: object): boolean {
  try {
    compileService(parseDocument(JSON.stringify(config), 'svc', 'test'), registry, {
      name: 'svc',
      nodename: 'n1',
      varDir: '/tmp/x',
    })
    return true
  } catch {
    return false
  }
}

describe('svcmgr print schema: the JSON Schema of a service config', () => {
  const registry = fakeRegistry()
  const check = validator(registry)

  it('is a draft 2020-12 schema built from the loaded drivers', () => {
    const schema = buildConfigSchema({drivers: registry.drivers(), defaultKeywords: registry.defaultKeywords})
    expect(schema.$schema).to.equal(JSON_SCHEMA_DIALECT)
    const defs = Object.keys(schema.$defs as object)
    expect(defs).to.include.members([
      'DEFAULT',
      'subset',
      'container.docker',
      'ip.netns',
      'ip.host',
      'disk.vg',
      'fs.ext4',
      'app.forking',
      'app.simple',
    ])
    expect(Object.keys(schema.patternProperties as object)).to.include.members([
      '^container#[A-Za-z0-9_.-]+$',
      '^vg#[A-Za-z0-9_.-]+$',
      '^app#[A-Za-z0-9_.-]+$',
      '^subset#container(\\.[a-z0-9_]+)?:.+$',
    ])
  })

  it("validates the seed's svc2 JSON", () => {
    expect(paths(check(SVC2))).to.deep.equal([])
  })

  it("validates the seed's busybox config (subsets, DEFAULT keywords) in its JSON form", () => {
    const json = documentToJson(parseDocument(BUSYBOX, 'busybox', 'busybox.conf'))
    expect(json['subset#container.docker:01appservers']).to.deep.equal({parallel: 'true'})
    expect(paths(check(json))).to.deep.equal([])
  })

  it('rejects an unknown keyword with its path', () => {
    const bad = clone(SVC2)
    bad['container#2'].bogus = 'x'
    expect(paths(check(bad))).to.deep.equal(['/container#2/bogus: unknown keyword'])
  })

  it('rejects a bad value with its path', () => {
    const bad = clone(SVC2)
    bad['ip#1'].mode = 'ipvlan-l9'
    bad['container#3'].rm = 'maybe'
    bad['container#1'].stop_timeout = 'ten seconds'
    const got = paths(check(bad))
    expect(got).to.include('/ip#1/mode: must be equal to one of the allowed values')
    expect(got.filter(p => p.startsWith('/container#3/rm'))).to.not.be.empty
    expect(got.filter(p => p.startsWith('/container#1/stop_timeout'))).to.not.be.empty
  })

  it('rejects an unknown section, an unknown type and a missing required keyword', () => {
    const bad = clone(SVC2)
    bad['foo#1'] = {}
    bad['container#1'].type = 'lxc'
    delete bad['ip#1'].ipname
    const got = paths(check(bad))
    expect(got).to.include('/foo#1: unknown keyword')
    expect(got).to.include('/container#1/type: must be equal to one of the allowed values')
    expect(got).to.include(": must have required property 'ipname'".replace(/^/, '/ip#1'))
  })

  it('takes natural JSON values as well as INI strings', () => {
    const cfg = clone(SVC2)
    cfg['container#1'].rm = true
    cfg['container#1'].stop_timeout = 10
    cfg['container#1'].run_command = ['/bin/sh', '-c', 'sleep 1']
    cfg['container#2'].rm = 'Yes'
    cfg['container#2'].stop_timeout = '1m30s'
    cfg['container#2'].tags = 'web front'
    expect(paths(check(cfg))).to.deep.equal([])
  })

  it("puts the parser's bounds on JSON numbers, as compile does: durations up to 2^31-1 ms, sizes and ints within 2^53-1", () => {
    const app = (kw: object) => ({'app#1': {start: '/bin/true', ...kw}})
    const cases: Array<[object, boolean]> = [
      [app({timeout: 2147483.647}), true],
      [app({timeout: 2147483.648}), false],
      [app({timeout: 1e-7}), false],
      [app({limit_as: 9007199254740991}), true],
      [app({limit_as: 9007199254740992}), false],
      [app({limit_as: 1.5}), true],
      [app({limit_nofile: -9007199254740992}), false],
      [app({limit_nofile: 1e21}), false],
    ]
    for (const [config, valid] of cases) {
      expect(check(config).length === 0, `schema, ${JSON.stringify(config)}`).to.equal(valid)
      expect(compiles(registry, config), `compile, ${JSON.stringify(config)}`).to.equal(valid)
    }
    expect(paths(check(app({timeout: 2147483.648})))).to.include('/app#1/timeout: must be <= 2147483.647')
  })

  it('uses the default type of a group for a section without `type`, and a section alias', () => {
    expect(
      paths(check({'app#1': {start: '/usr/bin/app start', check: ['/usr/bin/app', 'status'], timeout: '1m'}})),
    ).to.deep.equal([])
    expect(paths(check({'app#1': {start: '/bin/true', image: 'nginx'}}))).to.deep.equal([
      '/app#1/image: unknown keyword',
    ])
    expect(paths(check({'app#2': {type: 'simple', start: '/bin/sleep 9', limit_nofile: 1024}}))).to.deep.equal([])
    expect(paths(check({'vg#1': {vgname: 'data'}}))).to.deep.equal([])
    expect(paths(check({'vg#1': {name: 'data', bogus: 1}}))).to.deep.equal(['/vg#1/bogus: unknown keyword'])
    // ip has a default type (host) in the fakes; container has none
    expect(paths(check({'container#1': {image: 'nginx'}}))).to.include(
      "/container#1: must have required property 'type'",
    )
  })

  it('agrees with compile on what is valid', () => {
    const cases: object[] = [
      SVC2,
      {...clone(SVC2), 'container#9': {type: 'docker'}},
      {'app#1': {start: '/bin/true', user: 'www'}},
      {'app#1': {start: '/bin/true', nosuch: '1'}},
      {'app#1': {type: 'forking', start_timeout: '10x'}},
      {'ip#1': {ipname: '10.0.0.1', ipdev: 'eth0'}},
      {'ip#1': {type: 'docker', ipname: '10.0.0.1', ipdev: 'eth0', netns: 'container#1'}},
      {DEFAULT: {orchestrate: 'maybe'}},
      {DEFAULT: {orchestrate: 'ha', docker_data_dir: '/srv/d'}},
      {'subset#app:01': {parallel: 'on'}},
      {'subset#app:01': {parallel: 'on', extra: 1}},
      {'fs#1': {type: 'xfs', dev: '/dev/vg/lv', mnt: '/srv'}},
      {'fs#1': {type: 'xfs', dev: '/dev/vg/lv'}},
    ]
    for (const c of cases) expect(check(c).length === 0, JSON.stringify(c)).to.equal(compiles(registry, c))
  })

  it("is built from real drivers' manifests too (container.docker, app)", () => {
    const real = new DriverRegistry()
    real.add('@svcmgr/plugin-docker', dockerRegistration)
    real.add('svcmgr-plugin-app', appRegistration)
    const checkReal = validator(real)
    const {['ip#1']: _ip, ...containers} = SVC2
    expect(paths(checkReal(containers))).to.deep.equal([])
    expect(
      paths(checkReal({...containers, 'container#2': {...SVC2['container#2'], image_pull_policy: 'sometimes'}})),
    ).to.include('/container#2/image_pull_policy: must be equal to one of the allowed values')
    expect(paths(checkReal({DEFAULT: {docker_daemon_private: 'yes'}}))).to.deep.equal([])
  })
})
