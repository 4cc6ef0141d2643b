import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {leanConfig, leanStatusRequest, oclifDataDir, userPlugins} from '../../src/cli/lean-status.js'

const REPO = new URL('../..', import.meta.url).pathname

describe('lean print status: which runs it takes', () => {
  it('takes exactly print status with -s/--service and --format text|json', () => {
    const ok = (argv: string[]) => leanStatusRequest(argv)
    expect(ok(['-s', 'svc2', 'print', 'status'])).to.deep.equal({service: 'svc2', format: 'text'})
    expect(ok(['print', 'status', '--service', 'svc2'])).to.deep.equal({service: 'svc2', format: 'text'})
    expect(ok(['print', 'status', '--service=svc2', '--format=json'])).to.deep.equal({service: 'svc2', format: 'json'})
    expect(ok(['-ssvc2', 'print', 'status', '--format', 'text'])).to.deep.equal({service: 'svc2', format: 'text'})
    expect(ok(['--service=svc2', 'print', 'status', '--format', 'json'])).to.deep.equal({
      service: 'svc2',
      format: 'json',
    })
  })

  it('leaves everything else to oclif', () => {
    for (const argv of [
      ['print', 'status'],
      ['-s', 'svc2', 'print', 'config'],
      ['-s', 'svc2', 'print', 'status', '--help'],
      ['-s', 'svc2', 'print', 'status', '-h'],
      ['-s', 'svc2', 'print', 'status', '-s', 'svc3'],
      ['-s', 'svc2', 'print', 'status', '--format', 'json', '--format', 'json'],
      ['-s', 'svc2', 'print', 'status', '--format', 'yaml'],
      ['-s', 'svc2', 'print', 'status', '--format'],
      ['-s', 'svc2', 'print', 'status', 'extra'],
      ['-s', 'svc2', 'print', 'status', '--'],
      ['print', 'status', '-s', '--format'],
      ['print', 'status', '-s='],
      ['print', 'status', '-s=svc2'],
      ['print', 'status', '--service='],
      ['print:status', '-s', 'svc2'],
      ['-s', 'svc2', 'print', 'status', '--json'],
    ])
      expect(leanStatusRequest(argv), argv.join(' ')).to.equal(undefined)
  })

  it("finds oclif's data dir as oclif does on Linux", () => {
    expect(oclifDataDir({SVCMGR_DATA_DIR: '/d', HOME: '/h'}, 'svcmgr')).to.equal('/d')
    expect(oclifDataDir({XDG_DATA_HOME: '/x', HOME: '/h'}, 'svcmgr')).to.equal('/x/svcmgr')
    expect(oclifDataDir({HOME: '/h'}, 'svcmgr')).to.equal('/h/.local/share/svcmgr')
  })

  it('takes the installed plugins it can run as oclif does; declines links and what else oclif would act on', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-lean-'))
    const pjson = path.join(dir, 'package.json')
    const list = (plugins: unknown[]) => fs.writeFileSync(pjson, JSON.stringify({private: true, oclif: {plugins}}))
    const plugin = (name: string, extra: Record<string, unknown> = {}, hook = 'hook.js') => {
      const root = path.join(dir, 'node_modules', name)
      fs.mkdirSync(root, {recursive: true})
      fs.writeFileSync(path.join(root, hook), 'export default async () => ({drivers: []})\n')
      fs.writeFileSync(
        path.join(root, 'package.json'),
        JSON.stringify({
          name,
          version: '1.2.3',
          type: 'module',
          oclif: {hooks: {'svcmgr:drivers': `./${hook}`}},
          ...extra,
        }),
      )
    }
    try {
      expect(userPlugins(dir)).to.deep.equal([])
      list([])
      expect(userPlugins(dir)).to.deep.equal([])
      plugin('p1')
      list([{name: 'p1', type: 'user'}])
      expect(userPlugins(dir)).to.deep.equal([
        {
          name: 'p1',
          type: 'user',
          version: '1.2.3',
          root: path.join(dir, 'node_modules', 'p1'),
          hooks: {'svcmgr:drivers': [{target: './hook.js', identifier: 'default'}]},
        },
      ])
      list([{type: 'link', name: 'x', root: '/x'}])
      expect(userPlugins(dir), 'a link').to.equal(undefined)
      list([{name: 'missing', type: 'user'}])
      expect(userPlugins(dir), 'not installed').to.equal(undefined)
      for (const [name, extra] of [
        ['p2', {oclif: {hooks: {init: './hook.js', 'svcmgr:drivers': './hook.js'}}}],
        ['p3', {oclif: {commands: './dist/commands', hooks: {}}}],
        ['p4', {type: 'commonjs'}],
      ] as const) {
        plugin(name, extra)
        list([{name, type: 'user'}])
        expect(userPlugins(dir), name).to.equal(undefined)
      }
      plugin('p5')
      fs.writeFileSync(path.join(dir, 'node_modules', 'p5', 'oclif.manifest.json'), '{}')
      list([{name: 'p5', type: 'user'}])
      expect(userPlugins(dir), 'a manifest').to.equal(undefined)
      fs.writeFileSync(pjson, '{not json')
      expect(userPlugins(dir)).to.equal(undefined)
    } finally {
      fs.rmSync(dir, {recursive: true, force: true})
    }
  })

  it('loads the core plugins this package lists, or declines under development settings', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-lean-'))
    try {
      const env = {HOME: os.homedir(), SVCMGR_DATA_DIR: dataDir}
      const config = leanConfig(REPO, env)
      expect(config).to.not.equal(undefined)
      expect([...config!.plugins.keys()]).to.deep.equal([
        'svcmgr',
        '@svcmgr/plugin-docker',
        '@svcmgr/plugin-ip',
        '@svcmgr/plugin-lvm',
        '@svcmgr/plugin-fs',
        '@oclif/plugin-plugins',
      ])
      expect(config!.plugins.get('@svcmgr/plugin-docker')!.hooks['svcmgr:drivers']).to.deep.equal([
        {target: './dist/bundle/drivers.mjs', identifier: 'default'},
      ])
      for (const extra of [{SVCMGR_LEAN: '0'}, {DEBUG: '*'}, {SVCMGR_DEBUG: '1'}, {NODE_ENV: 'test'}, {OCLIF_X: '1'}])
        expect(leanConfig(REPO, {...env, ...extra}), JSON.stringify(extra)).to.equal(undefined)
    } finally {
      fs.rmSync(dataDir, {recursive: true, force: true})
    }
  })
})
