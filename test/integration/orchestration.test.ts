/**
 * The seed's "Complex Orchestration" containers (subsets 00database, 01appservers parallel,
 * 02webservers sequential) on a real engine. Order and overlap are read from the engine's
 * own event times, not from svcmgr's output.
 */
import {expect} from 'chai'
import {
  CliSandbox,
  type EngineEvent,
  engineEvents,
  inspectContainer,
  removeServiceContainers,
  requireEngine,
  uniqueName,
} from './support/cli.js'

function orchestrationConfig(image: string): string {
  const c = (n: number, subset: string) => `[container#${n}]\ntype = docker\nimage = ${image}\nsubset = ${subset}\n`
  return [
    '[DEFAULT]\napp = OSVCLAB\nenv = DEV\n',
    c(1, '00database'),
    c(2, '01appservers'),
    c(3, '01appservers'),
    c(4, '01appservers'),
    c(5, '01appservers'),
    '[subset#container.docker:01appservers]\nparallel = true\n',
    c(6, '02webservers'),
    c(7, '02webservers'),
    '[subset#container.docker:02webservers]\nparallel = false\n',
  ].join('\n')
}

describe('complex orchestration: subsets in order, parallel and sequential, on a real engine', function () {
  this.timeout(180_000)
  const svc = uniqueName('orch')
  const cli = new CliSandbox('orch')
  let startEvents: EngineEvent[] = []

  before(requireEngine)
  after(async () => {
    await removeServiceContainers(svc)
    cli.cleanup()
  })

  const first = (events: EngineEvent[], action: string, n: number) => {
    const e = events.find(x => x.action === action && x.name === `${svc}.container.${n}`)
    if (!e)
      throw new Error(`no ${action} event for container ${n} in ${events.map(x => `${x.action}:${x.name}`).join(', ')}`)
    return e.timeNano
  }

  it('starts every container, creating them (the INI form, with the seed spelling of subset sections)', async () => {
    await cli.ok(['-s', svc, 'create', '--config=-'], {input: orchestrationConfig('opensvc/busybox:date')})
    const since = new Date(Date.now() - 1000)
    await cli.ok(['-s', svc, 'start'])
    const until = new Date()
    for (let n = 1; n <= 7; n++)
      expect((await inspectContainer(`${svc}.container.${n}`))!.running, `container ${n}`).to.equal(true)
    startEvents = await engineEvents(since, until, `${svc}.container.`)
  })

  it('starts subsets in order: 00database, then 01appservers, then 02webservers', () => {
    const dbStarted = first(startEvents, 'start', 1)
    for (const n of [2, 3, 4, 5])
      expect(first(startEvents, 'create', n) > dbStarted, `container ${n} created after the database started`).to.equal(
        true,
      )
    const appStarted = [2, 3, 4, 5].map(n => first(startEvents, 'start', n)).reduce((a, b) => (a > b ? a : b))
    expect(first(startEvents, 'create', 6) > appStarted).to.equal(true)
  })

  it('runs the 01appservers members concurrently: their create→start intervals overlap', () => {
    const spans = [2, 3, 4, 5].map(n => [first(startEvents, 'create', n), first(startEvents, 'start', n)])
    const latestCreate = spans.map(s => s[0]).reduce((a, b) => (a > b ? a : b))
    const earliestStart = spans.map(s => s[1]).reduce((a, b) => (a < b ? a : b))
    // every member was created before any of them had started: all four were under way at once
    expect(latestCreate < earliestStart, 'all four creates happen before the first start completes').to.equal(true)
  })

  it('never overlaps the 02webservers members', () => {
    expect(first(startEvents, 'create', 7) > first(startEvents, 'start', 6)).to.equal(true)
  })

  it('stops in reverse: 02webservers (7 then 6), 01appservers, then 00database', async () => {
    const since = new Date(Date.now() - 1000)
    await cli.ok(['-s', svc, 'stop'])
    const events = await engineEvents(since, new Date(), `${svc}.container.`)
    const died = (n: number) => first(events, 'die', n)
    expect(died(7) < died(6)).to.equal(true)
    const appDied = [2, 3, 4, 5].map(died)
    for (const t of appDied) expect(t > died(6) && t < died(1)).to.equal(true)
    for (let n = 1; n <= 7; n++) expect((await inspectContainer(`${svc}.container.${n}`))!.running).to.equal(false)
  })

  it('--subsets and --rid group.type narrow the selection', async () => {
    await cli.ok(['-s', svc, 'start', '--subsets', '01appservers'])
    const running = await Promise.all(
      [1, 2, 3, 4, 5, 6, 7].map(async n => (await inspectContainer(`${svc}.container.${n}`))!.running),
    )
    expect(running).to.deep.equal([false, true, true, true, true, false, false])
    await cli.ok(['-s', svc, 'stop', '--rid', 'container.docker'])
  })
})
