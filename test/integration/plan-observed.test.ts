/**
 * The state-aware plan on the real engine (issue 12, items 1 and 2): a fresh service plans
 * create for every container, a started one none; `set container#3.image` plans one recreate
 * and `start` really recreates it (a new container id and image on the engine, the others keep
 * theirs); a change of the netns owner's spec recreates the owner and the containers joined to
 * its namespace, and no other; print status names the drift; an unreachable engine makes the
 * plan say "not probed" and fall back to the static steps. Every step checks the engine.
 */
import {expect} from 'chai'
import {
  CliSandbox,
  docker,
  inspectContainer,
  removeServiceContainers,
  requireEngine,
  seedSvc2Containers,
} from './support/cli.js'

interface JsonTask {
  rid: string
  change: string
  cause: string
  steps: string[]
  observed?: {status: string; detail?: string; drift?: string[]}
}
interface JsonPlan {
  version: number
  observed: boolean
  summary: Record<string, number>
  tasks: JsonTask[]
}

describe('plan from the observed state, drift and convergence (real engine)', function () {
  this.timeout(180_000)
  // the pl prefix: this engineer's services on the shared engine
  const svc = `pl${process.pid}obs`
  const cli = new CliSandbox('plobs')
  const name = (n: number) => `${svc}.container.${n}`
  // svc2's three containers, and a fourth in a namespace of its own: not joined to container#1's
  const config = {
    ...seedSvc2Containers(),
    'container#4': {type: 'docker', image: 'nginx'},
  }
  const plan = async (action = 'start', env?: Record<string, string>): Promise<JsonPlan> =>
    JSON.parse((await cli.ok(['-s', svc, action, '--dry-run', '--format', 'json'], env ? {env} : {})).stdout)
  const changes = (p: JsonPlan) => Object.fromEntries(p.tasks.map(t => [t.rid, t.change]))
  const ids = async () =>
    Object.fromEntries(
      await Promise.all([1, 2, 3, 4].map(async n => [n, (await inspectContainer(name(n)))?.id] as const)),
    )

  // a second tag of the engine's redis, made and removed here: the new image of the drift case,
  // present whatever ran before (nothing is pulled; the engine may have no way out)
  const image = `pl${process.pid}-redis:3.0`
  before(async () => {
    requireEngine()
    await docker(['tag', 'redis:latest', image])
    await cli.ok(['-s', svc, 'create', '--config=-'], {input: JSON.stringify(config)})
  })
  after(async () => {
    await removeServiceContainers(svc)
    await docker(['rmi', image]).catch(() => undefined)
    cli.cleanup()
  })

  it('plans create for every container of a fresh service, and changes nothing', async () => {
    const p = await plan()
    expect(p.version).to.equal(2)
    expect(p.observed).to.equal(true)
    expect(changes(p)).to.deep.equal({
      'container#1': 'create',
      'container#2': 'create',
      'container#3': 'create',
      'container#4': 'create',
    })
    expect(p.summary).to.deep.equal({create: 4})
    expect(p.tasks.every(t => t.cause === 'absent' && t.observed?.detail === 'absent')).to.equal(true)
    const text = (await cli.ok(['-s', svc, 'start', '--dry-run'])).stdout
    expect(text).to.include('[1] container#1  create (absent)')
    expect(text).to.include('  summary: 4 to create\n')
    expect(await inspectContainer(name(1))).to.equal(undefined)
    // the dry-run runs without oclif (src/cli/lean-action.ts): oclif's own answer is the same
    for (const format of ['text', 'json']) {
      const lean = await cli.ok(['-s', svc, 'start', '--dry-run', '--format', format])
      const oclif = await cli.ok(['-s', svc, 'start', '--dry-run', '--format', format], {env: {SVCMGR_LEAN: '0'}})
      expect(lean.stdout, format).to.equal(oclif.stdout)
    }
  })

  it('plans none for every container once started, in sync (drift [] in status)', async () => {
    await cli.ok(['-s', svc, 'start'])
    const p = await plan()
    expect(Object.values(changes(p))).to.deep.equal(['none', 'none', 'none', 'none'])
    expect(p.tasks.map(t => t.observed)).to.deep.equal(
      p.tasks.map(() => ({status: 'up', detail: 'running', drift: []})),
    )
    expect((await cli.ok(['-s', svc, 'start', '--dry-run'])).stdout).to.include('  summary: 4 already up\n')
    const status = JSON.parse((await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'])).stdout)
    expect(Object.values(status.resources).map(r => (r as {drift: string[]}).drift)).to.deep.equal([[], [], [], []])
    // a second start changes nothing on the engine: the same containers, the same runs
    const before = await Promise.all([1, 2, 3, 4].map(n => inspectContainer(name(n))))
    await cli.ok(['-s', svc, 'start'])
    const after = await Promise.all([1, 2, 3, 4].map(n => inspectContainer(name(n))))
    expect(after.map(c => [c?.id, c?.startedAt])).to.deep.equal(before.map(c => [c?.id, c?.startedAt]))
  })

  it('after set container#3.image: status names the drift, the plan one recreate, start recreates only it', async () => {
    await cli.ok(['-s', svc, 'set', '--kw', `container#3.image=${image}`])
    const tree = (await cli.ok(['-s', svc, 'print', 'status'])).stdout
    expect(tree).to.include('warn: # drift: image (start recreates it)')
    const status = JSON.parse((await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'])).stdout)
    expect(status.resources['container#3'].drift).to.deep.equal(['image'])
    expect(status.resources['container#2'].drift).to.deep.equal([])
    const p = await plan()
    expect(changes(p)).to.deep.equal({
      'container#1': 'none',
      'container#2': 'none',
      'container#3': 'recreate',
      'container#4': 'none',
    })
    const c3 = p.tasks.find(t => t.rid === 'container#3')!
    expect(c3.cause).to.equal(`image redis → ${image}`)
    expect(c3.observed).to.deep.equal({status: 'up', detail: 'running', drift: ['image']})
    expect((await cli.ok(['-s', svc, 'start', '--dry-run'])).stdout).to.include(
      `[3] container#3  recreate: image redis → ${image}`,
    )
    const before = await ids()
    await cli.ok(['-s', svc, 'start'])
    const after = await ids()
    expect(after[3]).to.be.a('string').and.not.equal(before[3])
    expect([after[1], after[2], after[4]]).to.deep.equal([before[1], before[2], before[4]])
    const c = await inspectContainer(name(3))
    expect([c?.image, c?.running, c?.networkMode]).to.deep.equal([image, true, `container:${after[1]}`])
    expect(Object.values(changes(await plan()))).to.deep.equal(['none', 'none', 'none', 'none'])
  })

  it("a change of the netns owner's spec recreates the owner and its joined containers, and nothing else", async () => {
    await cli.ok(['-s', svc, 'set', '--kw', 'container#1.environment=PLOBS=1'])
    const p = await plan()
    expect(changes(p)).to.deep.equal({
      'container#1': 'recreate',
      'container#2': 'recreate',
      'container#3': 'recreate',
      'container#4': 'none',
    })
    expect(p.tasks.find(t => t.rid === 'container#1')!.cause).to.equal('environment')
    expect(p.tasks.find(t => t.rid === 'container#2')!.cause).to.equal('its netns owner container#1 is recreated')
    expect(p.summary).to.deep.equal({recreate: 3, none: 1})
    const before = await ids()
    await cli.ok(['-s', svc, 'start'])
    const after = await ids()
    for (const n of [1, 2, 3]) expect(after[n], `container#${n}`).to.be.a('string').and.not.equal(before[n])
    expect(after[4]).to.equal(before[4])
    // the joined containers share the new owner's namespace
    for (const n of [2, 3]) expect((await inspectContainer(name(n)))?.networkMode).to.equal(`container:${after[1]}`)
    expect((await inspectContainer(name(1)))?.env).to.include('PLOBS=1')
    expect(Object.values(changes(await plan()))).to.deep.equal(['none', 'none', 'none', 'none'])
  })

  it('stop plans stop for what runs; after it, none: already down', async () => {
    const p = await plan('stop')
    expect(Object.values(changes(p))).to.deep.equal(['stop', 'stop', 'stop', 'stop'])
    await cli.ok(['-s', svc, 'stop'])
    const down = await plan('stop')
    expect(down.tasks.map(t => `${t.change}: ${t.cause}`)).to.deep.equal(down.tasks.map(() => 'none: already down'))
    const start = await plan('start')
    expect(start.tasks.map(t => `${t.change} (${t.cause})`)).to.include('start (exists, exited)')
  })

  it('an unreachable engine: each task says not probed and keeps the static steps', async () => {
    const env = {DOCKER_HOST: 'unix:///nonexistent/pl-docker.sock'}
    const p = await plan('start', env)
    expect(p.observed).to.equal(true)
    for (const t of p.tasks) {
      expect(t.change).to.equal('start')
      expect(t.cause).to.match(/^not probed: .*\/nonexistent\/pl-docker\.sock/)
      expect(t.observed).to.deep.equal({status: 'unknown'})
      expect(t.steps.join('\n')).to.include('(when the container exists and is stopped)')
    }
    const text = (await cli.ok(['-s', svc, 'start', '--dry-run'], {env})).stdout
    expect(text).to.match(/\[1\] container#1 {2}start \(not probed: /)
  })
})
