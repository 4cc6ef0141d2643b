import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {loadSettings} from '../../src/config/settings.js'
import {SettingsError} from '../../src/errors.js'

describe('settings (cosmiconfig + environment)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-settings-'))
  const saved = {...process.env}
  const file = path.join(dir, '.svcmgrrc.json')
  afterEach(() => {
    for (const k of ['SVCMGR_CONFIG', 'SVCMGR_ROOT', 'SVCMGR_NODENAME', 'SVCMGR_LOG_LEVEL', 'DOCKER_HOST']) {
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
      `${file}: unknown setting "colour": expected root, nodename, dockerHost or logLevel`,
    )
    fs.writeFileSync(file, JSON.stringify({logLevel: 'loud'}))
    delete process.env.SVCMGR_LOG_LEVEL
    await loadSettings().catch(e => (error = e))
    expect((error as Error).message).to.equal(`${file}: logLevel: expected one of debug, info, warn, error, got "loud"`)
  })
})
