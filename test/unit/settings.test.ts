import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {
  GLOBAL_SEARCH_PLACES,
  loadSettings,
  META_SEARCH_PLACES,
  SEARCH_PLACES,
  settingsFileMayExist,
} from '../../src/config/settings.js'
import {SettingsError} from '../../src/errors.js'

describe('settings (cosmiconfig + environment)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-settings-'))
  const saved = {...process.env}
  const file = path.join(dir, '.svcmgrrc.json')
  afterEach(() => {
    for (const k of [
      'SVCMGR_CONFIG',
      'SVCMGR_ROOT',
      'SVCMGR_NODENAME',
      'SVCMGR_LOG_LEVEL',
      'DOCKER_HOST',
      'SVCMGR_ETCD',
      'SVCMGR_LEASE_TTL',
    ]) {
      if (saved[k] === undefined) delete process.env[k]
      else process.env[k] = saved[k]
    }
  })
  after(() => fs.rmSync(dir, {recursive: true, force: true}))

  it('reads a settings file and derives the state folders from its root', async () => {
    fs.writeFileSync(
      file,
      JSON.stringify({
        root: path.join(dir, 'state'),
        nodename: 'deb1',
        dockerHost: 'unix:///tmp/x.sock',
        logLevel: 'debug',
      }),
    )
    process.env.SVCMGR_CONFIG = file
    for (const k of ['SVCMGR_ROOT', 'SVCMGR_NODENAME', 'DOCKER_HOST', 'SVCMGR_LOG_LEVEL']) delete process.env[k]
    const s = await loadSettings()
    expect(s).to.include({
      root: path.join(dir, 'state'),
      etcDir: path.join(dir, 'state/etc'),
      varDir: path.join(dir, 'state/var'),
      logDir: path.join(dir, 'state/log'),
      nodename: 'deb1',
      dockerHost: 'unix:///tmp/x.sock',
      logLevel: 'debug',
      source: file,
    })
  })

  it('lets SVCMGR_ROOT, SVCMGR_NODENAME and DOCKER_HOST override the file', async () => {
    fs.writeFileSync(file, JSON.stringify({root: '/from/file', nodename: 'file-node', dockerHost: 'unix:///file.sock'}))
    Object.assign(process.env, {
      SVCMGR_CONFIG: file,
      SVCMGR_ROOT: path.join(dir, 'env'),
      SVCMGR_NODENAME: 'env-node',
      DOCKER_HOST: 'unix:///env.sock',
    })
    expect(await loadSettings()).to.include({
      root: path.join(dir, 'env'),
      nodename: 'env-node',
      dockerHost: 'unix:///env.sock',
    })
  })

  it('refuses an unknown setting and a bad log level, naming the file and what was expected', async () => {
    process.env.SVCMGR_CONFIG = file
    fs.writeFileSync(file, JSON.stringify({colour: 'blue'}))
    let error: unknown
    await loadSettings().catch(e => (error = e))
    expect(error).to.be.instanceOf(SettingsError)
    expect((error as Error).message).to.equal(
      `${file}: unknown setting "colour": expected root, nodename, dockerHost, logLevel, etcd or leaseTtl`,
    )
    fs.writeFileSync(file, JSON.stringify({logLevel: 'loud'}))
    delete process.env.SVCMGR_LOG_LEVEL
    await loadSettings().catch(e => (error = e))
    expect((error as Error).message).to.equal(`${file}: logLevel: expected one of debug, info, warn, error, got "loud"`)
  })
})

describe('settings: etcd and leaseTtl (issue 15)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-settings-etcd-'))
  const file = path.join(dir, '.svcmgrrc.json')
  const saved = {...process.env}
  beforeEach(() => {
    process.env.SVCMGR_CONFIG = file
    delete process.env.SVCMGR_ETCD
    delete process.env.SVCMGR_LEASE_TTL
  })
  afterEach(() => {
    for (const k of ['SVCMGR_CONFIG', 'SVCMGR_ETCD', 'SVCMGR_LEASE_TTL']) {
      if (saved[k] === undefined) delete process.env[k]
      else process.env[k] = saved[k]
    }
  })
  after(() => fs.rmSync(dir, {recursive: true, force: true}))
  const failure = async () => {
    let error: unknown
    await loadSettings().catch(e => (error = e))
    expect(error, 'loadSettings should refuse').to.be.instanceOf(SettingsError)
    expect((error as SettingsError).exitCode).to.equal(2)
    return (error as Error).message
  }

  it('has no etcd and a 10 s lease by default', async () => {
    fs.writeFileSync(file, JSON.stringify({nodename: 'a'}))
    const s = await loadSettings()
    expect(s.etcd).to.equal(undefined)
    expect(s.leaseTtl).to.equal(10)
  })

  it('reads a list from the file, a comma separated one from SVCMGR_ETCD (which wins)', async () => {
    fs.writeFileSync(file, JSON.stringify({etcd: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379/'], leaseTtl: 6}))
    expect(await loadSettings()).to.deep.include({etcd: ['http://10.0.0.1:2379', 'http://10.0.0.2:2379'], leaseTtl: 6})
    process.env.SVCMGR_ETCD = 'http://a:1, http://b:2'
    process.env.SVCMGR_LEASE_TTL = '4'
    expect(await loadSettings()).to.deep.include({etcd: ['http://a:1', 'http://b:2'], leaseTtl: 4})
  })

  it('refuses bad values naming the setting and what was expected', async () => {
    fs.writeFileSync(file, JSON.stringify({etcd: 'localhost'}))
    expect(await failure()).to.equal(`${file}: etcd: expected endpoints as http://host:port, got "localhost"`)
    fs.writeFileSync(file, JSON.stringify({etcd: 12}))
    expect(await failure()).to.match(/etcd: expected a list of endpoints/)
    fs.writeFileSync(file, JSON.stringify({leaseTtl: 1}))
    expect(await failure()).to.equal(`${file}: leaseTtl: expected whole seconds from 3 to 3600, got 1`)
    fs.writeFileSync(file, JSON.stringify({}))
    process.env.SVCMGR_LEASE_TTL = '2.5'
    expect(await failure()).to.equal('SVCMGR_LEASE_TTL: leaseTtl: expected whole seconds from 3 to 3600, got "2.5"')
    process.env.SVCMGR_LEASE_TTL = '10'
    process.env.SVCMGR_ETCD = 'https://x:1'
    expect(await failure()).to.equal('SVCMGR_ETCD: etcd: expected endpoints as http://host:port, got "https://x:1"')
  })
})

describe('settings: the check that a settings file may exist before cosmiconfig loads', () => {
  it('lists the places cosmiconfig 9 searches, in its order (an upgrade that changes them fails here)', async () => {
    const cc = await import('cosmiconfig')
    // metaSearchPlaces is not re-exported by cosmiconfig's index
    const defaults = (await import('cosmiconfig/dist/defaults.js')) as {metaSearchPlaces: string[]}
    expect(SEARCH_PLACES).to.deep.equal(cc.getDefaultSearchPlaces('svcmgr'))
    expect(GLOBAL_SEARCH_PLACES).to.deep.equal(cc.globalConfigSearchPlaces)
    expect(META_SEARCH_PLACES).to.deep.equal(defaults.metaSearchPlaces)
  })

  it('answers true for a file in any of them, false when there is none', () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-maybe-'))
    const cwd = path.join(base, 'a', 'b')
    const xdg = path.join(base, 'xdg')
    fs.mkdirSync(cwd, {recursive: true})
    const env = {XDG_CONFIG_HOME: xdg}
    try {
      const may = () => settingsFileMayExist(cwd, env)
      expect(may()).to.equal(false)
      // a package.json without the key is no settings file; with it, or unparsable, it may be
      fs.writeFileSync(path.join(base, 'a', 'package.json'), JSON.stringify({name: 'x'}))
      expect(may()).to.equal(false)
      fs.writeFileSync(path.join(base, 'a', 'package.json'), JSON.stringify({name: 'x', svcmgr: {}}))
      expect(may()).to.equal(true)
      fs.writeFileSync(path.join(base, 'a', 'package.json'), '{')
      expect(may()).to.equal(true)
      fs.rmSync(path.join(base, 'a', 'package.json'))
      fs.writeFileSync(path.join(cwd, 'package.json'), JSON.stringify({cosmiconfig: {}}))
      expect(may(), 'a meta config in the working folder').to.equal(true)
      fs.rmSync(path.join(cwd, 'package.json'))
      for (const place of ['.svcmgrrc', '.config/svcmgrrc.yaml', 'svcmgr.config.mjs']) {
        const file = path.join(base, 'a', place)
        fs.mkdirSync(path.dirname(file), {recursive: true})
        fs.writeFileSync(file, '')
        expect(may(), place).to.equal(true)
        fs.rmSync(file)
      }
      fs.mkdirSync(path.join(xdg, 'svcmgr'), {recursive: true})
      expect(may()).to.equal(false)
      fs.writeFileSync(path.join(xdg, 'svcmgr', 'config.json'), '{}')
      expect(may(), 'the XDG config folder').to.equal(true)
    } finally {
      fs.rmSync(base, {recursive: true, force: true})
    }
  })
})
