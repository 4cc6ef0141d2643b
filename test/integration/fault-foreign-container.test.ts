/**
 * Fault: a container svcmgr did not create holds a managed name (issue 9, item 5). Against the
 * shared test engine, through the real CLI: a hand-made `docker run --name <svc>.container.1`
 * and one labelled for another service id are never adopted, started, stopped or removed;
 * start, stop and unprovision fail naming them; status says warn. The engine is checked
 * after each step: same container id, same StartedAt, still running.
 */
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
const OTHER_ID = '5b0c1e9e-0000-4000-8000-00000000f0e1'

describe('fault: a foreign container under a managed name', function () {
  this.timeout(180_000)
  const svc = uniqueName('foreign')
  const cli = new CliSandbox('foreign')
  const name = (n: number) => `${svc}.container.${n}`
  const notOurs = new RegExp(
    `container ${svc.replace(/\./g, '\\.')}\\.container\\.1 exists but was not created by svcmgr for ${svc} container#1`,
  )

  const removeForeign = () => docker(['rm', '-f', name(1)]).catch(() => '')

  before(async () => {
    requireEngine()
    await cli.ok(['-s', svc, 'create', '--config=-', '--local'], {input: JSON.stringify(seed)})
  })
  after(async () => {
    await removeForeign()
    await removeServiceContainers(svc)
    cli.cleanup()
  })

  /** Runs a foreign container under container#1's name; returns its engine state. */
  async function plantForeign(labels: string[]) {
    await removeForeign()
    await docker(['run', '-d', '--name', name(1), ...labels.flatMap(l => ['--label', l]), 'google/pause'])
    const c = await inspectContainer(name(1))
    expect(c?.running).to.equal(true)
    return c!
  }

  async function expectUntouched(before: {id: string; startedAt: string}) {
    const now = await inspectContainer(name(1))
    expect(now, 'the foreign container still exists').to.not.equal(undefined)
    expect(now!.id).to.equal(before.id)
    expect(now!.startedAt).to.equal(before.startedAt)
    expect(now!.running).to.equal(true)
  }

  describe('made by hand (no com.svcmgr labels)', () => {
    let foreign: {id: string; startedAt: string}
    before(async () => {
      foreign = await plantForeign([])
    })

    it('start fails naming it; it is not adopted nor restarted, and nothing else is created', async () => {
      const r = await cli.run(['-s', svc, 'start'])
      expect(r.exitCode, r.stdout + r.stderr).to.equal(1)
      expect(r.stdout + r.stderr).to.match(notOurs)
      expect(r.stdout + r.stderr).to.include('no com.svcmgr labels): remove or rename it')
      expect(r.stdout).to.not.match(/already up/)
      await expectUntouched(foreign)
      // container#2 and #3 join container#1's netns: never created in a namespace that is not ours
      expect(await inspectContainer(name(2))).to.equal(undefined)
      expect(await inspectContainer(name(3))).to.equal(undefined)
    })

    it('status says warn with the reason, and the instance does not read as down', async () => {
      const status = JSON.parse((await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'])).stdout)
      expect(status.resources['container#1'].status).to.equal('warn')
      expect(status.resources['container#1'].log.map((l: {message: string}) => l.message).join('\n')).to.match(notOurs)
      expect(status.avail).to.equal('warn')
      expect(status.overall).to.equal('warn')
    })

    it('stop fails naming it and does not stop it', async () => {
      const r = await cli.run(['-s', svc, 'stop'])
      expect(r.exitCode, r.stdout + r.stderr).to.equal(1)
      expect(r.stdout + r.stderr).to.match(notOurs)
      expect(r.stdout).to.not.match(/stop done/)
      await expectUntouched(foreign)
    })

    it('unprovision fails naming it and neither stops nor removes it', async () => {
      const r = await cli.run(['-s', svc, 'unprovision'])
      expect(r.exitCode, r.stdout + r.stderr).to.equal(1)
      expect(r.stdout + r.stderr).to.match(notOurs)
      // no docker stop/rm was even logged as run
      expect(r.stdout).to.not.match(/INFO\s+\S+\s+docker (-H \S+ )?(rm|stop) /)
      await expectUntouched(foreign)
    })
  })

  describe('labelled for this service and rid but another service id', () => {
    let foreign: {id: string; startedAt: string}
    before(async () => {
      foreign = await plantForeign([
        `com.svcmgr.service=${svc}`,
        'com.svcmgr.rid=container#1',
        `com.svcmgr.id=${OTHER_ID}`,
      ])
    })

    it('start, stop and unprovision fail naming it; status is warn; it is untouched', async () => {
      for (const action of ['start', 'stop', 'unprovision']) {
        const r = await cli.run(['-s', svc, action])
        expect(r.exitCode, `${action}: ${r.stdout}${r.stderr}`).to.equal(1)
        expect(r.stdout + r.stderr, action).to.match(notOurs)
        expect(r.stdout + r.stderr, action).to.include(`com.svcmgr.id=${OTHER_ID}`)
        await expectUntouched(foreign)
      }
      const status = JSON.parse((await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'])).stdout)
      expect(status.resources['container#1'].status).to.equal('warn')
      expect(await inspectContainer(name(2))).to.equal(undefined)
    })
  })

  describe('made by an older svcmgr (service and rid labels, no id label)', () => {
    before(async () => {
      await plantForeign([`com.svcmgr.service=${svc}`, 'com.svcmgr.rid=container#1'])
    })

    it('is managed: start adopts it as already up, stop stops it', async () => {
      const start = await cli.ok(['-s', svc, 'start'])
      expect(start.stdout).to.match(/container#1.*already up/)
      for (const n of [1, 2, 3]) expect((await inspectContainer(name(n)))?.running, `container ${n}`).to.equal(true)
      await cli.ok(['-s', svc, 'stop'])
      for (const n of [1, 2, 3]) expect((await inspectContainer(name(n)))?.running, `container ${n}`).to.equal(false)
    })
  })
})
