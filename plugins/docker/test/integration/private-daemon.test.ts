// Private engines, for real: a service's own dockerd (DEFAULT docker_daemon_private) started
// before its first container and shut down after its last, and svcmgr's own local engine
// (`svcmgr engine start`) that services fall back to. Both start a dockerd of their own on
// paths under a temp folder (never the test environment's), and pull their image from the
// test registry (a fresh engine has no image):
//   bash scripts/testenv.sh up && eval "$(bash scripts/testenv.sh env)"
//   npx mocha --timeout 120000 plugins/docker/test/integration/private-daemon.test.ts
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import Docker from 'dockerode'
import {createDriverHarness, type DriverHarness, testHostKit} from 'svcmgr/testing'
import {registration} from '../../src/hooks/drivers.js'
import {pingAddress} from '../../src/engine/address.js'
import {resolveSharedAddress} from '../../src/engine/client.js'
import {
  daemonPid,
  type DaemonSpec,
  ownEngineSpec,
  serviceDaemonSpec,
  startDaemon,
  stopDaemon,
} from '../../src/engine/daemon.js'

const HOST = testHostKit()
const DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///run/svcmgr-testenv/docker.sock'
const REGISTRY = process.env.SVCMGR_TEST_REGISTRY ?? '127.0.0.1:5000'
const IMAGE = `${REGISTRY}/redis:3.0`
const registrations = [{plugin: '@svcmgr/plugin-docker', registration}]

async function registryAnswers(): Promise<boolean> {
  try {
    const r = await fetch(`http://${REGISTRY}/v2/`, {signal: AbortSignal.timeout(3000)})
    return r.ok
  } catch {
    return false
  }
}

describe('private docker daemon of a service', function () {
  this.timeout(120_000)
  const root = mkdtempSync(path.join(os.tmpdir(), 'svcmgr-pd-'))
  const name = `p${process.pid}`
  let spec: DaemonSpec
  let h: DriverHarness

  before(async function () {
    if (!(await registryAnswers()))
      throw new Error(`the test registry does not answer at ${REGISTRY}: run bash scripts/testenv.sh up`)
    h = createDriverHarness({
      config: {
        DEFAULT: {docker_daemon_private: 'true', docker_daemon_args: '--log-level warn'},
        'container#1': {type: 'docker', image: IMAGE},
        'container#2': {type: 'docker', image: IMAGE},
      },
      registrations,
      name,
      root,
      // a private daemon ignores the shared engine's address
      dockerHost: DOCKER_HOST,
    })
    spec = serviceDaemonSpec(h.service)!
    expect(spec.socket).to.equal(path.join(root, 'var', name, 'docker', 'docker.sock'))
  })

  after(async () => {
    if (spec) await stopDaemon(HOST, spec, {timeoutMs: 30_000}).catch(() => undefined)
    rmSync(root, {recursive: true, force: true})
  })

  it('status says the daemon is not running before the first start', async () => {
    const s = await h.status('container#1')
    expect(s.status).to.equal('down')
    expect(s.log).to.deep.equal([{level: 'warn', message: 'docker daemon is not running'}])
  })

  it('start starts the daemon once, then the containers in it', async () => {
    const first = await h.act('container#1', 'start')
    expect(first.change).to.equal('changed')
    const msgs = h.messages('container#1')
    expect(msgs[0]).to.equal('starting docker daemon')
    expect(msgs[1]).to.match(
      new RegExp(
        `dockerd --data-root ${root}/var/${name}/docker/data --exec-root .* -H ${spec.address} --pidfile .* --iptables=false --ip6tables=false --ip-masq=false --bridge=none --log-level warn$`,
      ),
    )
    expect(msgs).to.include(`pulling docker image ${IMAGE}`)
    expect(first.undo.map(u => u.description)).to.deep.equal([
      `stop the docker daemon of ${name}`,
      `stop ${name}.container.1`,
    ])
    const second = await h.act('container#2', 'start')
    expect(h.messages('container#2')).to.not.include('starting docker daemon')
    expect(second.undo.map(u => u.description)).to.deep.equal([`stop ${name}.container.2`])
    const own = new Docker({socketPath: spec.socket})
    const names = (await own.listContainers()).map(c => c.Names[0]).sort()
    expect(names).to.deep.equal([`/${name}.container.1`, `/${name}.container.2`])
    // and nothing of it in the shared engine
    const shared = new Docker({socketPath: DOCKER_HOST.replace(/^unix:\/\//, '')})
    expect(await shared.listContainers({all: true, filters: {label: [`com.svcmgr.service=${name}`]}})).to.deep.equal([])
    expect((await h.status('container#2')).status).to.equal('up')
  })

  it('stop keeps the daemon while a container runs in it, and shuts it down after the last', async () => {
    await h.act('container#2', 'stop')
    expect(h.messages('container#2')).to.not.include('no more container handled by docker daemon. shut it down')
    expect(await pingAddress(spec.address)).to.equal(true)
    await h.act('container#1', 'stop')
    expect(h.messages('container#1').at(-1)).to.equal('no more container handled by docker daemon. shut it down')
    expect(await daemonPid(HOST, spec)).to.equal(undefined)
    expect(await pingAddress(spec.address)).to.equal(false)
    expect((await h.status('container#1')).log).to.deep.equal([
      {level: 'warn', message: 'docker daemon is not running'},
    ])
  })

  it('a stop while the daemon is down is unchanged and starts nothing', async () => {
    expect((await h.act('container#1', 'stop')).change).to.equal('unchanged')
    expect(await daemonPid(HOST, spec)).to.equal(undefined)
  })

  it('the next start brings the daemon and its containers back (the pulled image kept)', async () => {
    const before = h.messages('container#1').length
    await h.act('container#1', 'start')
    const msgs = h.messages('container#1').slice(before)
    expect(msgs[0]).to.equal('starting docker daemon')
    expect(msgs).to.not.include(`pulling docker image ${IMAGE}`)
    expect(msgs.some(m => m.startsWith(`docker -H ${spec.address} start `))).to.equal(true)
  })

  it('a private daemon whose process lives but does not answer (SIGSTOP): status warn, stop fails, its container keeps running', async () => {
    const pid = (await daemonPid(HOST, spec))!
    expect(pid).to.be.a('number')
    process.kill(pid, 'SIGSTOP')
    try {
      const s = await h.status('container#1')
      expect(s.status).to.equal('warn')
      // status's one list gets no answer: the daemon's process lives, so it is "does not answer", never "not running"
      expect(s.log?.[0].message).to.match(
        new RegExp(
          `^docker daemon of service ${name} \\(pid ${pid}\\) does not answer: docker daemon at ${spec.socket} not answering after \\d+s: the state of container ${name}.container.1 is unknown$`,
        ),
      )
      let error: Error | undefined
      await h.act('container#1', 'stop').catch(e => (error = e))
      expect(error?.message).to.match(
        new RegExp(
          `^docker (stop ${name}.container.1|ps -a --filter \\S+): .*docker daemon at ${spec.socket} not answering after \\d+s`,
        ),
      )
    } finally {
      process.kill(pid, 'SIGCONT')
    }
    const own = new Docker({socketPath: spec.socket})
    expect((await own.getContainer(`${name}.container.1`).inspect()).State.Running).to.equal(true)
  })

  it('unprovision removes the containers, then the idle daemon stops', async () => {
    await h.act('container#2', 'unprovision')
    await h.act('container#1', 'unprovision')
    expect(await daemonPid(HOST, spec)).to.equal(undefined)
  })
})

describe("svcmgr's own local engine", function () {
  this.timeout(120_000)
  const root = mkdtempSync(path.join(os.tmpdir(), 'svcmgr-eng-'))
  const spec = ownEngineSpec(root)

  after(async () => {
    await stopDaemon(HOST, spec, {timeoutMs: 30_000}).catch(() => undefined)
    rmSync(root, {recursive: true, force: true})
  })

  it('starts once, answers at <root>/var/engine/docker.sock, and stops', async () => {
    expect(spec.socket).to.equal(path.join(root, 'var', 'engine', 'docker.sock'))
    expect(await startDaemon(HOST, spec, {timeoutMs: 60_000})).to.equal('started')
    expect(await startDaemon(HOST, spec, {timeoutMs: 60_000})).to.equal('running')
    expect(await pingAddress(spec.address)).to.equal(true)
    const pid = await daemonPid(HOST, spec)
    expect(pid).to.be.a('number')
  })

  it('is the engine services use when no dockerHost is set and the default socket is absent', async function () {
    if ((await import('node:fs')).existsSync('/var/run/docker.sock')) this.skip() // a system engine takes precedence
    expect(await resolveSharedAddress({root, dockerHost: undefined})).to.equal(spec.address)
    expect(await resolveSharedAddress({root, dockerHost: 'unix:///elsewhere.sock'})).to.equal('unix:///elsewhere.sock')
  })

  it('runs a service container, pulled from the registry', async () => {
    const h = createDriverHarness({
      config: {'container#1': {type: 'docker', image: IMAGE}},
      registrations,
      name: `e${process.pid}`,
      root,
      dockerHost: spec.address,
    })
    await h.act('container#1', 'start')
    expect((await h.status('container#1')).status).to.equal('up')
    await h.act('container#1', 'unprovision')
  })

  it('stop ends it', async () => {
    expect(await stopDaemon(HOST, spec, {timeoutMs: 30_000})).to.equal('stopped')
    expect(await pingAddress(spec.address)).to.equal(false)
    expect(await stopDaemon(HOST, spec, {timeoutMs: 30_000})).to.equal('not running')
  })
})
