import {expect} from 'chai'
import type {ActionContext, Driver} from '../../src/drivers/api.js'
import {DriverRegistry} from '../../src/drivers/registry.js'
import {executePlan} from '../../src/executor/execute.js'
import {EventCollector} from '../../src/log/events.js'
import {buildPlan} from '../../src/planner/plan.js'
import type {Plan, PlanTask} from '../../src/planner/types.js'
import {fake, FakeHost, fakeRegistration} from './fixtures/fake-drivers.js'
import {compileFixture, fakeRegistry, fixture, realRegistry} from './fixtures/services.js'

function setup() {
  const host = new FakeHost()
  const registry = realRegistry(host)
  const busybox = compileFixture(fixture('busybox.conf'), 'busybox', registry)
  const svc2 = compileFixture(fixture('svc2.json'), 'svc2', registry)
  const run = (
    svc: typeof svc2,
    action: Parameters<typeof buildPlan>[1],
    opts: Parameters<typeof buildPlan>[3] = {},
    rids?: string[],
    signals: {signal?: AbortSignal; rollbackCut?: AbortSignal} = {},
  ) => {
    const sink = new EventCollector()
    return executePlan(buildPlan(svc, action, rids ? {rids} : {}, opts), {
      service: svc,
      settings: {root: '/x', nodename: 'deb1'},
      sink,
      ...signals,
    }).then(r => ({...r, events: sink.events}))
  }
  return {host, busybox, svc2, run}
}

describe('executor (fake drivers)', () => {
  it('starts in plan order and stops in reverse', async () => {
    const {host, busybox, run} = setup()
    expect((await run(busybox, 'start')).ok).to.equal(true)
    const starts = host.calls.map(c => c.split(' ')[1])
    expect(starts.slice(0, 5)).to.deep.equal(['ip#1', 'vg#1', 'fs#1', 'fs#2', 'container#1'])
    expect(starts.slice(5, 9).sort()).to.deep.equal(['container#2', 'container#3', 'container#4', 'container#5'])
    expect(starts.slice(9)).to.deep.equal(['container#6', 'container#7'])
    host.calls.length = 0
    expect((await run(busybox, 'stop')).ok).to.equal(true)
    expect(host.calls.map(c => c.split(' ')[1]).slice(-5)).to.deep.equal([
      'container#1',
      'fs#2',
      'fs#1',
      'vg#1',
      'ip#1',
    ])
  })

  it('runs a parallel stage of 20 tasks listening to the action signal without a listener-leak warning', async () => {
    const host = new FakeHost()
    // what an engine call does with the context's signal while it waits
    const listening = fake('container', 'docker', [], host, {
      start: async ctx => {
        const onAbort = () => undefined
        ctx.signal.addEventListener('abort', onAbort)
        host.running++
        host.maxRunning = Math.max(host.maxRunning, host.running)
        await new Promise(r => setTimeout(r, 20))
        host.running--
        ctx.signal.removeEventListener('abort', onAbort)
        return 'changed'
      },
    })
    const registry = new DriverRegistry()
    registry.add('listening', {drivers: [listening]})
    const sections: Record<string, Record<string, string>> = {'subset#container:all': {parallel: 'true'}}
    for (let i = 1; i <= 20; i++) sections[`container#${i}`] = {type: 'docker', subset: 'all'}
    const svc = compileFixture(JSON.stringify(sections), 'many', registry)
    const warnings: Error[] = []
    const onWarning = (w: Error) => warnings.push(w)
    process.on('warning', onWarning)
    try {
      const r = await executePlan(buildPlan(svc, 'start', {}), {
        service: svc,
        settings: {root: '/x', nodename: 'deb1'},
        sink: new EventCollector(),
      })
      expect(r.ok).to.equal(true)
      // the warning is emitted on the next tick
      await new Promise(r => setImmediate(r))
    } finally {
      process.off('warning', onWarning)
    }
    expect(host.maxRunning).to.equal(20)
    expect(warnings.map(w => w.name)).to.not.include('MaxListenersExceededWarning')
  })

  it('runs a parallel subset concurrently and a sequential one never', async () => {
    const {host, busybox, run} = setup()
    host.delayMs = 50
    await run(busybox, 'start', {}, ['container#2', 'container#3', 'container#4', 'container#5'])
    expect(host.maxRunning).to.equal(4)
    host.maxRunning = 0
    await run(busybox, 'stop', {}, ['container#6', 'container#7'])
    expect(host.maxRunning).to.equal(1)
  })

  it('reports "already up" for what was up and rolls back only what this action started', async () => {
    const {host, busybox, run} = setup()
    host.up.add('vg#1')
    host.failOn.add('start container#6')
    const r = await run(busybox, 'start')
    expect(r.ok).to.equal(false)
    expect(r.error).to.match(/^container#6: fake start failure/)
    expect(r.tasks.find(t => t.rid === 'vg#1')!.state).to.equal('unchanged')
    expect(r.tasks.find(t => t.rid === 'container#7')!.state).to.equal('not-run')
    const undone = host.calls.filter(c => c.startsWith('undo')).map(c => c.split(' ')[1])
    expect(undone).to.have.members([
      'container#1',
      'container#2',
      'container#3',
      'container#4',
      'container#5',
      'fs#2',
      'fs#1',
      'ip#1',
    ])
    expect(undone.slice(-4)).to.deep.equal(['container#1', 'fs#2', 'fs#1', 'ip#1'])
    expect(host.up.has('vg#1')).to.equal(true)
    expect([...host.up]).to.deep.equal(['vg#1'])
  })

  it('leaves everything up with rollback disabled', async () => {
    const {host, svc2, run} = setup()
    host.failOn.add('start container#3')
    const r = await run(svc2, 'start', {disableRollback: true})
    expect(r.ok).to.equal(false)
    expect(r.rollback).to.deep.equal([])
    expect([...host.up].sort()).to.deep.equal(['container#1', 'container#2', 'ip#1'])
  })

  it('lets the running members of a parallel stage finish before rolling back', async () => {
    const {host, busybox, run} = setup()
    host.delayMs = 20
    host.failOn.add('start container#3')
    const r = await run(busybox, 'start')
    expect(r.ok).to.equal(false)
    for (const rid of ['container#2', 'container#4', 'container#5']) expect(host.calls).to.include(`undo ${rid}`)
    expect(host.up.size).to.equal(0)
    expect(host.calls).to.not.include('start container#6')
  })

  it('says which dependency failed when a task cannot run', async () => {
    const {host, svc2, run} = setup()
    host.failOn.add('start container#1')
    const r = await run(svc2, 'start')
    expect(r.error).to.equal('container#1: fake start failure')
    expect(r.tasks.find(t => t.rid === 'container#2')!.state).to.equal('not-run')
  })

  it('an optional resource failure only warns', async () => {
    const {host, run} = setup()
    const svc = compileFixture(
      JSON.stringify({
        'container#1': {type: 'docker', image: 'x', optional: 'true'},
        'container#2': {type: 'docker', image: 'x'},
      }),
      's',
      realRegistry(host),
    )
    host.failOn.add('start container#1')
    const r = await run(svc, 'start')
    expect(r.ok).to.equal(true)
    expect(host.up.has('container#2')).to.equal(true)
  })

  describe("follows the plan's decisions, not the resources' keywords", () => {
    const withTask = (plan: Plan, rid: string, change: Partial<PlanTask>): Plan => ({
      ...plan,
      tasks: plan.tasks.map(t => (t.rid === rid ? {...t, ...change} : t)),
    })
    const exec = (svc: ReturnType<typeof compileFixture>, plan: Plan) => {
      const sink = new EventCollector()
      return executePlan(plan, {service: svc, settings: {root: '/x', nodename: 'deb1'}, sink}).then(r => ({
        ...r,
        events: sink.events,
      }))
    }

    it("an optional resource's task says so in the plan, and its failure is logged as a warning and counted apart", async () => {
      const {host, run} = setup()
      const svc = compileFixture(
        JSON.stringify({
          'container#1': {type: 'docker', image: 'x', optional: 'true'},
          'container#2': {type: 'docker', image: 'x'},
        }),
        's',
        fakeRegistry(host),
      )
      expect(buildPlan(svc, 'start').tasks.map(t => [t.rid, t.onFailure])).to.deep.equal([
        ['container#1', 'continue'],
        ['container#2', 'fail'],
      ])
      host.failOn.add('start container#1')
      const r = await run(svc, 'start')
      expect(r.ok).to.equal(true)
      expect(r.notDone).to.deep.equal([])
      expect(r.optionalFailed).to.deep.equal([
        {
          id: 1,
          rid: 'container#1',
          op: 'start',
          state: 'done',
          message: 'optional resource failed: fake start failure',
          tolerated: true,
        },
      ])
      expect(r.events.find(e => e.rid === 'container#1' && e.state === 'done')).to.include({
        level: 'warn',
        message: 'optional resource failed: fake start failure',
      })
      // a tolerated failure is no change to undo and blocks nothing
      expect(r.rollback).to.deep.equal([])
      expect(host.calls).to.deep.equal(['start container#1', 'start container#2'])
    })

    it('the failure policy is the plan\'s: "continue" on a required resource goes on, "fail" on an optional one fails and rolls back', async () => {
      const {host, svc2} = setup()
      host.failOn.add('start container#2')
      const tolerated = await exec(svc2, withTask(buildPlan(svc2, 'start'), 'container#2', {onFailure: 'continue'}))
      expect(tolerated.ok).to.equal(true)
      expect(tolerated.optionalFailed.map(t => t.rid)).to.deep.equal(['container#2'])
      expect([...host.up].sort()).to.deep.equal(['container#1', 'container#3', 'ip#1'])

      const {host: host2} = setup()
      const svc = compileFixture(
        JSON.stringify({
          'container#1': {type: 'docker', image: 'x'},
          'container#2': {type: 'docker', image: 'x', optional: 'true'},
        }),
        's',
        fakeRegistry(host2),
      )
      host2.failOn.add('start container#2')
      const strict = await exec(svc, withTask(buildPlan(svc, 'start'), 'container#2', {onFailure: 'fail'}))
      expect(strict.ok).to.equal(false)
      expect(strict.error).to.equal('container#2: fake start failure')
      expect(strict.rollback.map(u => u.rid)).to.deep.equal(['container#1'])
      expect(host2.up.size).to.equal(0)
    })

    it("runs a task's calls as the plan lists them: provision is provision then start, unprovision stop then unprovision", async () => {
      const host = new FakeHost()
      const base = fakeRegistration(host).registration.drivers.find(d => d.group === 'container')!
      const step =
        (call: string, change: 'changed' | 'unchanged' = 'changed') =>
        async (ctx: ActionContext) => {
          host.calls.push(`${call} ${ctx.resource.rid}`)
          return change
        }
      const volume: Driver = {
        ...base,
        group: 'share',
        type: 'volume',
        description: 'fake share.volume',
        keywords: [],
        describe: (action, r) => [`${action} ${r.rid}`],
        provision: step('provision'),
        unprovision: step('unprovision', 'unchanged'),
        start: step('start', 'unchanged'),
        stop: step('stop'),
      }
      const registry = new DriverRegistry()
      registry.add('fake', {drivers: [volume, base]})
      const svc = compileFixture(
        JSON.stringify({'share#1': {type: 'volume'}, 'container#1': {type: 'docker', image: 'x'}}),
        's',
        registry,
      )
      const provision = buildPlan(svc, 'provision')
      // a driver without provision (the container here) has only the start call
      expect(provision.tasks.map(t => [t.rid, t.calls, t.steps])).to.deep.equal([
        ['share#1', ['provision', 'start'], ['provision share#1', 'start share#1']],
        ['container#1', ['start'], ['start container#1']],
      ])
      const p = await exec(svc, provision)
      expect(host.calls).to.deep.equal(['provision share#1', 'start share#1', 'start container#1'])
      // changed by one of its calls is changed
      expect(p.tasks.map(t => t.state)).to.deep.equal(['done', 'done'])
      host.calls.length = 0
      host.up.add('container#1')
      const unprovision = buildPlan(svc, 'unprovision')
      expect(unprovision.tasks.map(t => [t.rid, t.calls])).to.deep.equal([
        ['container#1', ['stop']],
        ['share#1', ['stop', 'unprovision']],
      ])
      expect((await exec(svc, unprovision)).ok).to.equal(true)
      expect(host.calls).to.deep.equal(['stop container#1', 'stop share#1', 'unprovision share#1'])
      // and nothing but them: a plan that lists other calls gets those
      host.calls.length = 0
      await exec(svc, withTask(buildPlan(svc, 'start', {rids: ['share#1']}), 'share#1', {calls: ['stop', 'start']}))
      expect(host.calls).to.deep.equal(['stop share#1', 'start share#1'])
    })

    it('a call that fails ends its task there: the later calls are not made', async () => {
      const {host, svc2} = setup()
      host.up.add('container#1')
      host.failOn.add('stop container#1')
      const r = await exec(
        svc2,
        withTask(buildPlan(svc2, 'start', {rids: ['container#1']}), 'container#1', {calls: ['stop', 'start']}),
      )
      expect(r.ok).to.equal(false)
      expect(host.calls).to.deep.equal(['stop container#1'])
    })
  })

  describe('interrupted', () => {
    const interrupt = (c: AbortController, signal = 'SIGTERM') => c.abort(`interrupted by ${signal}`)

    it('a stop interrupted after its first task is not ok, and lists every task it did not do', async () => {
      const {host, busybox, run} = setup()
      for (const r of busybox.resources) host.up.add(r.rid)
      const abort = new AbortController()
      host.onCall = call => call === 'stop container#7' && interrupt(abort)
      const r = await run(busybox, 'stop', {}, undefined, {signal: abort.signal})
      expect(r.ok).to.equal(false)
      expect(r.error).to.equal('interrupted by SIGTERM')
      expect(r.interrupted).to.equal('interrupted by SIGTERM')
      // the running task finished; nothing else started
      expect(host.calls).to.deep.equal(['stop container#7'])
      expect(r.tasks.find(t => t.rid === 'container#7')!.state).to.equal('done')
      const notDone = r.notDone.map(t => t.rid).sort()
      expect(notDone).to.deep.equal(
        busybox.resources
          .map(x => x.rid)
          .filter(x => x !== 'container#7')
          .sort(),
      )
      for (const t of r.notDone) expect(t).to.include({state: 'not-run', message: 'not run: interrupted by SIGTERM'})
      // a stop never rolls back: what it stopped stays stopped, the rest still runs
      expect(r.rollback).to.deep.equal([])
      expect(host.up.has('container#7')).to.equal(false)
      expect(host.up.size).to.equal(busybox.resources.length - 1)
    })

    it('a signal before the first task runs nothing and reports every task as not done', async () => {
      const {host, svc2, run} = setup()
      const abort = new AbortController()
      interrupt(abort, 'SIGINT')
      const r = await run(svc2, 'start', {}, undefined, {signal: abort.signal})
      expect(r.ok).to.equal(false)
      expect(host.calls).to.deep.equal([])
      expect(r.notDone.length).to.equal(r.tasks.length)
    })

    it("a start interrupted half-way rolls back what it started, with a signal of the rollback's own", async () => {
      const {host, svc2, run} = setup()
      const abort = new AbortController()
      host.onCall = call => call === 'start ip#1' && interrupt(abort, 'SIGINT')
      const r = await run(svc2, 'start', {}, undefined, {signal: abort.signal})
      expect(r.ok).to.equal(false)
      expect(r.error).to.equal('interrupted by SIGINT')
      expect(r.rollback.map(u => [u.rid, u.ok])).to.deep.equal([
        ['ip#1', true],
        ['container#1', true],
      ])
      expect(host.up.size).to.equal(0)
      expect(host.undoSawAbort).to.equal(0)
      expect(r.events.some(e => e.state === 'rolled-back' && e.rid === 'container#1')).to.equal(true)
    })

    it("--disable-rollback leaves an interrupted start's changes in place", async () => {
      const {host, svc2, run} = setup()
      const abort = new AbortController()
      host.onCall = call => call === 'start ip#1' && interrupt(abort, 'SIGINT')
      const r = await run(svc2, 'start', {disableRollback: true}, undefined, {signal: abort.signal})
      expect(r.ok).to.equal(false)
      expect(r.rollback).to.deep.equal([])
      expect([...host.up].sort()).to.deep.equal(['container#1', 'ip#1'])
    })

    it('a second signal during the rollback skips the rest of it, saying what was left in place', async () => {
      const {host, svc2, run} = setup()
      const abort = new AbortController()
      const cut = new AbortController()
      host.onCall = call => {
        if (call === 'start container#2') interrupt(abort, 'SIGINT')
        if (call === 'undo container#2') cut.abort('skipped after a second signal (SIGINT)')
      }
      const r = await run(svc2, 'start', {}, undefined, {signal: abort.signal, rollbackCut: cut.signal})
      expect(r.ok).to.equal(false)
      // the running undo step finished, the others did not start
      expect(r.rollback.map(u => [u.rid, u.ok, u.skipped ?? false])).to.deep.equal([
        ['container#2', true, false],
        ['ip#1', false, true],
        ['container#1', false, true],
      ])
      expect(r.rollback[1].error).to.equal('skipped after a second signal (SIGINT)')
      expect([...host.up].sort()).to.deep.equal(['container#1', 'ip#1'])
      expect(r.events.some(e => e.rid === 'container#1' && /left in place/.test(e.message))).to.equal(true)
    })

    it('a second signal before the rollback begins skips all of it', async () => {
      const {host, svc2, run} = setup()
      const abort = new AbortController()
      const cut = new AbortController()
      host.onCall = call => {
        if (call === 'start ip#1') {
          interrupt(abort, 'SIGINT')
          cut.abort('skipped after a second signal (SIGINT)')
        }
      }
      const r = await run(svc2, 'start', {}, undefined, {signal: abort.signal, rollbackCut: cut.signal})
      expect(r.rollback.every(u => u.skipped)).to.equal(true)
      expect(host.calls.filter(c => c.startsWith('undo'))).to.deep.equal([])
      expect([...host.up].sort()).to.deep.equal(['container#1', 'ip#1'])
    })

    it('a task skipped by the plan itself does not fail the action', async () => {
      const {host, run} = setup()
      const svc = compileFixture(
        JSON.stringify({
          'container#1': {type: 'docker', image: 'x', standby: 'true'},
          'container#2': {type: 'docker', image: 'x'},
        }),
        's',
        realRegistry(host),
      )
      host.up.add('container#1').add('container#2')
      const r = await run(svc, 'stop')
      expect(r.ok).to.equal(true)
      expect(r.notDone).to.deep.equal([])
      expect(r.tasks.find(t => t.rid === 'container#1')!.state).to.equal('skipped')
    })
  })
})
