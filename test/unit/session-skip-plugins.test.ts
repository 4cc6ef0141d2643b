/**
 * Session.skipUnneeded and loadDriverRegistry's skip: a command on one service runs the hooks of
 * the plugins its config can need only, among those declaring what they serve; real hook
 * modules on disk, run by the lean path's LeanConfig (oclif's runHook takes the same view).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import type {Interfaces} from '@oclif/core'
import {LeanConfig, leanConfig, type LeanPlugin} from '../../src/cli/lean-status.js'
import {parseDocument, type ServiceDocument} from '../../src/config/document.js'
import {loadDriverRegistry} from '../../src/drivers/load.js'
import {Session} from '../../src/services/session.js'

const REPO = new URL('../..', import.meta.url).pathname

/** The hooks that ran, in this process (each fake hook adds its plugin's name). */
const ran = (): string[] => ((globalThis as {svcmgrSkipTestRan?: string[]}).svcmgrSkipTestRan ??= [])

describe('a command on one service: the plugins its config cannot need are not loaded', function () {
  let root: string
  const saved = process.env.SVCMGR_ROOT
  let counter = 0

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-skip-'))
    process.env.SVCMGR_ROOT = root
    ran().length = 0
  })
  afterEach(() => {
    if (saved === undefined) delete process.env.SVCMGR_ROOT
    else process.env.SVCMGR_ROOT = saved
    fs.rmSync(root, {recursive: true, force: true})
  })

  /** A plugin whose hook registers a null driver of each `group.type`, and notes that it ran. */
  function plugin(
    name: string,
    types: string[],
    serves?: {sectionGroups: string[]; types: string[]; defaultKeywords: string[]},
  ): LeanPlugin {
    const dir = path.join(root, 'plugins', name)
    fs.mkdirSync(dir, {recursive: true})
    const drivers = types.map(t => {
      const [group, type] = t.split('.')
      return `{group: '${group}', type: '${type}', description: 'does nothing', keywords: [], label: () => 'null', describe: () => [], status: async () => ({status: 'n/a'}), start: async () => 'unchanged', stop: async () => 'unchanged'}`
    })
    // a new file name each time: the module cache would otherwise keep the first one
    const file = `hook${++counter}.mjs`
    fs.writeFileSync(
      path.join(dir, file),
      `export default async function () { (globalThis.svcmgrSkipTestRan ??= []).push('${name}'); return {drivers: [${drivers.join(', ')}]} }\n`,
    )
    return {
      name,
      type: 'user',
      version: '1.0.0',
      root: dir,
      hooks: {'svcmgr:drivers': [{target: `./${file}`, identifier: 'default'}]},
      ...(serves ? {serves} : {}),
    }
  }
  const declares = (group: string, types: string[]) => ({sectionGroups: [group], types, defaultKeywords: []})

  async function sessionOf(plugins: LeanPlugin[], stored: Record<string, string>): Promise<Session> {
    const config = new LeanConfig(path.join(root, 'data'), plugins)
    const session = await Session.open(config as unknown as Interfaces.Config)
    for (const [name, ini] of Object.entries(stored)) session.store.write(name, parseDocument(ini, name, name))
    return session
  }

  /** svc (alpha) stored beside other (beta), the beta plugin skipped for svc. */
  async function alphaSkippingBeta(): Promise<Session> {
    const session = await sessionOf(
      [
        plugin('pa', ['alpha.x'], declares('alpha', ['alpha.x'])),
        plugin('pb', ['beta.y'], declares('beta', ['beta.y'])),
      ],
      {svc: '[alpha#1]\ntype = x\n', other: '[beta#1]\ntype = y\n'},
    )
    session.skipUnneeded('svc')
    return session
  }

  it('leaves out a declaring plugin the config cannot need; one declaring nothing always runs', async () => {
    const session = await sessionOf(
      [
        plugin('pa', ['alpha.x'], declares('alpha', ['alpha.x'])),
        plugin('pb', ['beta.y'], declares('beta', ['beta.y'])),
        plugin('pc', ['gamma.z']),
      ],
      {svc: '[alpha#1]\ntype = x\n'},
    )
    session.skipUnneeded('svc')
    expect([...session.skipped]).to.deep.equal(['pb'])
    const registry = await session.registry()
    expect(ran().sort()).to.deep.equal(['pa', 'pc'])
    expect(registry.find('alpha', 'x')).to.not.equal(undefined)
    expect(registry.find('gamma', 'z')).to.not.equal(undefined)
    expect(registry.find('beta', 'y')).to.equal(undefined)
    expect((await session.load('svc')).service.resources.map(r => r.rid)).to.deep.equal(['alpha#1'])
  })

  it('a config compiled later that needs a skipped plugin gets every plugin', async () => {
    const session = await alphaSkippingBeta()
    await session.load('svc')
    expect(ran()).to.deep.equal(['pa'])
    const {service} = await session.load('other')
    expect(service.resources.map(r => `${r.rid} ${r.driver.group}.${r.driver.type}`)).to.deep.equal(['beta#1 beta.y'])
    expect(ran().sort()).to.deep.equal(['pa', 'pa', 'pb'])
  })

  it('two configs compiled at once, both needing a skipped plugin: both get every plugin', async () => {
    const session = await alphaSkippingBeta()
    const third = parseDocument('[beta#2]\ntype = y\n', 'third', 'third')
    const [a, b] = await Promise.all([session.load('other'), session.compile('third', third)])
    expect(a.service.resources.map(r => r.driver.type)).to.deep.equal(['y'])
    expect(b.resources.map(r => r.driver.type)).to.deep.equal(['y'])
    expect([...session.skipped]).to.deep.equal([])
    expect(ran().sort()).to.deep.equal(['pa', 'pa', 'pb'])
  })

  it('nothing is left out for a section no declaration covers, a missing service, or once the drivers are loaded', async () => {
    const plugins = [
      plugin('pa', ['alpha.x'], declares('alpha', ['alpha.x'])),
      plugin('pb', ['beta.y'], declares('beta', ['beta.y'])),
      plugin('pc', ['gamma.z']),
    ]
    const s1 = await sessionOf(plugins, {svc: '[gamma#1]\ntype = z\n'})
    s1.skipUnneeded('svc')
    expect([...s1.skipped]).to.deep.equal([])
    const s2 = await sessionOf(plugins, {})
    s2.skipUnneeded('svc')
    expect([...s2.skipped]).to.deep.equal([])
    const s3 = await sessionOf(plugins, {svc: '[alpha#1]\ntype = x\n'})
    await s3.registry()
    s3.skipUnneeded('svc')
    expect([...s3.skipped]).to.deep.equal([])
  })

  it('apply: neither the stored config nor the one to apply may need a skipped plugin', async () => {
    const plugins = [
      plugin('pa', ['alpha.x'], declares('alpha', ['alpha.x'])),
      plugin('pb', ['beta.y'], declares('beta', ['beta.y'])),
      plugin('pd', ['delta.w'], declares('delta', ['delta.w'])),
    ]
    const doc = (ini: string): ServiceDocument => parseDocument(ini, 'svc', 'svc')
    const session = await sessionOf(plugins, {svc: '[alpha#1]\ntype = x\n'})
    session.skipUnneeded('svc', [doc('[beta#1]\ntype = y\n')])
    expect([...session.skipped]).to.deep.equal(['pd'])
    // a new service: the config to apply alone
    const fresh = await sessionOf(plugins, {})
    fresh.skipUnneeded('new', [doc('[beta#1]\ntype = y\n')])
    expect([...fresh.skipped].sort()).to.deep.equal(['pa', 'pd'])
  })

  it('a skipped plugin declaring a type another registers runs too: the conflict is reported as without the skip', async () => {
    const config = new LeanConfig(path.join(root, 'data'), [
      plugin('pa', ['alpha.x'], declares('alpha', ['alpha.x'])),
      plugin('pb', ['beta.y'], declares('beta', ['beta.y'])),
      plugin('pz', ['beta.y']),
    ])
    const registry = await loadDriverRegistry(config as unknown as Interfaces.Config, new Set(['pb']))
    expect(ran().sort()).to.deep.equal(['pa', 'pb', 'pz'])
    const unskipped = await loadDriverRegistry(config as unknown as Interfaces.Config)
    expect(registry.problems).to.deep.equal(unskipped.problems)
    expect(registry.problems.map(p => p.message).join('\n')).to.include('beta.y')
  })

  it('a declaration that is not what the hook registers is reported, naming both', async () => {
    const config = new LeanConfig(path.join(root, 'data'), [
      plugin('pw', ['alpha.x', 'beta.y'], declares('alpha', ['alpha.x'])),
    ])
    const registry = await loadDriverRegistry(config as unknown as Interfaces.Config)
    expect(registry.find('beta', 'y'), 'its drivers are still loaded').to.not.equal(undefined)
    expect(registry.problems).to.have.length(1)
    expect(registry.problems[0].plugin).to.equal('pw')
    expect(registry.problems[0].message).to.match(
      /svcmgrPlugin\.serves says section groups \[alpha\], types \[alpha\.x\].*but its drivers serve section groups \[alpha, beta\], types \[alpha\.x, beta\.y\]/,
    )
  })

  it("svcmgr's own plugins: a docker-only service leaves out ip, lvm and fs", async () => {
    const dataDir = path.join(root, 'data')
    const config = leanConfig(REPO, {HOME: os.homedir(), SVCMGR_DATA_DIR: dataDir})!
    const session = await Session.open(config as unknown as Interfaces.Config)
    session.store.write('svc', parseDocument('[container#1]\ntype = docker\nimage = redis\n', 'svc', 'svc'))
    session.skipUnneeded('svc')
    expect([...session.skipped].sort()).to.deep.equal(['@svcmgr/plugin-fs', '@svcmgr/plugin-ip', '@svcmgr/plugin-lvm'])
  })
})
