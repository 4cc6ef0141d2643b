import fs from 'node:fs'
import {expect} from 'chai'
import type {ActionContext, Driver, ObservedStep, StepAction} from '../../src/drivers/api.js'
import {DriverRegistry} from '../../src/drivers/registry.js'
import {executePlan} from '../../src/executor/execute.js'
import {EventCollector} from '../../src/log/events.js'
import {NOT_OBSERVABLE, observedDigestInput, observePlan, stableStringify} from '../../src/planner/observe.js'
import type {Service, ServiceResource} from '../../src/model/service.js'
import {buildPlan, describePlan} from '../../src/planner/plan.js'
import {PLAN_FORMAT_VERSION} from '../../src/planner/types.js'
import {formatPlanText, formatSummary} from '../../src/render/plan-text.js'
import {FakeHost, realRegistration} from './fixtures/fake-drivers.js'
import {compileFixture, fixture} from './fixtures/services.js'

type Answer = ObservedStep | Error | 'hang'

/** The real drivers on the fake host, each observing what `answers` says of its rid (no entry: no observe at all). */
function setup(answers: Record<string, (op: StepAction) => Answer>, groupsWithout: string[] = []) {
  const host = new FakeHost()
  const seen: {rid: string; planned?: ObservedStep}[] = []
  const {registration} = realRegistration(host)
  const drivers = registration.drivers.map((d): Driver => ({
    ...d,
    ...(groupsWithout.includes(d.group)
      ? {}
      : {
          async observe(ctx, op) {
            const a = answers[ctx.resource.rid]?.(op)
            if (a === undefined) throw new Error(`no fake answer for ${ctx.resource.rid}`)
            if (a === 'hang') return new Promise<ObservedStep>(() => undefined)
            if (a instanceof Error) throw a
            return a
          },
        }),
    async start(ctx: ActionContext) {
      seen.push({rid: ctx.resource.rid, ...(ctx.planned ? {planned: ctx.planned} : {})})
      return d.start(ctx)
    },
  }))
  const registry = new DriverRegistry()
  registry.add('real', {...registration, drivers})
  const svc2 = compileFixture(fixture('svc2.json'), 'svc2', registry)
  return {host, svc2, seen}
}

const settings = {root: '/x', nodename: 'deb1'}
const up = {status: 'up' as const, detail: 'running', drift: []}
const golden = (name: string) => fs.readFileSync(new URL(`../fixtures/plans/${name}.txt`, import.meta.url), 'utf8')

const mixed = {
  'container#1': (): Answer => ({change: 'none', cause: 'already up', steps: [], observed: up}),
  'container#2': (): Answer => ({
    change: 'recreate',
    cause: 'image nginx → nginx:2',
    steps: ['docker rm -f svc2.container.2', 'docker run ... nginx:2'],
    observed: {status: 'up', detail: 'running', drift: ['image']},
  }),
  'container#3': (): Answer => ({
    change: 'start',
    cause: 'exists, exited',
    steps: ['docker start svc2.container.3'],
    observed: {status: 'down', detail: 'exists, exited', drift: []},
  }),
}

describe('observePlan: the plan from the observed state (fake observations)', () => {
  it('buildPlan alone is not observed: each change is its op, cause "not observed", version 2', () => {
    const {svc2} = setup({})
    const plan = buildPlan(svc2, 'start')
    expect(plan.version).to.equal(PLAN_FORMAT_VERSION).and.to.equal(2)
    expect(plan.observed).to.equal(false)
    expect(plan.tasks.map(t => [t.change, t.cause])).to.deep.equal(plan.tasks.map(() => ['start', 'not observed']))
    expect(plan.summary).to.deep.equal({start: 4})
  })

  it('prints each task with its change and cause, the drivers without observe as not probed, and a summary (golden)', async () => {
    const {svc2} = setup(mixed, ['ip'])
    const plan = await observePlan(buildPlan(svc2, 'start'), svc2, {settings})
    expect(plan.observed).to.equal(true)
    expect(plan.summary).to.deep.equal({recreate: 1, start: 2, none: 1})
    expect(formatSummary(plan)).to.equal('1 to recreate, 2 to start, 1 already up')
    const ip = plan.tasks.find(t => t.rid === 'ip#1')!
    expect(ip.cause).to.equal(NOT_OBSERVABLE)
    expect(ip.steps).to.deep.equal(['start ip#1'])
    expect(formatPlanText(plan)).to.equal(golden('svc2-start-observed'))
  })

  it('a driver that cannot probe (throws, or does not answer in time) keeps the static steps and says why', async () => {
    const {svc2} = setup({
      ...mixed,
      'container#1': () => new Error('docker ps: connect ENOENT /nowhere.sock'),
      'container#3': () => 'hang',
      'ip#1': () => ({change: 'none', cause: 'already up', steps: [], observed: up}),
    })
    const plan = await observePlan(buildPlan(svc2, 'start'), svc2, {settings, timeoutMs: 200})
    const by = Object.fromEntries(plan.tasks.map(t => [t.rid, t]))
    expect(by['container#1'].change).to.equal('start')
    expect(by['container#1'].cause).to.equal('not probed: docker ps: connect ENOENT /nowhere.sock')
    expect(by['container#1'].steps).to.deep.equal(['start container#1'])
    expect(by['container#1'].observed).to.deep.equal({status: 'unknown'})
    expect(by['container#3'].cause).to.equal('not probed: no answer within 0.2s')
  })

  it('a resource in the netns of a container created or recreated now is started again (its namespace is new)', async () => {
    const {svc2} = setup({
      ...mixed,
      'container#1': () => ({change: 'recreate', cause: 'environment', steps: [], observed: up}),
      'ip#1': () => ({change: 'none', cause: 'already up', steps: [], observed: up}),
    })
    const plan = await observePlan(buildPlan(svc2, 'start'), svc2, {settings})
    const ip = plan.tasks.find(t => t.rid === 'ip#1')!
    expect([ip.change, ip.cause]).to.deep.equal(['start', 'container#1 is recreated: its network namespace is new'])
  })

  it("a restart's start phase starts what its stop phase stops, though it is up now", async () => {
    const stopAnswer = (op: StepAction): Answer =>
      op === 'stop'
        ? {change: 'stop', cause: 'running', steps: ['stop'], observed: up}
        : {change: 'none', cause: 'already up', steps: [], observed: up}
    const {svc2} = setup({'container#3': stopAnswer})
    const plan = await observePlan(buildPlan(svc2, 'restart', {rids: ['container#3']}), svc2, {settings})
    expect(plan.tasks.filter(t => t.rid === 'container#3').map(t => `${t.phase} ${t.rid} ${t.change}`)).to.deep.equal([
      'stop container#3 stop',
      'start container#3 start',
    ])
    expect(plan.tasks.at(-1)!.cause).to.equal("stopped by this restart's stop phase")
  })

  it('the executor runs no driver call for "none" and hands the planned step to the others', async () => {
    const {svc2, seen, host} = setup(mixed, ['ip'])
    host.up.add('container#1')
    const plan = await observePlan(buildPlan(svc2, 'start'), svc2, {settings})
    const r = await executePlan(plan, {service: svc2, settings, sink: new EventCollector()})
    expect(r.ok).to.equal(true)
    expect(seen.map(s => s.rid)).to.have.members(['container#2', 'container#3', 'ip#1'])
    expect(seen.find(s => s.rid === 'container#2')!.planned?.change).to.equal('recreate')
    // ip#1 was not observed: its driver decides as before (its planned step is its op, not probed)
    expect(seen.find(s => s.rid === 'ip#1')!.planned).to.deep.include({change: 'start', cause: NOT_OBSERVABLE})
    expect(r.tasks.find(t => t.rid === 'container#1')!.state).to.equal('unchanged')
  })

  it('a plan built without its steps (describe: false) and observed with describeUnobserved is the same plan; only the unanswered tasks are described', async () => {
    const cases: Array<{
      answers: Record<string, (op: StepAction) => Answer>
      without?: string[]
      action?: 'restart'
      described: string[]
    }> = [
      // no observe: the static steps
      {answers: mixed, without: ['ip'], described: ['ip#1 start']},
      // not probed (an error, no answer in time)
      {
        answers: {
          ...mixed,
          'container#1': () => new Error('docker ps: connect ENOENT /nowhere.sock'),
          'container#3': () => 'hang',
          'ip#1': () => ({change: 'none', cause: 'already up', steps: [], observed: up}),
        },
        described: ['container#1 start', 'container#3 start'],
      },
      // started again in a new netns
      {
        answers: {
          ...mixed,
          'container#1': () => ({change: 'recreate', cause: 'environment', steps: [], observed: up}),
          'ip#1': () => ({change: 'none', cause: 'already up', steps: [], observed: up}),
        },
        described: ['ip#1 start'],
      },
      // a restart's start of what its stop phase stops (and two not probed)
      {
        action: 'restart',
        answers: {
          'container#3': op =>
            op === 'stop'
              ? {change: 'stop', cause: 'running', steps: ['stop'], observed: up}
              : {change: 'none', cause: 'already up', steps: [], observed: up},
        },
        described: ['container#1 start', 'ip#1 start', 'container#3 start'],
      },
    ]
    for (const {answers, without, action, described: expected} of cases) {
      const {svc2} = setup(answers, without)
      const selection = action === 'restart' ? {rids: ['container#3']} : {}
      const before = await observePlan(buildPlan(svc2, action ?? 'start', selection), svc2, {settings, timeoutMs: 200})
      const described: string[] = []
      for (const driver of new Set(svc2.resources.map(r => r.driver))) {
        const describe = driver.describe.bind(driver)
        Object.assign(driver, {
          describe: (op: StepAction, res: ServiceResource, svc: Service) => {
            described.push(`${res.rid} ${op}`)
            return describe(op, res, svc)
          },
        })
      }
      const bare = buildPlan(svc2, action ?? 'start', selection, {describe: false})
      expect(bare.tasks.map(t => t.steps)).to.deep.equal(bare.tasks.map(() => []))
      expect(described).to.deep.equal([])
      const after = await observePlan(bare, svc2, {settings, timeoutMs: 200, describeUnobserved: true})
      expect(JSON.stringify(after)).to.equal(JSON.stringify(before))
      expect(described).to.have.members(expected)
      expect(JSON.stringify(describePlan(bare, svc2))).to.equal(
        JSON.stringify(buildPlan(svc2, action ?? 'start', selection)),
      )
    }
  })

  it('the observed states are a stable digest input: same observations, same text, keys sorted', async () => {
    const a = setup(mixed, ['ip'])
    const b = setup(mixed, ['ip'])
    const p1 = await observePlan(buildPlan(a.svc2, 'start'), a.svc2, {settings})
    const p2 = await observePlan(buildPlan(b.svc2, 'start'), b.svc2, {settings})
    expect(observedDigestInput(p1)).to.equal(observedDigestInput(p2))
    expect(stableStringify({b: 1, a: {d: 2, c: 3}})).to.equal('{"a":{"c":3,"d":2},"b":1}')
    expect(observedDigestInput(p1)).to.contain('"observed":{"detail":"running","drift":["image"],"status":"up"}')
  })
})
