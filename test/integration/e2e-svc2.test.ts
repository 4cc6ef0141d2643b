/**
 * The seed tutorial's svc2 (without ip#1, which issue 4 covers) on a real engine, through the
 * real CLI: create --provision, print config, print status, stop/start --rid container,
 * restart --rid container#3, and the rm + image upgrade pulled from the local registry.
 * Every step checks the engine's state, not only svcmgr's output.
 */
import fs from 'node:fs'
import {expect} from 'chai'
import {
  CliSandbox,
  docker,
  inspectContainer,
  removeServiceContainers,
  requireEngine,
  seedSvc2Containers,
  uniqueName,
} from './support/cli.js'

const seed = seedSvc2Containers()

describe('e2e: the seed svc2 tutorial on a real engine', function () {
  this.timeout(180_000)
  const svc = uniqueName('svc2')
  const cli = new CliSandbox('svc2')
  const name = (n: number) => `${svc}.container.${n}`
  const registry = process.env.SVCMGR_TEST_REGISTRY ?? '127.0.0.1:5000'
  const upgraded = `${registry}/redis:${svc}`

  before(requireEngine)
  after(async () => {
    await removeServiceContainers(svc)
    await docker(['rmi', upgraded]).catch(() => {})
    cli.cleanup()
  })

  it('creates from the seed JSON on stdin and provisions: all three containers run', async () => {
    await cli.ok(['-s', svc, 'create', '--config=-', '--provision', '--local'], {input: JSON.stringify(seed)})
    const c1 = await inspectContainer(name(1))
    const c2 = await inspectContainer(name(2))
    const c3 = await inspectContainer(name(3))
    expect([c1?.running, c2?.running, c3?.running]).to.deep.equal([true, true, true])
    expect(c1!.networkMode).to.equal('none')
    expect(c2!.networkMode).to.equal(`container:${c1!.id}`)
    expect(c3!.networkMode).to.equal(`container:${c1!.id}`)
    expect(c3!.labels).to.include({'com.svcmgr.service': svc, 'com.svcmgr.rid': 'container#3'})
  })

  it('prints the config as the seed shows it', async () => {
    const {stdout} = await cli.ok(['-s', svc, 'print', 'config'])
    expect(stdout).to.equal(`[DEFAULT]
id = fd1196ad-fbf1-49bb-ab52-12ed2a1fbf0e

[container#1]
type = docker
image = google/pause
run_command = /bin/sh

[container#2]
type = docker
image = nginx
netns = container#1

[container#3]
type = docker
image = redis
netns = container#1
`)
    const json = JSON.parse((await cli.ok(['-s', svc, 'print', 'config', '--format', 'json'])).stdout)
    expect(json['container#2']).to.deep.equal({type: 'docker', image: 'nginx', netns: 'container#1'})
  })

  it('prints the status tree and a JSON status that agree with the engine', async () => {
    const {stdout} = await cli.ok(['-s', svc, 'print', 'status'])
    expect(stdout).to.match(new RegExp(`^${svc}\\s+up\\n`))
    expect(stdout).to.match(/\|- container#1\s+\.{8} up\s+docker container \S+\.container\.1@google\/pause/)
    const status = JSON.parse((await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'])).stdout)
    expect(status.avail).to.equal('up')
    expect(status.overall).to.equal('up')
    expect(status.frozen).to.equal(false)
    expect(Object.keys(status.resources)).to.deep.equal(['container#1', 'container#2', 'container#3'])
    expect(status.resources['container#2']).to.include({status: 'up', type: 'container.docker'})
  })

  it('stop --rid container stops all three in reverse order; start --rid container brings them back', async () => {
    const stop = await cli.ok(['-s', svc, 'stop', '--rid', 'container'])
    const order = [...stop.stdout.matchAll(/(container#\d)\s+docker stop/g)].map(m => m[1])
    expect(order).to.deep.equal(['container#3', 'container#2', 'container#1'])
    for (const n of [1, 2, 3]) expect((await inspectContainer(name(n)))!.running, `container ${n}`).to.equal(false)
    const status = JSON.parse((await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'])).stdout)
    expect(status.avail).to.equal('down')
    await cli.ok(['-s', svc, 'start', '--rid', 'container'])
    for (const n of [1, 2, 3]) expect((await inspectContainer(name(n)))!.running, `container ${n}`).to.equal(true)
  })

  it('restart --rid container#3 restarts only container#3', async () => {
    const before1 = await inspectContainer(name(1))
    const before3 = await inspectContainer(name(3))
    const r = await cli.ok(['-s', svc, 'restart', '--rid', 'container#3'])
    expect(r.stdout).to.include('instance stopped, ready for restart.')
    const after1 = await inspectContainer(name(1))
    const after3 = await inspectContainer(name(3))
    expect(after3!.running).to.equal(true)
    expect(after3!.startedAt).to.not.equal(before3!.startedAt)
    expect(after1!.startedAt).to.equal(before1!.startedAt)
  })

  it('set rm=true and a new image; restart replaces the container with one from the pulled image', async () => {
    // a tag of our own in the registry, absent locally, so the start has to pull it whatever else runs
    await docker(['pull', `${registry}/redis:3.0`])
    await docker(['tag', `${registry}/redis:3.0`, upgraded])
    await docker(['push', upgraded])
    await docker(['rmi', upgraded])
    const old = await inspectContainer(name(3))
    await cli.ok(['-s', svc, 'set', '--kw', 'container#3.rm=true', '--kw', `container#3.image=${upgraded}`])
    expect((await cli.ok(['-s', svc, 'get', '--kw', 'container#3.image'])).stdout.trim()).to.equal(upgraded)
    const r = await cli.ok(['-s', svc, 'restart', '--rid', 'container#3'])
    expect(r.stdout).to.include(`pulling docker image ${upgraded}`)
    const now = await inspectContainer(name(3))
    expect(now!.running).to.equal(true)
    expect(now!.id).to.not.equal(old!.id)
    expect(now!.image).to.equal(upgraded)
    // created from the id the pulled tag names, not from the name
    expect(now!.pinned).to.equal(true)
    expect(now!.imageId).to.equal((await docker(['image', 'inspect', '--format', '{{.Id}}', upgraded])).trim())
    expect(now!.env).to.include('REDIS_VERSION=3.0')
  })

  it('freeze shows in the status; thaw clears it', async () => {
    await cli.ok(['-s', svc, 'freeze'])
    expect((await cli.ok(['-s', svc, 'print', 'status'])).stdout).to.match(/up\s+frozen, idle, started/)
    expect(JSON.parse((await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'])).stdout).frozen).to.equal(true)
    await cli.ok(['-s', svc, 'thaw'])
    expect(JSON.parse((await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'])).stdout).frozen).to.equal(false)
  })

  it('appends every action to the service log file', () => {
    const log = fs.readFileSync(`${cli.root}/log/${svc}.log`, 'utf8')
    expect(log).to.match(
      new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\S+ INFO  user  deb1\\.${svc}\\.container#3 +docker stop`, 'm'),
    )
    expect(log).to.include('provision done')
    expect(log).to.include('restart done')
  })

  it('unprovision removes the containers; delete removes the config', async () => {
    await cli.ok(['-s', svc, 'unprovision'])
    for (const n of [1, 2, 3]) expect(await inspectContainer(name(n))).to.equal(undefined)
    await cli.ok(['-s', svc, 'delete'])
    expect((await cli.ok(['ls'])).stdout).to.not.include(svc)
  })
})
