import {expect} from 'chai'
import {executePlan} from '../../src/executor/execute.js'
import {EventCollector} from '../../src/log/events.js'
import {buildPlan} from '../../src/planner/plan.js'
import {FakeHost} from './fixtures/fake-drivers.js'
import {compileFixture, fakeRegistry, fixture} from './fixtures/services.js'

function setup() {
  const host = new FakeHost()
  const registry = fakeRegistry(host)
  const busybox = compileFixture(fixture('busybox.conf'), 'busybox', registry)
  const svc2 = compileFixture(fixture('svc2.json'), 'svc2', registry)
  const run = (svc: typeof svc2, action: Parameters<typeof buildPlan>[1], opts: Parameters<typeof buildPlan>[3] = {}, rids?: string[]) => {
    const sink = new EventCollector()
    return executePlan(buildPlan(svc, action, rids ? {rids} : {}, opts), {service: svc, settings: {root: '/x', nodename: 'deb1'}, sink, renderer: 'silent'}).then(r => ({...r, events: sink.events}))
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
    expect(host.calls.map(c => c.split(' ')[1]).slice(-5)).to.deep.equal(['container#1', 'fs#2', 'fs#1', 'vg#1', 'ip#1'])
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
    expect(r.tasks.find(t => t.rid === 'container#7')!.state).to.equal('skipped')
    const undone = host.calls.filter(c => c.startsWith('undo')).map(c => c.split(' ')[1])
    expect(undone).to.have.members(['container#1', 'container#2', 'container#3', 'container#4', 'container#5', 'fs#2', 'fs#1', 'ip#1'])
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
    expect(r.tasks.find(t => t.rid === 'container#2')!.state).to.equal('skipped')
  })

  it('an optional resource failure only warns', async () => {
    const {host, run} = setup()
    const svc = compileFixture(JSON.stringify({'container#1': {type: 'docker', image: 'x', optional: 'true'}, 'container#2': {type: 'docker', image: 'x'}}), 's', fakeRegistry(host))
    host.failOn.add('start container#1')
    const r = await run(svc, 'start')
    expect(r.ok).to.equal(true)
    expect(host.up.has('container#2')).to.equal(true)
  })
})
