import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {leanConfig, leanStatusRequest, noUserPlugins, oclifDataDir} from '../../src/cli/lean-status.js'

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

  it('sees user and linked plugins in the data dir', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-lean-'))
    try {
      expect(noUserPlugins(dir)).to.equal(true)
      const pjson = path.join(dir, 'package.json')
      fs.writeFileSync(pjson, JSON.stringify({private: true, oclif: {schema: 1, plugins: []}}))
      expect(noUserPlugins(dir)).to.equal(true)
      fs.writeFileSync(pjson, JSON.stringify({oclif: {plugins: [{type: 'link', name: 'x', root: '/x'}]}}))
      expect(noUserPlugins(dir)).to.equal(false)
      fs.writeFileSync(pjson, '{not json')
      expect(noUserPlugins(dir)).to.equal(false)
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
