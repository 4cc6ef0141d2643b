// Broken driver plugins are contained: small plugins written in a temp dir and `plugins link`ed
// (a hook that throws, calls this.error, fails to import, returns nothing, never answers,
// registers a type already taken or a malformed driver, declares another driver API version) are
// each reported by plugin name with the reason; the other drivers keep working and no config is
// touched.
import {expect} from 'chai'
import {existsSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {CliSandbox} from './support/cli.js'

const REPO = new URL('../..', import.meta.url).pathname

// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '')

/** A demo driver, in plain JS as a plugin would ship it: start and stop create and remove `file`. */
const TOUCH_DRIVER = `
import {existsSync, rmSync, writeFileSync} from 'node:fs'
export const touch = (group, type) => ({
  group, type,
  description: 'demo: a file that exists while the resource is up',
  keywords: [{name: 'file', required: true, help: 'the file'}],
  label: r => 'file ' + r.kw.file,
  describe: (action, r) => [action + ' ' + r.kw.file],
  status: async ctx => ({status: existsSync(ctx.resource.kw.file) ? 'up' : 'down'}),
  start: async ctx => { if (existsSync(ctx.resource.kw.file)) return 'unchanged'; writeFileSync(ctx.resource.kw.file, 'up'); return 'changed' },
  stop: async ctx => { if (!existsSync(ctx.resource.kw.file)) return 'unchanged'; rmSync(ctx.resource.kw.file); return 'changed' },
})
`

const PLUGINS: Record<string, string> = {
  'svcmgr-broken-throws': `export default async function () { throw new Error('cannot load libfoo.so.1') }`,
  'svcmgr-broken-error': `export default async function () { this.error('this plugin needs svcmgr 2') }`,
  'svcmgr-broken-import': `import 'svcmgr-no-such-module'\nexport default async function () { return {drivers: []} }`,
  'svcmgr-broken-empty': `export default async function () { return undefined }`,
  'svcmgr-broken-taken': `import {touch} from './touch.js'\nexport default async function () { return {drivers: [touch('container', 'docker'), touch('demo', 'touch')]} }`,
  'svcmgr-broken-shape': `export default async function () { return {drivers: [{group: 'demo', type: 'half', description: 'no methods', keywords: []}]} }`,
  'svcmgr-broken-version': `import {touch} from './touch.js'\nexport default async function () { return {apiVersion: 2, drivers: [touch('demo', 'future')]} }`,
}

describe('broken driver plugins are reported and contained', function () {
  this.timeout(180_000)
  const sb = new CliSandbox('plugins-broken')
  const data = path.join(sb.root, 'data')
  const dirs = path.join(sb.root, 'plugins')
  const env = {
    SVCMGR_DATA_DIR: data,
    SVCMGR_CACHE_DIR: path.join(sb.root, 'cache'),
    SVCMGR_CONFIG_DIR: path.join(sb.root, 'config'),
    NO_COLOR: '1',
    OCLIF_DISABLE_LINKED_ESM_WARNING: '1',
  }
  const plain = (r: {exitCode: number; stdout: string; stderr: string}) => ({
    ...r,
    stdout: stripAnsi(r.stdout),
    stderr: stripAnsi(r.stderr),
  })
  const cli = async (args: string[]) => plain(await sb.run(args, {env}))
  const ok = async (args: string[]) => plain(await sb.ok(args, {env}))
  const flag = path.join(sb.root, 'flag')

  function writePlugin(name: string, hook: string): string {
    const dir = path.join(dirs, name)
    mkdirSync(dir, {recursive: true})
    writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify(
        {name, version: '0.0.1', type: 'module', oclif: {hooks: {'svcmgr:drivers': './hook.js'}}},
        null,
        2,
      ),
    )
    writeFileSync(path.join(dir, 'hook.js'), hook + '\n')
    writeFileSync(path.join(dir, 'touch.js'), TOUCH_DRIVER)
    return dir
  }

  before(async () => {
    // a service made before any broken plugin exists: its config must stay as it is
    writeFileSync(path.join(sb.root, 'svc.json'), JSON.stringify({'app#1': {start: '/bin/true'}}))
    await ok(['plugins', 'link', '--no-install', path.join(REPO, 'plugins/app')])
    await ok(['-s', 'keep', 'create', '--config', path.join(sb.root, 'svc.json')])
    for (const [name, hook] of Object.entries(PLUGINS))
      await ok(['plugins', 'link', '--no-install', writePlugin(name, hook)])
  })

  after(() => sb.cleanup())

  it('names each broken plugin with its reason, and lists the drivers that work', async () => {
    const r = await ok(['drivers'])
    const warnings = r.stderr.split('\n').filter(l => l.startsWith('svcmgr: warning: plugin '))
    expect(warnings).to.have.members([
      'svcmgr: warning: plugin svcmgr-broken-taken: driver container.docker is already provided by @svcmgr/plugin-docker; ignored',
      'svcmgr: warning: plugin svcmgr-broken-shape: driver demo.half: missing label, describe, status, start, stop; ignored',
      'svcmgr: warning: plugin svcmgr-broken-version: it was written for the driver API version 2; this svcmgr speaks version 1: its drivers are not loaded (install a version of the plugin made for this svcmgr)',
      'svcmgr: warning: plugin svcmgr-broken-empty: its svcmgr:drivers hook did not return {drivers: [...]}',
      'svcmgr: warning: plugin svcmgr-broken-throws: its svcmgr:drivers hook failed, its drivers are not loaded: cannot load libfoo.so.1',
      'svcmgr: warning: plugin svcmgr-broken-error: its svcmgr:drivers hook failed, its drivers are not loaded: this plugin needs svcmgr 2',
      `svcmgr: warning: plugin svcmgr-broken-import: its svcmgr:drivers hook failed, its drivers are not loaded: [MODULE_NOT_FOUND] import() failed to load ${path.join(dirs, 'svcmgr-broken-import', 'hook.js')}: Cannot find package 'svcmgr-no-such-module' imported from ${path.join(dirs, 'svcmgr-broken-import', 'hook.js')}`,
    ])
    // the core type stays with the core plugin; the conflicting plugin's other driver works
    expect(r.stdout).to.match(/^container\.docker +@svcmgr\/plugin-docker /m)
    expect(r.stdout).to.match(/^demo\.touch +svcmgr-broken-taken 0\.0\.1$/m)
    expect(r.stdout).to.match(/^app\.forking +svcmgr-plugin-app /m)
    expect(r.stdout).to.not.match(/demo\.half/)
    expect(r.stdout).to.not.match(/demo\.future/)
  })

  it('the other drivers keep working: validate, create, start, status and stop of a service', async () => {
    const config = {
      'app#1': {start: `/usr/bin/touch ${flag}.app`, check: `/usr/bin/test -e ${flag}.app`},
      'demo#1': {type: 'touch', file: flag},
    }
    writeFileSync(path.join(sb.root, 'demo.json'), JSON.stringify(config))
    expect((await ok(['validate', 'config', '--config', path.join(sb.root, 'demo.json')])).stdout).to.match(
      /config is valid \(2 resources\)/,
    )
    const containers = {
      'container#1': {type: 'docker', image: 'busybox'},
      'ip#1': {type: 'netns', netns: 'container#1', ipdev: 'eth0', ipname: '10.9.9.9', netmask: '24'},
    }
    writeFileSync(path.join(sb.root, 'core.json'), JSON.stringify(containers))
    expect((await ok(['validate', 'config', '--config', path.join(sb.root, 'core.json')])).stdout).to.match(
      /config is valid \(2 resources\)/,
    )
    await ok(['-s', 'demo', 'create', '--config', path.join(sb.root, 'demo.json')])
    const start = await ok(['-s', 'demo', 'start'])
    expect(start.stderr).to.include('plugin svcmgr-broken-throws')
    expect(existsSync(flag)).to.equal(true)
    expect(existsSync(`${flag}.app`)).to.equal(true)
    const status = JSON.parse((await ok(['-s', 'demo', 'print', 'status', '--format', 'json'])).stdout)
    expect(status.resources['demo#1'].status).to.equal('up')
    expect(status.resources['app#1'].status).to.equal('up')
    await ok(['-s', 'demo', 'stop'])
    expect(existsSync(flag)).to.equal(false)
  })

  it('touches no config', async () => {
    const file = path.join(sb.root, 'etc', 'keep.conf')
    const before = {text: readFileSync(file, 'utf8'), mtime: statSync(file).mtimeMs}
    await ok(['-s', 'keep', 'validate', 'config'])
    await ok(['-s', 'keep', 'print', 'status'])
    await ok(['-s', 'keep', 'print', 'config'])
    expect({text: readFileSync(file, 'utf8'), mtime: statSync(file).mtimeMs}).to.deep.equal(before)
  })

  it('a hook that never answers is given up on after 10 s and reported; the command still works', async () => {
    const dir = writePlugin('svcmgr-broken-hang', `export default function () { return new Promise(() => {}) }`)
    await ok(['plugins', 'link', '--no-install', dir])
    const t0 = Date.now()
    const r = await cli(['drivers'])
    expect(r.exitCode).to.equal(0)
    expect(Date.now() - t0).to.be.below(30_000)
    expect(r.stderr).to.include(
      'svcmgr: warning: plugin svcmgr-broken-hang: its svcmgr:drivers hook failed, its drivers are not loaded: Timed out after 10000 ms.',
    )
    expect(r.stdout).to.match(/^app\.forking /m)
    await ok(['plugins', 'uninstall', 'svcmgr-broken-hang'])
  })

  it('uninstalling the broken plugins silences them', async () => {
    for (const name of Object.keys(PLUGINS)) await ok(['plugins', 'uninstall', name])
    const r = await ok(['drivers'])
    expect(r.stderr).to.not.include('warning')
  })
})
