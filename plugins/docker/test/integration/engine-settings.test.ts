// `svcmgr engine start|status|stop` take svcmgr's settings from the core (the svcmgr:settings
// hook), as the services do: with a settings file naming the state root and no SVCMGR_ROOT,
// the engine's socket is under that root and a service (through `svcmgr -s SVC docker`) finds
// that engine. The CLI runs for real and starts a dockerd of its own under a temp folder:
//   bash scripts/testenv.sh up && npm run build
//   npx mocha --timeout 180000 plugins/docker/test/integration/engine-settings.test.ts
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {execa} from 'execa'
import {testHostKit} from 'svcmgr/testing'
import {ownEngineSpec, stopDaemon} from '../../src/engine/daemon.js'

const BIN = new URL('../../../../bin/run.js', import.meta.url).pathname
const HOST = testHostKit()

describe('svcmgr engine start with a settings file root', function () {
  this.timeout(180_000)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-es-'))
  const root = path.join(dir, 'state')
  const svc = `es${process.pid}`
  const spec = ownEngineSpec(root)
  // no SVCMGR_ROOT, DOCKER_HOST or XDG settings: the .svcmgrrc.json in the working folder is all there is
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    XDG_CONFIG_HOME: path.join(dir, 'config'),
    XDG_DATA_HOME: path.join(dir, 'data'),
    CI: 'true',
  }
  const cli = (...args: string[]) =>
    execa(process.execPath, [BIN, ...args], {
      cwd: dir,
      env,
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      timeout: 150_000,
    })
  const cliInput = (input: string, ...args: string[]) =>
    execa(process.execPath, [BIN, ...args], {cwd: dir, env, extendEnv: false, reject: false, input, timeout: 60_000})

  before(async function () {
    if (!(await HOST.which('dockerd'))) {
      console.log('      skipped: dockerd is not installed')
      return this.skip()
    }
    if (fs.existsSync('/var/run/docker.sock')) {
      console.log('      skipped: a system engine answers at the default socket, so engine start would start nothing')
      return this.skip()
    }
    fs.writeFileSync(path.join(dir, '.svcmgrrc.json'), JSON.stringify({root, nodename: 'deb1'}))
  })

  after(async () => {
    await cli('engine', 'stop').catch(() => undefined)
    await stopDaemon(HOST, spec, {timeoutMs: 30_000}).catch(() => undefined)
    fs.rmSync(dir, {recursive: true, force: true})
  })

  it("puts its socket under the settings file's root, and a service's docker command finds that engine", async () => {
    const start = await cli('engine', 'start', '--timeout', '90')
    expect(start.exitCode, start.stderr).to.equal(0)
    expect(start.stdout).to.equal(`export DOCKER_HOST=unix://${path.join(root, 'var', 'engine', 'docker.sock')}`)
    expect(fs.statSync(path.join(root, 'var', 'engine', 'docker.sock')).isSocket()).to.equal(true)

    const status = await cli('engine', 'status', '--json')
    expect(status.exitCode, status.stderr).to.equal(0)
    const report = JSON.parse(status.stdout)
    expect(report.own).to.deep.include({
      address: spec.address,
      answering: true,
      dataRoot: path.join(root, 'var', 'engine', 'data'),
    })
    expect(report.used).to.equal(spec.address)

    // a service with no engine settings of its own uses the shared engine: svcmgr's own, here
    const create = await cliInput(
      '[container#1]\ntype = docker\nimage = google/pause\n',
      '-s',
      svc,
      'create',
      '--config',
      '-',
    )
    expect(create.exitCode, create.stderr).to.equal(0)
    expect(fs.existsSync(path.join(root, 'etc', `${svc}.conf`))).to.equal(true)
    const info = await cli('-s', svc, 'docker', 'info', '--format', '{{.DockerRootDir}}')
    expect(info.exitCode, info.stderr).to.equal(0)
    expect(info.stdout.trim()).to.equal(path.join(root, 'var', 'engine', 'data'))
  })

  it('engine stop stops the engine under that root', async () => {
    const stop = await cli('engine', 'stop')
    expect(stop.exitCode, stop.stderr).to.equal(0)
    expect(stop.stdout).to.match(/^svcmgr's local docker engine \(pid \d+\) stopped$/)
    expect(HOST.pidAlive(Number(/pid (\d+)/.exec(stop.stdout)![1]))).to.equal(false)
  })
})
