/** A failing start rolls back what this action started, and only that; --disable-rollback leaves it. */
import {expect} from 'chai'
import {CliSandbox, inspectContainer, removeServiceContainers, requireEngine, uniqueName} from './support/cli.js'

const config = `[container#1]
type = docker
image = google/pause

[container#2]
type = docker
image = opensvc/busybox:date
subset = 01app

[container#3]
type = docker
image = svcmgr/failing
subset = 02web
readiness_probe = tcp:9
`
// container#3 exits 1 at once. A start is confirmed without a fixed wait (running, and the same
// run at the next state check), which an exit a few ms later can pass; a readiness probe waits
// on the service itself and fails at once when the container has exited: the failure is certain.

describe('rollback on a failing container, on a real engine', function () {
  this.timeout(180_000)
  const svc = uniqueName('rb')
  const cli = new CliSandbox('rb')
  const running = async (n: number) => (await inspectContainer(`${svc}.container.${n}`))?.running ?? false

  before(async () => {
    requireEngine()
    await cli.ok(['-s', svc, 'create', '--config=-'], {input: config})
  })
  after(async () => {
    await removeServiceContainers(svc)
    cli.cleanup()
  })

  it('exits 1, names the failed resource and the rolled-back ones, and stops what it started', async () => {
    const r = await cli.run(['-s', svc, 'start'])
    expect(r.exitCode).to.equal(1)
    expect(r.stderr).to.match(/start \S+ failed: container#3: .*exit/i)
    // container#3 was created by this start, so its removal is part of the rollback too
    expect(r.stderr).to.match(/Rolled back: container#3 [\s\S]*container#2 [\s\S]*container#1/)
    expect([await running(1), await running(2), await running(3)]).to.deep.equal([false, false, false])
  })

  it('leaves alone a resource that was up before the action', async () => {
    await cli.ok(['-s', svc, 'start', '--rid', 'container#1'])
    const before = await inspectContainer(`${svc}.container.1`)
    const r = await cli.run(['-s', svc, 'start'])
    expect(r.exitCode).to.equal(1)
    const after = await inspectContainer(`${svc}.container.1`)
    expect(after!.running).to.equal(true)
    expect(after!.startedAt).to.equal(before!.startedAt)
    expect(await running(2)).to.equal(false)
  })

  it('--disable-rollback leaves the started resources up', async () => {
    await cli.ok(['-s', svc, 'stop'])
    const r = await cli.run(['-s', svc, 'start', '--disable-rollback'])
    expect(r.exitCode).to.equal(1)
    expect([await running(1), await running(2)]).to.deep.equal([true, true])
  })

  it('--format json reports the failure as data', async () => {
    await cli.ok(['-s', svc, 'stop'])
    const r = await cli.run(['-s', svc, 'start', '--format', 'json'])
    expect(r.exitCode).to.equal(1)
    const result = JSON.parse(r.stdout)
    expect(result).to.include({version: 1, ok: false, action: 'start'})
    expect(result.tasks.find((t: {rid: string}) => t.rid === 'container#3').state).to.equal('failed')
    expect(result.rollback.map((u: {rid: string}) => u.rid)).to.deep.equal([
      'container#3',
      'container#2',
      'container#1',
    ])
  })
})
