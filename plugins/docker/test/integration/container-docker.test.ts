// container.docker against the real engine of scripts/testenv.sh (never a mock):
//   bash scripts/testenv.sh up && eval "$(bash scripts/testenv.sh env)"
//   npx mocha --timeout 120000 plugins/docker/test/integration/container-docker.test.ts
// Every container is named after a per-run service name and removed in afterEach/after,
// also when a test fails.
import {execFile, execFileSync} from 'node:child_process'
import {readlink} from 'node:fs/promises'
import {createServer, type Socket} from 'node:net'
import {promisify} from 'node:util'
import {expect} from 'chai'
import Docker from 'dockerode'
import {createDriverContext, createDriverHarness, type DriverHarness} from 'svcmgr/testing'
import {registration} from '../../src/hooks/drivers.js'
import {dockerDriver} from '../../src/drivers/container-docker.js'
import {pullImage} from '../../src/engine/images.js'

const DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///run/svcmgr-testenv/docker.sock'
const REGISTRY = process.env.SVCMGR_TEST_REGISTRY ?? '127.0.0.1:5000'
const docker = new Docker({socketPath: DOCKER_HOST.replace(/^unix:\/\//, '')})
const run = promisify(execFile)

const SVC = `t${process.pid}`
const ID = '0e8f4a52-6a3c-4f0b-9d51-5b1f2c7d9a10'
const registrations = [{plugin: '@svcmgr/plugin-docker', registration}]

function harness(
  sections: Record<string, Record<string, string>>,
  opts: {name?: string; dockerHost?: string} = {},
): DriverHarness {
  return createDriverHarness({
    config: {DEFAULT: {id: ID}, ...sections},
    registrations,
    name: opts.name ?? SVC,
    dockerHost: opts.dockerHost ?? DOCKER_HOST,
  })
}

async function inspect(name: string): Promise<Docker.ContainerInspectInfo | undefined> {
  try {
    return await docker.getContainer(name).inspect()
  } catch (error) {
    if ((error as {statusCode?: number}).statusCode === 404) return undefined
    throw error
  }
}

async function removeServiceContainers(service = SVC): Promise<void> {
  const list = await docker.listContainers({all: true, filters: {label: [`com.svcmgr.service=${service}`]}})
  await Promise.all(
    list.map(c =>
      docker
        .getContainer(c.Id)
        .remove({force: true})
        .catch(() => undefined),
    ),
  )
}

async function imageExists(image: string): Promise<boolean> {
  try {
    await docker.getImage(image).inspect()
    return true
  } catch {
    return false
  }
}

/**
 * svcmgr/failing exits 1 at once, but "at once" races with the driver: its exit may reach the
 * engine before or after the state check that follows the start request (no fixed wait: an exit
 * the engine has not seen by then is not the start's to catch). This holds the driver right
 * after its start request (when it logs the container id) until the engine has seen the exit
 * (`docker wait`, blocking), so the check the test is about must see it: no timing involved.
 */
function holdAfterStart(h: DriverHarness): void {
  const push = h.events.push.bind(h.events)
  h.events.push = (...events) => {
    for (const e of events) {
      const id = /^output:\n([0-9a-f]{64})$/.exec(e.message)?.[1]
      if (id) execFileSync('docker', ['-H', DOCKER_HOST, 'wait', id], {stdio: 'ignore', timeout: 60_000})
    }
    return push(...events)
  }
}

describe('container.docker on a real engine', function () {
  this.timeout(120_000)

  before(async function () {
    try {
      await docker.ping()
    } catch {
      throw new Error(
        `no docker engine answers at ${DOCKER_HOST}: run bash scripts/testenv.sh up, then eval "$(bash scripts/testenv.sh env)"`,
      )
    }
    for (const image of ['google/pause', 'nginx', 'redis', 'svcmgr/failing', 'svcmgr/slowstop'])
      if (!(await imageExists(image))) throw new Error(`image ${image} is missing: run bash scripts/testenv.sh up`)
    await removeServiceContainers()
  })

  afterEach(() => removeServiceContainers())

  it('start creates and runs the container: name, labels, network none, cgroup parent', async () => {
    const h = harness({'container#1': {type: 'docker', image: 'google/pause', run_command: '/bin/sh'}})
    const {change, undo} = await h.act('container#1', 'start')
    expect(change).to.equal('changed')
    expect(undo.map(u => u.description)).to.deep.equal([`stop ${SVC}.container.1`])
    const info = (await inspect(`${SVC}.container.1`))!
    expect(info.State.Running).to.equal(true)
    expect(info.Config.Labels).to.deep.include({
      'com.svcmgr.service': SVC,
      'com.svcmgr.rid': 'container#1',
      'com.svcmgr.id': ID,
    })
    // created from the image's id (pinned), the name as configured in a label
    const {Id: imageId} = await docker.getImage('google/pause').inspect()
    expect(info.Config.Image).to.equal(imageId)
    expect(info.Image).to.equal(imageId)
    expect(info.Config.Labels).to.deep.include({'com.svcmgr.image': 'google/pause'})
    expect(info.Config.Cmd).to.deep.equal(['/bin/sh'])
    expect(info.HostConfig.NetworkMode).to.equal('none')
    const {CgroupDriver} = await docker.info()
    if (CgroupDriver === 'cgroupfs')
      expect(info.HostConfig.CgroupParent).to.equal(`/svcmgr.slice/${SVC}.slice/container.slice/container.1.slice`)
    const msgs = h.messages('container#1')
    expect(msgs).to.include(
      `docker run -d --name=${SVC}.container.1 --net=none${CgroupDriver === 'cgroupfs' ? ` --cgroup-parent /svcmgr.slice/${SVC}.slice/container.slice/container.1.slice` : ''} --label=com.svcmgr.service=${SVC} --label=com.svcmgr.rid=container#1 --label=com.svcmgr.id=${ID} --label=com.svcmgr.image=google/pause '--label=com.svcmgr.fingerprint=${info.Config.Labels['com.svcmgr.fingerprint']}' ${imageId} /bin/sh`,
    )
    expect(info.Config.Labels['com.svcmgr.fingerprint']).to.match(/^v1 image=[0-9a-f]{8} /)
    expect(msgs).to.include(`output:\n${info.Id}`)
    expect(msgs.at(-1)).to.equal('wait for up status')
    expect(await h.status('container#1')).to.deep.include({
      status: 'up',
      label: `docker container ${SVC}.container.1@google/pause`,
    })
  })

  it('start again is unchanged and registers no undo', async () => {
    const h = harness({'container#1': {type: 'docker', image: 'google/pause'}})
    await h.act('container#1', 'start')
    const id = (await inspect(`${SVC}.container.1`))!.Id
    const again = await h.act('container#1', 'start')
    expect(again.change).to.equal('unchanged')
    expect(again.undo).to.deep.equal([])
    expect((await inspect(`${SVC}.container.1`))!.Id).to.equal(id)
  })

  it('status: missing container, then up, then down after stop', async () => {
    const h = harness({'container#1': {type: 'docker', image: 'google/pause'}})
    const missing = await h.status('container#1')
    expect(missing.status).to.equal('down')
    expect(missing.log).to.deep.equal([{level: 'info', message: `container ${SVC}.container.1 does not exist`}])
    await h.act('container#1', 'start')
    expect((await h.status('container#1')).status).to.equal('up')
    await h.act('container#1', 'stop')
    expect((await h.status('container#1')).status).to.equal('down')
  })

  it('netns: container#2 runs in the network namespace of container#1', async () => {
    const h = harness({
      'container#1': {type: 'docker', image: 'google/pause'},
      'container#2': {type: 'docker', image: 'nginx', netns: 'container#1'},
    })
    await h.act('container#1', 'start')
    await h.act('container#2', 'start')
    const [owner, member] = [(await inspect(`${SVC}.container.1`))!, (await inspect(`${SVC}.container.2`))!]
    expect(member.HostConfig.NetworkMode).to.match(new RegExp(`^container:(${SVC}\\.container\\.1|${owner.Id})$`))
    const [a, b] = await Promise.all([
      readlink(`/proc/${owner.State.Pid}/ns/net`),
      readlink(`/proc/${member.State.Pid}/ns/net`),
    ])
    expect(a).to.match(/^net:\[\d+\]$/)
    expect(b).to.equal(a)
    expect(h.messages('container#2').find(m => m.startsWith('docker run'))).to.contain(
      `--net=container:${SVC}.container.1`,
    )
    const ns = await dockerDriver.capabilities!.netns!(ctxFor(h, 'container#1') as never)
    expect(ns).to.deep.equal({pid: owner.State.Pid, path: `/proc/${owner.State.Pid}/ns/net`})
  })

  it('netns: start fails naming the owner when it does not run', async () => {
    const h = harness({
      'container#1': {type: 'docker', image: 'google/pause'},
      'container#2': {type: 'docker', image: 'nginx', netns: 'container#1'},
    })
    let error: Error | undefined
    await h.act('container#2', 'start').catch(e => (error = e))
    expect(error?.message).to.equal(
      `container#2: its netns owner container#1 (container ${SVC}.container.1) is missing: start container#1 first`,
    )
    expect(await inspect(`${SVC}.container.2`)).to.equal(undefined)
  })

  it("netns: a foreign container under the owner's name is not joined; the netns capability refuses it too", async () => {
    const h = harness({
      'container#1': {type: 'docker', image: 'google/pause'},
      'container#2': {type: 'docker', image: 'nginx', netns: 'container#1'},
    })
    // made by hand: no com.svcmgr labels (removed in finally: the afterEach only removes labelled ones)
    const foreign = await docker.createContainer({
      name: `${SVC}.container.1`,
      Image: 'google/pause',
      HostConfig: {NetworkMode: 'none'},
    })
    try {
      await foreign.start()
      let error: Error | undefined
      await h.act('container#2', 'start').catch(e => (error = e))
      expect(error?.message).to.equal(
        `container#2: its netns owner container#1: container ${SVC}.container.1 exists but was not created by svcmgr for ${SVC} container#1 (id ${ID}; it has no com.svcmgr labels): remove or rename it`,
      )
      expect(await inspect(`${SVC}.container.2`)).to.equal(undefined)
      const netns = dockerDriver.capabilities!.netns!
      error = undefined as Error | undefined // typed: a plain undefined would narrow error to undefined for the checks below
      const shared = {
        service: h.service,
        settings: {root: '/tmp', nodename: 'deb1', dockerHost: DOCKER_HOST},
        sink: {emit: () => undefined},
        signal: new AbortController().signal,
        cache: new Map(),
      }
      await netns(createDriverContext(shared, h.service.resource('container#1')!) as never).catch(e => (error = e))
      expect(error?.message).to.match(/exists but was not created by svcmgr/)
      expect((await inspect(`${SVC}.container.1`))!.State.Running).to.equal(true)
    } finally {
      await foreign.remove({force: true})
    }
  })

  it('netns: a member whose owner was recreated (rm = true) is recreated in the new namespace', async () => {
    const h = harness({
      'container#1': {type: 'docker', image: 'google/pause', rm: 'true'},
      'container#2': {type: 'docker', image: 'nginx', netns: 'container#1'},
    })
    await h.act('container#1', 'start')
    await h.act('container#2', 'start')
    const firstMember = (await inspect(`${SVC}.container.2`))!.Id
    const firstOwner = (await inspect(`${SVC}.container.1`))!.Id
    await h.act('container#2', 'stop')
    await h.act('container#1', 'stop')
    expect(await inspect(`${SVC}.container.1`)).to.equal(undefined)
    await h.act('container#1', 'start')
    await h.act('container#2', 'start')
    const [owner, member] = [(await inspect(`${SVC}.container.1`))!, (await inspect(`${SVC}.container.2`))!]
    expect(member.State.Running).to.equal(true)
    expect(await readlink(`/proc/${member.State.Pid}/ns/net`)).to.equal(
      await readlink(`/proc/${owner.State.Pid}/ns/net`),
    )
    // docker pins container:<name> to the owner's id at create: the old member could not start any more
    expect(member.Id).to.not.equal(firstMember)
    expect(h.messages('container#2')).to.include(
      `container ${SVC}.container.2 joined the network namespace of ${firstOwner}, not of container#1's current container: recreate it`,
    )
  })

  it('stop: docker stop like the seed, then down; stop again is unchanged; undo starts it again', async () => {
    const h = harness({'container#1': {type: 'docker', image: 'google/pause'}})
    await h.act('container#1', 'start')
    const id = (await inspect(`${SVC}.container.1`))!.Id
    const before = h.messages('container#1').length
    const {change, undo} = await h.act('container#1', 'stop')
    expect(change).to.equal('changed')
    expect(h.messages('container#1').slice(before)).to.deep.equal([
      `docker stop ${id}`,
      `output:\n${id}`,
      'wait for down status',
    ])
    expect((await inspect(`${SVC}.container.1`))!.State.Running).to.equal(false)
    expect(undo.map(u => u.description)).to.deep.equal([`start ${SVC}.container.1`])
    const again = await h.act('container#1', 'stop')
    expect(again).to.deep.equal({change: 'unchanged', undo: []})
    await undo[0].fn()
    expect((await inspect(`${SVC}.container.1`))!.State.Running).to.equal(true)
    expect(h.messages('container#1')).to.include(`docker start ${id}`)
  })

  it('start of an existing stopped container: docker start <id> as in the seed', async () => {
    const h = harness({'container#1': {type: 'docker', image: 'google/pause'}})
    await h.act('container#1', 'start')
    await h.act('container#1', 'stop')
    const id = (await inspect(`${SVC}.container.1`))!.Id
    const before = h.messages('container#1').length
    const {change, undo} = await h.act('container#1', 'start')
    expect(change).to.equal('changed')
    expect(undo).to.have.length(1)
    expect(h.messages('container#1').slice(before)).to.deep.equal([
      `docker start ${id}`,
      `output:\n${id}`,
      'wait for up status',
    ])
  })

  it('rm = true: stop removes the container', async () => {
    const h = harness({'container#1': {type: 'docker', image: 'redis', rm: 'true'}})
    await h.act('container#1', 'start')
    const id = (await inspect(`${SVC}.container.1`))!.Id
    const before = h.messages('container#1').length
    await h.act('container#1', 'stop')
    expect(await inspect(`${SVC}.container.1`)).to.equal(undefined)
    expect(h.messages('container#1').slice(before)).to.deep.equal([
      `docker stop ${id}`,
      `output:\n${id}`,
      `docker rm ${SVC}.container.1`,
      'wait for down status',
    ])
  })

  it('stop_timeout: a container ignoring TERM is killed after it', async () => {
    const h = harness({'container#1': {type: 'docker', image: 'svcmgr/slowstop', stop_timeout: '1s'}})
    await h.act('container#1', 'start')
    const t0 = Date.now()
    await h.act('container#1', 'stop')
    const took = Date.now() - t0
    expect(took).to.be.within(900, 8000)
    expect((await inspect(`${SVC}.container.1`))!.State.Running).to.equal(false)
  })

  it('undo of start stops and removes the container it created', async () => {
    const h = harness({'container#1': {type: 'docker', image: 'google/pause'}})
    const {undo} = await h.act('container#1', 'start')
    await undo[0].fn()
    expect(await inspect(`${SVC}.container.1`)).to.equal(undefined)
  })

  it('a failing image makes start throw with its exit code and output', async () => {
    const h = harness({'container#1': {type: 'docker', image: 'svcmgr/failing'}})
    holdAfterStart(h)
    let error: Error | undefined
    await h.act('container#1', 'start').catch(e => (error = e))
    // its last output: the logs endpoint's stderr frame, demultiplexed
    expect(error?.message).to.equal(
      `container ${SVC}.container.1 exited with code 1 right after start; its last output:\n  svcmgr/failing stand-in: exiting 1`,
    )
    const status = await h.status('container#1')
    expect(status.status).to.equal('down')
    expect(status.log?.[0].message).to.match(/exited with code 1/)
  })

  it('rm = true: stop also removes a container that exited on its own', async () => {
    const h = harness({'container#1': {type: 'docker', image: 'svcmgr/failing', rm: 'true'}})
    holdAfterStart(h)
    await h.act('container#1', 'start').catch(() => undefined)
    expect((await inspect(`${SVC}.container.1`))!.State.Status).to.equal('exited')
    const {change} = await h.act('container#1', 'stop')
    expect(change).to.equal('changed')
    expect(await inspect(`${SVC}.container.1`)).to.equal(undefined)
  })

  it('image_pull_policy = always pulls a present image before creating the container', async () => {
    const image = `${REGISTRY}/redis:3.0`
    const h = harness({'container#1': {type: 'docker', image, image_pull_policy: 'always'}})
    try {
      await docker.pull(image).then(s => new Promise(r => docker.modem.followProgress(s, r)))
      expect(await imageExists(image)).to.equal(true)
      await h.act('container#1', 'start')
      expect(h.messages('container#1')[0]).to.equal(`pulling docker image ${image}`)
    } finally {
      await removeServiceContainers()
      await docker
        .getImage(image)
        .remove({force: true})
        .catch(() => undefined)
    }
  })

  it(`pulls an absent image from the registry (${REGISTRY}/redis:3.0), then removes it`, async function () {
    const image = `${REGISTRY}/redis:3.0`
    if (await imageExists(image)) await docker.getImage(image).remove({force: true})
    const h = harness({'container#1': {type: 'docker', image}})
    try {
      await h.act('container#1', 'start')
      expect(h.messages('container#1')[0]).to.equal(`pulling docker image ${image}`)
      expect((await inspect(`${SVC}.container.1`))!.State.Running).to.equal(true)
      expect(await imageExists(image)).to.equal(true)
    } finally {
      await removeServiceContainers()
      await docker
        .getImage(image)
        .remove({force: true})
        .catch(() => undefined)
    }
  })

  it('an image that no registry has fails start with the registry message', async () => {
    const h = harness({'container#1': {type: 'docker', image: `${REGISTRY}/nothing-here:1`}})
    let error: Error | undefined
    await h.act('container#1', 'start').catch(e => (error = e))
    expect(error?.message).to.match(
      new RegExp(`^docker pull ${REGISTRY.replace(/\./g, '\\.')}/nothing-here:1: .*(not found|unknown|manifest)`, 'i'),
    )
    expect(await inspect(`${SVC}.container.1`)).to.equal(undefined)
  })

  it('a pull from a registry that never answers times out', async () => {
    // a local "registry" that accepts connections and says nothing
    const sockets: Socket[] = []
    const server = createServer(sock => void sockets.push(sock))
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as {port: number}).port
    try {
      const t0 = Date.now()
      let error: Error | undefined
      await pullImage(docker, `127.0.0.1:${port}/silent:1`, {timeoutMs: 1500}).catch(e => (error = e))
      expect(error?.message).to.equal(`docker pull 127.0.0.1:${port}/silent:1: timed out after 1.5s`)
      expect(Date.now() - t0).to.be.within(1400, 4000)
    } finally {
      for (const s of sockets) s.destroy()
      server.close()
    }
  })

  it('status of a paused container is warn', async () => {
    const h = harness({'container#1': {type: 'docker', image: 'google/pause'}})
    await h.act('container#1', 'start')
    await docker.getContainer(`${SVC}.container.1`).pause()
    const s = await h.status('container#1')
    expect(s.status).to.equal('warn')
    expect(s.log).to.deep.equal([{level: 'warn', message: `container ${SVC}.container.1 is paused`}])
    await docker.getContainer(`${SVC}.container.1`).unpause()
  })

  it('provision creates without starting; unprovision removes', async () => {
    const h = harness({'container#1': {type: 'docker', image: 'google/pause'}})
    const p = await h.act('container#1', 'provision')
    expect(p.change).to.equal('changed')
    expect((await inspect(`${SVC}.container.1`))!.State.Status).to.equal('created')
    expect((await h.act('container#1', 'provision')).change).to.equal('unchanged')
    await h.act('container#1', 'start')
    const u = await h.act('container#1', 'unprovision')
    expect(u.change).to.equal('changed')
    expect(await inspect(`${SVC}.container.1`)).to.equal(undefined)
    expect(await imageExists('google/pause')).to.equal(true)
    expect((await h.act('container#1', 'unprovision')).change).to.equal('unchanged')
  })

  it('an unreachable engine: status says unknown (warn, never down) with the reason, start and stop fail naming it', async () => {
    const h = harness(
      {'container#1': {type: 'docker', image: 'google/pause'}},
      {dockerHost: 'unix:///nonexistent.sock'},
    )
    const status = await h.status('container#1')
    expect(status).to.deep.equal({
      status: 'warn',
      label: `docker container ${SVC}.container.1@google/pause`,
      log: [
        {
          level: 'warn',
          message: `docker daemon socket /nonexistent.sock missing: the state of container ${SVC}.container.1 is unknown`,
        },
      ],
    })
    let error: Error | undefined
    await h.act('container#1', 'start').catch(e => (error = e))
    expect(error?.message).to.equal(
      `docker start ${SVC}.container.1: docker daemon socket /nonexistent.sock missing: the state of the container is unknown, nothing was done`,
    )
    error = undefined as Error | undefined // typed: a plain undefined would narrow error to undefined for the checks below
    await h.act('container#1', 'stop').catch(e => (error = e))
    expect(error?.message).to.equal(
      `docker stop ${SVC}.container.1: docker daemon socket /nonexistent.sock missing: the state of the container is unknown, nothing was done`,
    )
  })

  it('docker ps shows the containers (the real CLI agrees with the engine)', async () => {
    const h = harness({'container#1': {type: 'docker', image: 'google/pause'}})
    await h.act('container#1', 'start')
    const {stdout} = await run('docker', [
      '-H',
      DOCKER_HOST,
      'ps',
      '--filter',
      `label=com.svcmgr.service=${SVC}`,
      '--format',
      '{{.Names}} {{.Image}} {{.Label "com.svcmgr.image"}}',
    ])
    // IMAGE is the short id of the image it was created from (pinned); the label keeps the name
    const {Id: imageId} = await docker.getImage('google/pause').inspect()
    expect(stdout.trim()).to.equal(`${SVC}.container.1 ${imageId.replace(/^sha256:/, '').slice(0, 12)} google/pause`)
  })
})

/** A driver context for a capability call, built like the harness builds its own. */
function ctxFor(h: DriverHarness, rid: string) {
  const r = h.service.resource(rid)!
  return {
    resource: r,
    service: h.service,
    settings: {root: '/tmp', nodename: 'test', dockerHost: DOCKER_HOST},
    log: {info() {}, warn() {}, error() {}, debug() {}},
    signal: new AbortController().signal,
    cache: new Map(),
    run: () => Promise.reject(new Error('unused')),
    waitFor: () => Promise.reject(new Error('unused')),
    peer: () => undefined,
  }
}
