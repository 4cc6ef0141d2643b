// A command on one service loads only the plugins its config can need (Session.skipUnneeded),
// read from each plugin's package.json `svcmgrPlugin.serves`: it must say exactly what the plugin's
// svcmgr:drivers hook registers, or a service would miss a driver.
import fs from 'node:fs'
import path from 'node:path'
import {expect} from 'chai'
import type {DriverRegistration} from '../../src/drivers/api.js'
import type {LeanPlugin} from '../../src/cli/lean-status.js'
import {servesOf, unneededPlugins} from '../../src/drivers/serves.js'
import {registration as app} from '../../plugins/app/src/hooks/drivers.js'
import {registration as docker} from '../../plugins/docker/src/hooks/drivers.js'
import {registration as fsPlugin} from '../../plugins/fs/src/hooks/drivers.js'
import {registration as ip} from '../../plugins/ip/src/hooks/drivers.js'
import {registration as lvm} from '../../plugins/lvm/src/hooks/drivers.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const CORE: Record<string, DriverRegistration> = {docker, fs: fsPlugin, ip, lvm}

describe("svcmgr's plugins: package.json svcmgrPlugin.serves says what the drivers hook registers", () => {
  it('every core plugin of the root package.json is checked here', () => {
    const listed = (
      JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {oclif: {plugins: string[]}}
    ).oclif.plugins
      .filter(p => p.startsWith('@svcmgr/plugin-'))
      .map(p => p.slice('@svcmgr/plugin-'.length))
    expect(listed.sort()).to.deep.equal(Object.keys(CORE).sort())
  })

  for (const [dir, registration] of Object.entries({...CORE, app})) {
    it(`plugins/${dir}`, () => {
      const pjson = JSON.parse(fs.readFileSync(path.join(ROOT, 'plugins', dir, 'package.json'), 'utf8')) as {
        svcmgrPlugin?: {serves?: unknown}
      }
      expect(pjson.svcmgrPlugin?.serves, `plugins/${dir}/package.json svcmgrPlugin.serves`).to.deep.equal(
        servesOf(registration),
      )
    })
  }
})

describe('the plugins a config cannot need', () => {
  const plugin = (dir: string, registration: DriverRegistration): LeanPlugin => ({
    name: `@svcmgr/plugin-${dir}`,
    type: 'core',
    version: '0.1.0',
    root: `/x/${dir}`,
    hooks: {},
    serves: servesOf(registration),
  })
  const plugins = Object.entries(CORE).map(([dir, r]) => plugin(dir, r))
  // an installed plugin declaring nothing
  const user: LeanPlugin = {name: 'svcmgr-plugin-other', type: 'user', version: '1.0.0', root: '/y', hooks: {}}
  const doc = (sections: Record<string, Record<string, string>>) =>
    Object.entries(sections).map(([name, kw]) => ({name, entries: Object.entries(kw)}))
  const unneeded = (sections: Record<string, Record<string, string>>) => {
    const r = unneededPlugins(doc(sections), [...plugins, user])
    return r && [...r].sort()
  }

  it("svc2's containers need only the docker plugin; a plugin declaring nothing is never left out", () => {
    expect(
      unneeded({DEFAULT: {id: 'x', nodes: 'deb1'}, 'container#1': {type: 'docker'}, 'subset#container:a': {}}),
    ).to.deep.equal(['@svcmgr/plugin-fs', '@svcmgr/plugin-ip', '@svcmgr/plugin-lvm'])
  })

  it('a group by its section alias ([vg#1]), a subset group, a DEFAULT keyword of a plugin', () => {
    expect(unneeded({'vg#1': {}})).to.deep.equal(['@svcmgr/plugin-docker', '@svcmgr/plugin-fs', '@svcmgr/plugin-ip'])
    expect(unneeded({'subset#fs:a': {}})).to.deep.equal([
      '@svcmgr/plugin-docker',
      '@svcmgr/plugin-ip',
      '@svcmgr/plugin-lvm',
    ])
    expect(unneeded({DEFAULT: {docker_data_dir: '/srv'}, 'ip#1': {}})).to.deep.equal([
      '@svcmgr/plugin-fs',
      '@svcmgr/plugin-lvm',
    ])
  })

  it('anything no declaration covers (a group of an installed plugin, an unknown keyword or section): all of them', () => {
    expect(unneeded({'app#1': {type: 'forking'}})).to.equal(undefined)
    expect(unneeded({DEFAULT: {no_such_keyword: '1'}})).to.equal(undefined)
    expect(unneeded({'not a section': {}})).to.equal(undefined)
  })

  it('an installed plugin that declares what it serves is left out as a core one is, and needed for its groups', () => {
    const declared: LeanPlugin = {...plugin('app', app), name: 'svcmgr-plugin-app', type: 'user'}
    const all = [...plugins, declared, user]
    const of = (sections: Record<string, Record<string, string>>) => {
      const r = unneededPlugins(doc(sections), all)
      return r && [...r].sort()
    }
    expect(of({'container#1': {type: 'docker'}})).to.deep.equal([
      '@svcmgr/plugin-fs',
      '@svcmgr/plugin-ip',
      '@svcmgr/plugin-lvm',
      'svcmgr-plugin-app',
    ])
    expect(of({'app#1': {type: 'forking'}, 'container#1': {}})).to.deep.equal([
      '@svcmgr/plugin-fs',
      '@svcmgr/plugin-ip',
      '@svcmgr/plugin-lvm',
    ])
    // its declaration in package.json, as oclif's Config holds a plugin
    const asOclif = {name: 'svcmgr-plugin-app', pjson: {svcmgrPlugin: {serves: servesOf(app)}}}
    expect([...unneededPlugins(doc({'container#1': {}}), [...plugins, asOclif])!].sort()).to.include(
      'svcmgr-plugin-app',
    )
  })
})
