// The root package as a user gets it: `npm pack` of the built tree, `npm install -g` of the tarball into a temporary
// prefix (never the real global one), then the installed svcmgr. The core plugins are workspaces that are not on the
// registry: they must travel in the tarball (bundleDependencies), so a tarball without them fails the install.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {execa} from 'execa'

const REPO = new URL('../..', import.meta.url).pathname
const PJSON = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
  version: string
  bundleDependencies: string[]
}
const CORE_PLUGINS = ['@svcmgr/plugin-docker', '@svcmgr/plugin-fs', '@svcmgr/plugin-ip', '@svcmgr/plugin-lvm']

interface DriverRow {
  type: string
  plugin: string
}

// npm run passes its own settings down as npm_* variables (prefix, local prefix, ...): none of them may steer these.
// Its PATH starts with node_modules/.bin, where @oclif/plugin-plugins' own npm is: the user's npm is the one after it.
function npmEnv(): Record<string, string> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => !e[0].toLowerCase().startsWith('npm_') && e[1] !== undefined,
    ),
  )
  return {
    ...env,
    PATH: (process.env.PATH ?? '')
      .split(path.delimiter)
      .filter(d => !d.split(path.sep).includes('node_modules'))
      .join(path.delimiter),
  }
}

async function run(file: string, args: string[], options: {cwd: string; env: Record<string, string>}): Promise<string> {
  const r = await execa(file, args, {...options, extendEnv: false, stdin: 'ignore', reject: false, timeout: 150_000})
  if (r.exitCode !== 0)
    throw new Error(
      `${path.basename(file)} ${args.join(' ')} exited ${r.exitCode}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`,
    )
  return r.stdout
}

describe('npm pack of the root package, installed with npm install -g', function () {
  this.timeout(300_000)
  let tmp: string
  let prefix: string
  let tarball: string
  let cliEnv: Record<string, string>

  before(async function () {
    for (const p of ['dist/index.js', ...CORE_PLUGINS.map(p => `node_modules/${p}/dist/hooks/drivers.js`)])
      if (!fs.existsSync(path.join(REPO, p))) throw new Error(`${p} is missing: run npm run build first`)
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-pack-'))
    prefix = path.join(tmp, 'prefix')
    // the installed svcmgr keeps its state, plugins and caches under tmp too
    cliEnv = {
      ...npmEnv(),
      SVCMGR_ROOT: path.join(tmp, 'root'),
      SVCMGR_DATA_DIR: path.join(tmp, 'data'),
      SVCMGR_CACHE_DIR: path.join(tmp, 'cache'),
      SVCMGR_CONFIG_DIR: path.join(tmp, 'config'),
      CI: 'true',
    }
    // prepack would rebuild dist/ under the tests that run it: the tree is built already
    const packed = JSON.parse(
      await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], {cwd: REPO, env: npmEnv()}),
    ) as Array<{filename: string}>
    tarball = path.join(tmp, packed[0].filename)
    await run(
      'npm',
      ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', tarball],
      {cwd: tmp, env: npmEnv()},
    )
  })

  after(() => {
    if (tmp) fs.rmSync(tmp, {recursive: true, force: true})
  })

  it('bundles the core plugins, built, in the tarball', async () => {
    expect(PJSON.bundleDependencies).to.have.members(CORE_PLUGINS)
    const files = (await run('tar', ['-tzf', tarball], {cwd: tmp, env: npmEnv()})).split('\n')
    for (const p of CORE_PLUGINS) {
      expect(files, p).to.include(`package/node_modules/${p}/package.json`)
      expect(files, p).to.include(`package/node_modules/${p}/dist/hooks/drivers.js`)
      // the bundle oclif loads, and the lean path's script twin (scripts/bundle.mjs)
      expect(files, p).to.include(`package/node_modules/${p}/dist/bundle/drivers.mjs`)
      expect(files, p).to.include(`package/node_modules/${p}/dist/bundle/drivers.script.js`)
      expect(files, p).to.include(`package/node_modules/${p}/dist/bundle/drivers.script-import.mjs`)
    }
    expect(files).to.include('package/node_modules/@svcmgr/plugin-docker/oclif.manifest.json')
    expect(files).to.include('package/node_modules/@svcmgr/plugin-docker/dist/bundle/commands.mjs')
    for (const f of ['svcmgr', 'cached-script', 'interrupts', 'plugins-commands'])
      expect(files).to.include(`package/dist/bundle/${f}.mjs`)
    for (const f of ['lean', 'lean-actions']) {
      expect(files).to.include(`package/dist/bundle/${f}.script.js`)
      expect(files).to.include(`package/dist/bundle/${f}.script-import.mjs`)
    }
    // the plugins' sources and tests stay out, like the root's
    expect(files.filter(f => /^package\/(node_modules\/@svcmgr\/[^/]+\/)?(src|test)\//.test(f))).to.deep.equal([])
  })

  it('installs the core plugins as folders of the installed package, not links into this tree', () => {
    const installed = path.join(prefix, 'lib/node_modules/svcmgr')
    for (const p of CORE_PLUGINS) {
      const dir = path.join(installed, 'node_modules', p)
      expect(fs.lstatSync(dir).isDirectory(), `${dir} is a folder`).to.equal(true)
      expect(fs.realpathSync(dir).startsWith(REPO), `${dir} is not inside ${REPO}`).to.equal(false)
    }
  })

  it('svcmgr --version answers with the package version', async () => {
    const out = await run(path.join(prefix, 'bin/svcmgr'), ['--version'], {cwd: tmp, env: cliEnv})
    expect(out).to.match(new RegExp(`^svcmgr/${PJSON.version.replaceAll('.', '\\.')} `))
  })

  it('svcmgr drivers lists the same drivers from the same plugins as the built tree', async () => {
    const rows = (out: string) => (JSON.parse(out) as DriverRow[]).map(d => `${d.type} ${d.plugin}`).sort()
    const installed = rows(
      await run(path.join(prefix, 'bin/svcmgr'), ['drivers', '--format', 'json'], {cwd: tmp, env: cliEnv}),
    )
    const built = rows(
      await run(process.execPath, [path.join(REPO, 'bin/run.js'), 'drivers', '--format', 'json'], {
        cwd: tmp,
        env: cliEnv,
      }),
    )
    expect(installed).to.include.members([
      'container.docker @svcmgr/plugin-docker',
      'ip.netns @svcmgr/plugin-ip',
      'ip.host @svcmgr/plugin-ip',
      'disk.vg @svcmgr/plugin-lvm',
      'fs.ext4 @svcmgr/plugin-fs',
    ])
    expect(installed).to.deep.equal(built)
  })

  it('print status answers the same without oclif (the lean path) as with it, from the installed folders', async () => {
    const svcmgr = path.join(prefix, 'bin/svcmgr')
    const svc = `t${process.pid}pack`
    const config = JSON.stringify({'container#1': {type: 'docker', image: 'google/pause'}})
    await execa(svcmgr, ['-s', svc, 'create', '--config=-', '--local'], {
      cwd: tmp,
      env: cliEnv,
      extendEnv: false,
      input: config,
    })
    const status = (env: Record<string, string>) =>
      execa(svcmgr, ['-s', svc, 'print', 'status', '--format', 'json'], {
        cwd: tmp,
        env,
        extendEnv: false,
        reject: false,
      })
    const lean = await status(cliEnv)
    const oclif = await status({...cliEnv, SVCMGR_LEAN: '0'})
    expect(lean.exitCode, lean.stderr).to.equal(0)
    expect(JSON.parse(lean.stdout)).to.include({service: svc})
    expect([lean.stdout, lean.stderr]).to.deep.equal([oclif.stdout, oclif.stderr])
    // the lean path ran the installed script bundles, each with its code cache
    const cached = fs
      .readdirSync(path.join(cliEnv.SVCMGR_CACHE_DIR, 'script-cache'))
      .map(f => f.slice(0, f.indexOf('-v8.')))
    expect(cached).to.include.members(['lean.script', 'svcmgr+plugin-docker.drivers.script'])
  })

  it('draws a plan as svg from the installed package (graphviz in WebAssembly from its node_modules)', async () => {
    const svcmgr = path.join(prefix, 'bin/svcmgr')
    const svc = `t${process.pid}packsvg`
    const config = JSON.stringify({'container#1': {type: 'docker', image: 'google/pause'}})
    await execa(svcmgr, ['-s', svc, 'create', '--config=-'], {cwd: tmp, env: cliEnv, extendEnv: false, input: config})
    const out = path.join(tmp, 'plan.svg')
    await run(svcmgr, ['-s', svc, 'start', '--dry-run', '--format', 'svg', '--out', out], {cwd: tmp, env: cliEnv})
    const svg = fs.readFileSync(out, 'utf8')
    expect(svg).to.match(/<svg[\s\S]*\[1\] container#1[\s\S]*<\/svg>\s*$/)
  })

  it("a bundled plugin's commands are there too (svcmgr engine start --help)", async () => {
    const out = await run(path.join(prefix, 'bin/svcmgr'), ['engine', 'start', '--help'], {cwd: tmp, env: cliEnv})
    expect(out).to.include('$ svcmgr engine start')
  })
})
