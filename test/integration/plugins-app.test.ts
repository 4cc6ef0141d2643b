// svcmgr-plugin-app the way a user gets a third-party plugin: packed with `npm pack`, installed
// from its tarball with `svcmgr plugins install` into a fresh data dir and state root, used by a
// service whose apps write files and hold processes (checked on the host), then uninstalled.
import {expect} from 'chai'
import {chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {execa} from 'execa'
import {Ajv2020} from 'ajv/dist/2020.js'
import {CliSandbox} from './support/cli.js'

const REPO = new URL('../..', import.meta.url).pathname
const PLUGIN_DIR = path.join(REPO, 'plugins/app')

// eslint-disable-next-line no-control-regex
const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '')

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

async function until(what: string, probe: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 100))
  }
}

describe('svcmgr-plugin-app installed from its npm tarball', function () {
  this.timeout(180_000)
  const sb = new CliSandbox('plugin-app')
  const data = path.join(sb.root, 'data')
  const work = path.join(sb.root, 'work')
  // oclif's dirs for bin svcmgr: SVCMGR_DATA_DIR is where `plugins install` puts plugins
  const env = {
    SVCMGR_DATA_DIR: data,
    SVCMGR_CACHE_DIR: path.join(sb.root, 'cache'),
    SVCMGR_CONFIG_DIR: path.join(sb.root, 'config'),
    NO_COLOR: '1',
    FORCE_COLOR: '0',
  }
  const plain = (r: {exitCode: number; stdout: string; stderr: string}) => ({
    ...r,
    stdout: stripAnsi(r.stdout),
    stderr: stripAnsi(r.stderr),
  })
  const cli = async (args: string[]) => plain(await sb.run(args, {env}))
  const ok = async (args: string[]) => plain(await sb.ok(args, {env}))
  let tarball: string
  const pids: number[] = []

  before(async () => {
    mkdirSync(work, {recursive: true})
    // build, then pack exactly what npm would publish
    await execa('npm', ['run', 'build'], {cwd: PLUGIN_DIR})
    const packed = await execa('npm', ['pack', '--json', '--pack-destination', work], {cwd: PLUGIN_DIR})
    const [info] = JSON.parse(String(packed.stdout)) as Array<{filename: string; files: Array<{path: string}>}>
    tarball = path.join(work, info.filename)
    expect(info.files.map(f => f.path).sort()).to.include.members([
      'package.json',
      'dist/hooks/drivers.js',
      'dist/drivers/app.js',
    ])
    expect(info.files.some(f => f.path.startsWith('src/') || f.path.startsWith('test/'))).to.equal(false)

    // the service's apps: a daemon-like script per app (forks a sleeper detached from its output),
    // its check and stop, all recording what ran in one events file
    const script = (name: string, body: string) => {
      const f = path.join(work, name)
      writeFileSync(f, `#!/bin/sh\n${body}\n`)
      chmodSync(f, 0o755)
      return f
    }
    script('start.sh', `echo "start $1" >> "${work}/events"\nsleep 300 >/dev/null 2>&1 &\necho $! > "${work}/$1.pid"`)
    script('check.sh', `[ -f "${work}/$1.pid" ] && kill -0 "$(cat "${work}/$1.pid")" 2>/dev/null || exit 1`)
    script('stop.sh', `echo "stop $1" >> "${work}/events"\nkill "$(cat "${work}/$1.pid")" && rm -f "${work}/$1.pid"`)
    writeFileSync(
      path.join(work, 'apps.conf'),
      [
        '[DEFAULT]',
        'app = DEMO',
        '',
        '# no type: app.forking, the default',
        '[app#1]',
        `start = ${work}/start.sh web`,
        `check = ${work}/check.sh web`,
        `stop = ${work}/stop.sh web`,
        '',
        '[app#10]',
        'type = simple',
        `start = /bin/sh -c "echo 'start worker' >> ${work}/events; exec sleep 300"`,
        'environment = GREETING=hi',
        '',
        '[app#2]',
        'type = forking',
        `start = ${work}/start.sh db`,
        `check = ${work}/check.sh db`,
        `stop = ${work}/stop.sh db`,
        'start_timeout = 20s',
        'limit_nofile = 2048',
        '',
      ].join('\n'),
    )
  })

  after(async () => {
    for (const f of existsSync(work) ? readdirSync(work).filter(n => n.endsWith('.pid')) : [])
      pids.push(Number(readFileSync(path.join(work, f), 'utf8')))
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone
      }
    }
    sb.cleanup()
  })

  it('installs from the tarball (a plain path) into the data dir, with no dependency to fetch', async () => {
    const r = await ok(['plugins', 'install', tarball])
    expect(r.stderr).to.include(`Installing plugin file:${tarball}... installed v0.1.0`)
    const list = (await ok(['plugins'])).stdout
    expect(list).to.match(/^svcmgr-plugin-app 0\.1\.0$/m)
    expect(list).to.match(/^Driver types:\n {2}svcmgr-plugin-app: app\.forking, app\.simple$/m)
    const json = JSON.parse((await ok(['plugins', '--json'])).stdout) as Array<{name: string; driverTypes: string[]}>
    expect(json.find(p => p.name === 'svcmgr-plugin-app')?.driverTypes).to.deep.equal(['app.forking', 'app.simple'])
    expect(readdirSync(path.join(data, 'node_modules'))).to.deep.equal(['.package-lock.json', 'svcmgr-plugin-app'])
    const drivers = (await ok(['drivers'])).stdout
    expect(drivers).to.match(/^app\.forking +svcmgr-plugin-app 0\.1\.0 +\(default type of \[app#N\]\)$/m)
    expect(drivers).to.match(/^app\.simple +svcmgr-plugin-app 0\.1\.0$/m)
    const forking = JSON.parse((await ok(['drivers', 'app.forking', '--format', 'json'])).stdout)
    expect(forking.plugin).to.equal('svcmgr-plugin-app')
    expect(forking.keywords.find((k: {name: string}) => k.name === 'check_timeout')).to.include({
      type: 'duration',
      default: '10s',
    })
  })

  it('validate config --config checks a config without touching the host', async () => {
    const r = await ok(['validate', 'config', '--config', path.join(work, 'apps.conf')])
    expect(r.stdout).to.match(/config is valid \(3 resources\)/)
    expect(existsSync(path.join(work, 'events'))).to.equal(false)
    expect(existsSync(path.join(sb.root, 'etc'))).to.equal(false)
    const bad = path.join(work, 'bad.conf')
    writeFileSync(bad, '[app#1]\nstart = /bin/true\nstart_timeout = soon\n')
    const r2 = await cli(['validate', 'config', '--config', bad])
    expect(r2.exitCode).to.equal(2)
    expect(r2.stderr).to.match(/app#1\.start_timeout: expected a duration/)
  })

  it('create, start (natural rid order), print status up, start again is "already up"', async () => {
    await ok(['-s', 'apps', 'create', '--config', path.join(work, 'apps.conf')])
    const dry = await ok(['-s', 'apps', 'start', '--dry-run'])
    expect(dry.stdout + dry.stderr).to.include(
      `prlimit --nofile=2048 -- env -C ${path.join(sb.root, 'var', 'apps')} -- ${work}/start.sh db`,
    )
    expect(existsSync(path.join(work, 'events'))).to.equal(false)

    await ok(['-s', 'apps', 'start'])
    expect(readFileSync(path.join(work, 'events'), 'utf8')).to.equal('start web\nstart db\nstart worker\n')
    const web = Number(readFileSync(path.join(work, 'web.pid'), 'utf8'))
    const db = Number(readFileSync(path.join(work, 'db.pid'), 'utf8'))
    const worker = Number(readFileSync(path.join(sb.root, 'var', 'apps', 'app', '10.pid'), 'utf8').split(' ')[0])
    pids.push(web, db, worker)
    for (const pid of [web, db, worker]) expect(alive(pid), `pid ${pid}`).to.equal(true)
    // limit_nofile reached the process prlimit started
    expect(readFileSync(`/proc/${db}/limits`, 'utf8')).to.match(/Max open files +2048 +2048/)
    expect(readFileSync(`/proc/${worker}/environ`, 'utf8').split('\0')).to.include('GREETING=hi')

    const status = JSON.parse((await ok(['-s', 'apps', 'print', 'status', '--format', 'json'])).stdout)
    expect(
      Object.fromEntries(Object.entries(status.resources).map(([rid, r]) => [rid, (r as {status: string}).status])),
    ).to.deep.equal({'app#1': 'up', 'app#2': 'up', 'app#10': 'up'})
    expect(status.avail).to.equal('up')
    expect((await ok(['-s', 'apps', 'print', 'status'])).stdout).to.match(/app#1 +\S+ +up +forking: .*start\.sh web/)

    const again = await ok(['-s', 'apps', 'start'])
    expect(again.stdout + again.stderr).to.match(/app#1.*already up/)
    expect(readFileSync(path.join(work, 'events'), 'utf8')).to.equal('start web\nstart db\nstart worker\n')
  })

  it("print schema includes the plugin's types: the service's JSON config validates, a bad keyword does not", async () => {
    const schema = JSON.parse((await ok(['print', 'schema'])).stdout)
    expect(Object.keys(schema.$defs)).to.include.members(['app.forking', 'app.simple'])
    const validate = new Ajv2020({allErrors: true, strictRequired: false, allowUnionTypes: true}).compile(schema)
    const config = JSON.parse((await ok(['-s', 'apps', 'print', 'config', '--format', 'json'])).stdout)
    expect(validate(config), JSON.stringify(validate.errors)).to.equal(true)
    expect(validate({...config, 'app#2': {...config['app#2'], start_timout: '1m'}})).to.equal(false)
    expect(validate.errors?.map(e => `${e.instancePath} ${JSON.stringify(e.params)}`)).to.include(
      '/app#2 {"additionalProperty":"start_timout"}',
    )
  })

  it('stop runs in reverse order and the processes are gone', async () => {
    const pidsBefore = pids.slice(-3)
    await ok(['-s', 'apps', 'stop'])
    expect(readFileSync(path.join(work, 'events'), 'utf8')).to.equal(
      'start web\nstart db\nstart worker\nstop db\nstop web\n',
    )
    await until('the apps to exit', () => pidsBefore.every(pid => !alive(pid)))
    const status = JSON.parse((await ok(['-s', 'apps', 'print', 'status', '--format', 'json'])).stdout)
    expect(status.avail).to.equal('down')
  })

  it('uninstalled, the service fails validation naming the plugin that provided app.forking', async () => {
    const conf = readFileSync(path.join(sb.root, 'etc', 'apps.conf'), 'utf8')
    await ok(['plugins', 'uninstall', 'svcmgr-plugin-app'])
    expect((await ok(['plugins'])).stdout).to.not.match(/svcmgr-plugin-app/)
    const r = await cli(['-s', 'apps', 'validate', 'config'])
    expect(r.exitCode).to.equal(2)
    expect(r.stderr).to.include(
      '[app#1]: a [app#N] section without type (app.forking) is provided by the plugin svcmgr-plugin-app (version 0.1.0 was installed), which is no longer installed',
    )
    expect(r.stderr).to.include('[app#2]: type app.forking is provided by the plugin svcmgr-plugin-app')
    expect(r.stderr).to.include('[app#10]: type app.simple is provided by the plugin svcmgr-plugin-app')
    // status still answers: the sections it cannot use are warn with why (their state is unknown, not down)
    const status = await cli(['-s', 'apps', 'print', 'status', '--format', 'json'])
    expect(status.exitCode).to.equal(0)
    expect(status.stderr).to.include('svcmgr-plugin-app')
    const report = JSON.parse(status.stdout)
    expect(report.resources['app#1'].status).to.equal('warn')
    expect(report.resources['app#1'].log[0].message).to.include('provided by the plugin svcmgr-plugin-app')
    expect(report.avail).to.equal('warn')
    // the config is left as it was
    expect(readFileSync(path.join(sb.root, 'etc', 'apps.conf'), 'utf8')).to.equal(conf)
  })
})
