import {expect} from 'chai'
import {executePlan} from '../../src/executor/execute.js'
import {guardObserver, type ExecutionObserver} from '../../src/executor/observer.js'
import {EventCollector} from '../../src/log/events.js'
import {buildPlan} from '../../src/planner/plan.js'
import {LinesView} from '../../src/render/renderer.js'
import {RunEventHub} from '../../src/log/run-events.js'
import {FakeHost} from './fixtures/fake-drivers.js'
import {compileFixture, fixture, realRegistry} from './fixtures/services.js'

/** Every observer call, as "method detail". */
function recorder(): {calls: string[]; observer: ExecutionObserver} {
  const calls: string[] = []
  return {
    calls,
    observer: {
      actionStarted: p => calls.push(`actionStarted ${p.action}`),
      stageStarted: s => calls.push(`stageStarted ${s.index}`),
      stageFinished: (s, o) =>
        calls.push(`stageFinished ${s.index} ${o.state === 'skipped' ? `skipped: ${o.reason}` : 'done'}`),
      taskStarted: t => calls.push(`taskStarted ${t.rid}`),
      taskOutput: (t, e) => calls.push(`taskOutput ${t.rid} ${e.message}`),
      taskFinished: (t, o) => calls.push(`taskFinished ${t.rid} ${o.state}`),
      event: e => calls.push(`event ${e.rid ?? '-'} ${e.message}`),
      tasksEnded: ts => void calls.push(`tasksEnded ${ts.length}`),
      interrupted: why => calls.push(`interrupted ${why}`),
      rollbackStep: u => calls.push(`rollbackStep ${u.rid} ${u.ok}`),
      actionFinished: r => calls.push(`actionFinished ${r.ok}`),
    },
  }
}

const identity = {node: 'deb1', service: 'svc2', action: 'start'}

function setup() {
  const host = new FakeHost()
  const svc2 = compileFixture(fixture('svc2.json'), 'svc2', realRegistry(host))
  const run = (observer: ExecutionObserver, signal?: AbortSignal) =>
    executePlan(buildPlan(svc2, 'start'), {
      service: svc2,
      settings: {root: '/x', nodename: 'deb1'},
      sink: new EventCollector(),
      observer,
      signal,
    })
  return {host, run}
}

describe('progress views: what the executor reports, in order', () => {
  it("a failing start: stages, tasks and their output, the tasks' end, the rollback, the result", async () => {
    const {host, run} = setup()
    host.up.add('ip#1')
    host.failOn.add('start container#2')
    const {calls, observer} = recorder()
    await run(observer)
    expect(calls).to.deep.equal([
      'actionStarted start',
      'stageStarted 1',
      'taskStarted container#1',
      'taskOutput container#1 done',
      'taskFinished container#1 done',
      'taskStarted ip#1',
      'taskOutput ip#1 already up',
      'taskFinished ip#1 unchanged',
      'taskStarted container#2',
      'taskOutput container#2 fake start failure',
      'taskFinished container#2 failed',
      'stageFinished 1 done',
      'tasksEnded 4',
      'event - rollback: undo 1 change(s) made by this start, in reverse order',
      'event container#1 rolled back: stop container#1',
      'rollbackStep container#1 true',
      'actionFinished false',
    ])
  })

  it('the stages after a failure are reported as skipped, with why', async () => {
    const host = new FakeHost()
    const busybox = compileFixture(fixture('busybox.conf'), 'busybox', realRegistry(host))
    host.failOn.add('start ip#1')
    const {calls, observer} = recorder()
    const plan = buildPlan(busybox, 'start')
    await executePlan(plan, {
      service: busybox,
      settings: {root: '/x', nodename: 'deb1'},
      sink: new EventCollector(),
      observer,
    })
    expect(calls.filter(c => c.startsWith('stage'))).to.deep.equal([
      'stageStarted 1',
      'stageFinished 1 done',
      ...plan.stages.slice(1).map(s => `stageFinished ${s.index} skipped: not run: an earlier task failed`),
    ])
    expect(calls.filter(c => c.startsWith('taskStarted'))).to.deep.equal(['taskStarted ip#1'])
  })

  it('the lines printer receives the run events in order and prints them from its level up', async () => {
    const {host, run} = setup()
    host.up.add('ip#1')
    host.failOn.add('start container#2')
    const lines: string[] = []
    await run(new RunEventHub(identity).subscribe(new LinesView('info', l => lines.push(l))))
    // "done" state changes say nothing: not printed
    expect(lines.map(l => l.replace(/^\S+ (\w+) +(\S+) +/, '$1 $2 '))).to.deep.equal([
      'INFO deb1.svc2.ip#1 already up',
      'ERROR deb1.svc2.container#2 fake start failure',
      'WARN deb1.svc2 rollback: undo 1 change(s) made by this start, in reverse order',
      'INFO deb1.svc2.container#1 rolled back: stop container#1',
    ])
    lines.length = 0
    host.failOn.clear()
    host.up.clear()
    await run(new RunEventHub(identity).subscribe(new LinesView('warn', l => lines.push(l))))
    expect(lines).to.deep.equal([])
  })

  it('an interruption is reported once, before the tasks it stopped end', async () => {
    const {host, run} = setup()
    const abort = new AbortController()
    host.onCall = call => call === 'start container#1' && abort.abort('interrupted by SIGINT')
    const {calls, observer} = recorder()
    await run(observer, abort.signal)
    expect(calls.filter(c => c.startsWith('interrupted'))).to.deep.equal(['interrupted interrupted by SIGINT'])
    expect(calls.indexOf('interrupted interrupted by SIGINT')).to.be.lessThan(
      calls.indexOf('taskFinished container#1 done'),
    )
    expect(calls).to.include('taskFinished ip#1 not-run')
    expect(calls.slice(-3)).to.deep.equal([
      'event container#1 rolled back: stop container#1',
      'rollbackStep container#1 true',
      'actionFinished false',
    ])
  })

  it('a view that throws is dropped with one warning; the action goes on', async () => {
    const {host, run} = setup()
    const warnings: string[] = []
    let calls = 0
    const view = guardObserver(
      {
        taskOutput: () => {
          calls++
          throw new Error('EPIPE')
        },
      },
      e => warnings.push(e.message),
    )
    const r = await run(view)
    expect(r.ok).to.equal(true)
    expect([...host.up].sort()).to.deep.equal(['container#1', 'container#2', 'container#3', 'ip#1'])
    expect(calls).to.equal(1)
    expect(warnings).to.deep.equal(['EPIPE'])
  })
})
