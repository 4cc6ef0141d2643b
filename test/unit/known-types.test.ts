// A config using a type whose plugin was uninstalled names that plugin: the known-types file
// written when the registry loads, and compile's message.
import {expect} from 'chai'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {compileService} from '../../src/config/compile.js'
import {parseDocument} from '../../src/config/document.js'
import {rememberProviders} from '../../src/drivers/load.js'
import {DriverRegistry} from '../../src/drivers/registry.js'
import {registration as appRegistration} from '../../plugins/app/src/hooks/drivers.js'
import {fakeRegistration} from './fixtures/fake-drivers.js'
import {ConfigError} from '../../src/errors.js'

function problems(registry: DriverRegistry, config: object): string[] {
  try {
    compileService(parseDocument(JSON.stringify(config), 'svc', 'test'), registry, {
      name: 'svc',
      nodename: 'n1',
      varDir: '/tmp/x',
    })
    return []
  } catch (error) {
    return [...(error as ConfigError).problems]
  }
}

describe('known driver types (the plugin of an uninstalled type)', () => {
  let dir: string
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'svcmgr-known-'))))
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  it('records user plugins only, then names the plugin of a type no loaded driver serves', () => {
    const file = path.join(dir, 'known-driver-types.json')
    const withApp = new DriverRegistry()
    withApp.add('fake-core', fakeRegistration().registration)
    withApp.add('svcmgr-plugin-app', appRegistration)
    rememberProviders(withApp, file, name => (name === 'svcmgr-plugin-app' ? {version: '0.1.0'} : undefined))
    const saved = JSON.parse(readFileSync(file, 'utf8'))
    expect(saved.types['app.forking']).to.deep.equal({
      type: 'app.forking',
      plugin: 'svcmgr-plugin-app',
      version: '0.1.0',
    })
    expect(saved.types['app.']).to.deep.equal({type: 'app.forking', plugin: 'svcmgr-plugin-app', version: '0.1.0'})
    expect(saved.types['container.docker']).to.equal(undefined)

    const without = new DriverRegistry()
    without.add('fake-core', fakeRegistration().registration)
    rememberProviders(without, file, () => undefined)
    expect(
      problems(without, {'app#1': {type: 'simple', start: '/bin/true'}, 'app#2': {start: '/bin/true'}}),
    ).to.deep.equal([
      '[app#1]: type app.simple is provided by the plugin svcmgr-plugin-app (version 0.1.0 was installed), which is no longer installed: install it again (svcmgr plugins install) or change the section',
      '[app#2]: a [app#N] section without type (app.forking) is provided by the plugin svcmgr-plugin-app (version 0.1.0 was installed), which is no longer installed: install it again (svcmgr plugins install) or change the section',
    ])
    // still remembered after a load without the plugin
    expect(JSON.parse(readFileSync(file, 'utf8')).types['app.simple'].plugin).to.equal('svcmgr-plugin-app')
  })

  it('writes nothing when only core plugins are loaded, and unknown types keep the usual message', () => {
    const file = path.join(dir, 'known-driver-types.json')
    const core = new DriverRegistry()
    core.add('fake-core', fakeRegistration().registration)
    rememberProviders(core, file, () => undefined)
    expect(existsSync(file)).to.equal(false)
    expect(problems(core, {'app#1': {start: '/bin/true'}})[0]).to.match(/^\[app#1\]: unknown resource group "app"/)
  })
})
