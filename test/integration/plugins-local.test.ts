/** `svcmgr plugins install <folder>` twice: each folder's plugin is recorded under its own name. */
import fs from 'node:fs'
import path from 'node:path'
import {expect} from 'chai'
import {CliSandbox} from './support/cli.js'

function writePlugin(dir: string, n: number): void {
  fs.mkdirSync(dir, {recursive: true})
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({
      name: `svcmgr-test-local${n}`,
      version: '0.0.1',
      type: 'module',
      oclif: {hooks: {'svcmgr:drivers': './hook.js'}},
    }),
  )
  fs.writeFileSync(
    path.join(dir, 'hook.js'),
    `export default async function () {
  return {drivers: [{group: 'local${n}', type: 'null', description: 'test', keywords: [], label: () => 'null', describe: () => [],
    status: async () => ({status: 'n/a'}), start: async () => 'unchanged', stop: async () => 'unchanged'}]}
}
`,
  )
}

describe('plugins install from local folders', function () {
  this.timeout(180_000)
  const cli = new CliSandbox('local-plugins')
  const env = {
    SVCMGR_DATA_DIR: path.join(cli.root, 'data'),
    SVCMGR_CACHE_DIR: path.join(cli.root, 'cache'),
    SVCMGR_CONFIG_DIR: path.join(cli.root, 'config'),
  }
  after(() => cli.cleanup())

  it('installs two folders as two plugins, both drivers loaded', async () => {
    for (const n of [1, 2]) {
      writePlugin(path.join(cli.root, `src${n}`), n)
      await cli.ok(['plugins', 'install', path.join(cli.root, `src${n}`)], {env})
    }
    const drivers = JSON.parse((await cli.ok(['drivers', '--format', 'json'], {env})).stdout) as Array<{
      type?: string
      group?: string
      plugin?: string
    }>
    const text = JSON.stringify(drivers)
    expect(text).to.include('svcmgr-test-local1')
    expect(text).to.include('svcmgr-test-local2')
    const pjson = JSON.parse(fs.readFileSync(path.join(env.SVCMGR_DATA_DIR, 'package.json'), 'utf8'))
    expect(pjson.oclif.plugins.map((p: {name: string}) => p.name).sort()).to.deep.equal([
      'svcmgr-test-local1',
      'svcmgr-test-local2',
    ])
  })
})
