import {expect} from 'chai'
import {executePlan} from '../../src/executor/execute.js'
import {EventCollector} from '../../src/log/events.js'
import {RUN_EVENTS_VERSION, RunEventHub, type RunEvent} from '../../src/log/run-events.js'
import {planDigest} from '../../src/planner/digest.js'
import {buildPlan} from '../../src/planner/plan.js'
import {JsonLinesWriter} from '../../src/render/event-stream.js'
import {LinesView} from '../../src/render/renderer.js'
import {ConfigError, LockError, UsageError} from '../../src/errors.js'
import {checkActionOutput} from '../../src/cli/action-output.js'
import {FakeHost} from './fixtures/fake-drivers.js'
import {compileFixture, fixture, realRegistry} from './fixtures/services.js'

const identity = {node: 'deb1', service: 'svc2', action: 'start'}

/** A start of svc2 on the fake host, its events as the jsonl writer prints them, parsed back line by line. */
async function streamedStart(host: FakeHost, signal?: AbortSignal) {
  const svc2 = compileFixture(fixture('svc2.json'), 'svc2', realRegistry(host))
  const plan = buildPlan(svc2, 'start')
  const text: string[] = []
  const lines: string[] = []
  const hub = new RunEventHub(identity)
    .subscribe(new JsonLinesWriter(l => text.push(l)))
    .subscribe(new LinesView('info', l => lines.push(l)))
  hub.planned(plan, false)
  const result = await executePlan(plan, {
    service: svc2,
    settings: {root: '/x', nodename: 'deb1'},
    sink: new EventCollector(),
    observer: hub,
    signal,
  })
  hub.summary({exitCode: result.ok ? 0 : 1, ok: result.ok, result})
  for (const l of text) expect(l.endsWith('\n') && !l.slice(0, -1).includes('\n'), l).to.equal(true)
  const events = text.map(l => JSON.parse(l) as RunEvent)
  return {plan, events, lines, hub, result}
}

const phasesOf = (events: RunEvent[], rid: string) =>
  events.filter(e => e.kind === 'task' && e.rid === rid).map(e => e.phase)

describe('run events: the jsonl stream of an execution (fake drivers)', () => {
  it('a start: versioned, numbered in order, one run id and the plan digest on every line, each rid planned, started, then changed or unchanged, a summary last', async () => {
    const host = new FakeHost()
    host.up.add('ip#1')
    const {plan, events, hub} = await streamedStart(host)
    // increasing; a gap is an event the stream leaves out (a task's state line: its task event says it)
    expect(events[0].seq).to.equal(1)
    for (const [i, e] of events.slice(1).entries()) expect(e.seq).to.be.greaterThan(events[i].seq)
    for (const e of events) {
      expect(e.v).to.equal(RUN_EVENTS_VERSION)
      expect(e.run).to.equal(hub.run)
      expect(e.plan).to.equal(planDigest(plan))
      expect(e).to.include({node: 'deb1', service: 'svc2', action: 'start'})
      expect(Number.isNaN(Date.parse(e.ts))).to.equal(false)
    }
    expect(phasesOf(events, 'container#1')).to.deep.equal(['planned', 'started', 'changed'])
    expect(phasesOf(events, 'ip#1')).to.deep.equal(['planned', 'started', 'unchanged'])
    const ends = events.filter(e => e.kind === 'task' && e.phase !== 'planned' && e.phase !== 'started')
    for (const e of ends) {
      expect(e.duration_ms).to.be.a('number')
      expect(e.stage).to.equal(1)
      expect(e.change).to.equal('start')
    }
    expect(events[0]).to.include({kind: 'run', phase: 'planned', tasks: 4})
    expect(events[0].changes).to.deep.equal({start: 4})
    expect(events.at(-1)).to.deep.include({kind: 'summary', ok: true, exit_code: 0, result: 'done'})
    expect(events.at(-1)!.counts).to.deep.equal({changed: 3, unchanged: 1})
    expect(events.filter(e => e.kind === 'summary')).to.have.length(1)
    // a task's own state line (the log file's form) is not repeated in the stream: its task event says it
    expect(events.filter(e => e.kind === 'log' && e.state)).to.deep.equal([])
  })

  it('a failing start: the failed task with its error, what was not run, the rollback step, a failed summary', async () => {
    const host = new FakeHost()
    host.failOn.add('start container#2')
    const {events} = await streamedStart(host)
    const failed = events.find(e => e.kind === 'task' && e.phase === 'failed')!
    expect(failed).to.deep.include({rid: 'container#2', error: {message: 'fake start failure'}})
    expect(phasesOf(events, 'container#3')).to.deep.equal(['planned', 'not-run'])
    const rolledBack = events.filter(e => e.kind === 'rollback').map(e => [e.rid, e.phase])
    expect(rolledBack).to.deep.equal([
      ['ip#1', 'rolled-back'],
      ['container#1', 'rolled-back'],
    ])
    const order = events.map(e => e.kind)
    expect(order.indexOf('tasks-ended')).to.be.lessThan(order.indexOf('rollback'))
    expect(events.at(-1)).to.deep.include({kind: 'summary', ok: false, exit_code: 1, result: 'failed'})
    expect(events.at(-1)!.error).to.deep.equal({message: 'container#2: fake start failure'})
    expect(events.at(-1)!.counts).to.deep.include({failed: 1, 'not-run': 1, 'rollback rolled-back': 2})
  })

  it('an interruption is an event; the stream ends with an interrupted summary', async () => {
    const host = new FakeHost()
    const abort = new AbortController()
    host.onCall = call => call === 'start container#1' && abort.abort('interrupted by SIGINT')
    const svc2 = compileFixture(fixture('svc2.json'), 'svc2', realRegistry(host))
    const plan = buildPlan(svc2, 'start')
    const events: RunEvent[] = []
    const hub = new RunEventHub(identity).subscribe(new JsonLinesWriter(l => events.push(JSON.parse(l))))
    const result = await executePlan(plan, {
      service: svc2,
      settings: {root: '/x', nodename: 'deb1'},
      sink: new EventCollector(),
      observer: hub,
      signal: abort.signal,
    })
    hub.summary({exitCode: 130, ok: false, signal: 'SIGINT', result})
    expect(events.find(e => e.kind === 'interrupted')).to.include({message: 'interrupted by SIGINT'})
    expect(phasesOf(events, 'ip#1')).to.deep.equal(['planned', 'not-run'])
    expect(events.at(-1)).to.deep.include({kind: 'summary', result: 'interrupted', exit_code: 130, signal: 'SIGINT'})
  })

  it('errors outside the tasks are events too: a config error before any plan, a lock refused after it', () => {
    const events: RunEvent[] = []
    const hub = new RunEventHub(identity).subscribe(new JsonLinesWriter(l => events.push(JSON.parse(l))))
    hub.error(new ConfigError(['container#1.image: expected a string', 'ip#1.netns: no such resource']))
    hub.summary({exitCode: 2, ok: false, error: new Error('x')})
    expect(events[0]).to.deep.include({kind: 'error', plan: null})
    expect(events[0].error).to.deep.include({type: 'ConfigError'})
    expect(events[0].error!.problems).to.have.length(2)
    expect(events[1]).to.deep.include({kind: 'summary', exit_code: 2, result: 'error', plan: null})

    const svc2 = compileFixture(fixture('svc2.json'), 'svc2', realRegistry())
    const plan = buildPlan(svc2, 'start')
    const after: RunEvent[] = []
    const hub2 = new RunEventHub(identity).subscribe(new JsonLinesWriter(l => after.push(JSON.parse(l))))
    hub2.planned(plan, false)
    hub2.error(new LockError('svc2: locked by start (pid 123)'))
    hub2.summary({exitCode: 1, ok: false, error: new LockError('svc2: locked by start (pid 123)')})
    expect(after.at(-2)).to.deep.include({kind: 'error', plan: planDigest(plan)})
    expect(after.at(-2)!.error).to.deep.include({type: 'LockError', message: 'svc2: locked by start (pid 123)'})
    hub2.summary({exitCode: 0, ok: true})
    expect(after.filter(e => e.kind === 'summary')).to.have.length(1)
  })

  it('without a consumer (--format json) no event is made and the plan is not digested; a consumer added later sees the numbering and the digest', () => {
    const svc2 = compileFixture(fixture('svc2.json'), 'svc2', realRegistry())
    const plan = buildPlan(svc2, 'start')
    // the digest serializes the whole plan: its keys are listed then (stableStringify's replacer)
    let listed = 0
    const watched = new Proxy(plan, {
      ownKeys(target) {
        listed++
        return Reflect.ownKeys(target)
      },
    })
    const hub = new RunEventHub(identity)
    hub.planned(watched, true)
    expect(listed).to.equal(0)
    const late: RunEvent[] = []
    hub.subscribe(new JsonLinesWriter(l => late.push(JSON.parse(l))))
    hub.summary({exitCode: 0, ok: true, dryRun: true})
    expect(listed).to.be.greaterThan(0)
    expect(late).to.have.length(1)
    // one run event and one per task came before, unseen
    expect(late[0]).to.deep.include({kind: 'summary', seq: plan.tasks.length + 2, plan: planDigest(plan)})
  })

  it('the lines view and the stream consume the same events: each log line of the view is a log event of the stream', async () => {
    const host = new FakeHost()
    host.up.add('ip#1')
    host.failOn.add('start container#2')
    const {events, lines} = await streamedStart(host)
    const logs = events.filter(e => e.kind === 'log' && e.level !== 'debug').map(e => e.message)
    // the view also prints the tasks' state lines (unchanged, failed, rolled back), which the stream says as task events
    for (const m of logs) expect(lines.some(l => l.endsWith(m!))).to.equal(true)
    expect(lines.map(l => l.replace(/^\S+ (\w+) +(\S+) +/, '$1 $2 '))).to.include(
      'ERROR deb1.svc2.container#2 fake start failure',
    )
  })

  it('a consumer that throws is dropped with one warning; the others go on', async () => {
    const warnings: string[] = []
    const seen: RunEvent[] = []
    const hub = new RunEventHub(identity, e => warnings.push(e.message))
      .subscribe({
        see: () => {
          throw new Error('EPIPE')
        },
      })
      .subscribe({see: e => void seen.push(e)})
    const svc2 = compileFixture(fixture('svc2.json'), 'svc2', realRegistry())
    hub.planned(buildPlan(svc2, 'start'))
    hub.summary({exitCode: 0, ok: true, dryRun: true})
    expect(warnings).to.deep.equal(['EPIPE'])
    expect(seen.map(e => e.kind)).to.deep.equal(['run', 'task', 'task', 'task', 'task', 'summary'])
    expect(seen.at(-1)).to.include({result: 'planned'})
  })
})

describe('action output flags: what cannot be printed is refused before anything runs', () => {
  const refused = (o: Parameters<typeof checkActionOutput>[0]) => {
    try {
      checkActionOutput(o)
    } catch (error) {
      expect(error).to.be.instanceOf(UsageError)
      return (error as Error).message
    }
    return undefined
  }

  it('pictures need --dry-run, svg needs --out, naming the flag', () => {
    for (const format of ['mermaid', 'dot', 'svg'])
      expect(refused({format, out: 'x'})).to.equal(
        `--format ${format}: a picture of the plan, only with --dry-run (got no --dry-run)`,
      )
    expect(refused({format: 'svg', dryRun: true})).to.include('--format svg: needs --out FILE')
    expect(refused({format: 'svg', dryRun: true, out: 'plan.svg'})).to.equal(undefined)
    expect(refused({format: 'mermaid', dryRun: true})).to.equal(undefined)
  })

  it('--out and --events-file: a path each, two different files; no --out for the live view of a run', () => {
    expect(refused({format: 'jsonl', out: ''})).to.include('--out: expected a file path')
    expect(refused({format: 'text', eventsFile: ''})).to.include('--events-file: expected a file path')
    expect(refused({format: 'jsonl', out: 'a', eventsFile: 'a'})).to.include('expected two files')
    expect(refused({format: 'text', out: 'a'})).to.include('--out: the text of a run is its live view')
    expect(refused({format: 'text', out: 'a', dryRun: true})).to.equal(undefined)
    expect(refused({format: 'jsonl', out: 'a', eventsFile: 'b'})).to.equal(undefined)
  })
})
