import fs from 'node:fs'
import {expect} from 'chai'
import {buildPlan} from '../../src/planner/plan.js'
import {type ServiceAction} from '../../src/planner/types.js'
import {formatPlanText} from '../../src/render/plan-text.js'
import {DriverRegistry} from '../../src/drivers/registry.js'
import {realRegistration} from './fixtures/fake-drivers.js'
import {compileFixture as compileWith, fixture, realRegistry} from './fixtures/services.js'
import {PlanError} from '../../src/errors.js'

// the real core plugins' drivers decide the orders (what they provide and need), on a fake host
const compileFixture = (text: string, name: string) => compileWith(text, name, realRegistry())

const golden = (name: string) => fs.readFileSync(new URL(`../fixtures/plans/${name}.txt`, import.meta.url), 'utf8')

describe('planner: golden plans of the seed services', () => {
  const svc2 = compileFixture(fixture('svc2.json'), 'svc2')
  const busybox = compileFixture(fixture('busybox.conf'), 'busybox')
  const cases: Array<[string, typeof svc2, ServiceAction, string | undefined]> = [
    ['svc2-start', svc2, 'start', undefined],
    ['svc2-stop-container', svc2, 'stop', 'container'],
    ['svc2-start-container', svc2, 'start', 'container'],
    ['svc2-restart-container_3', svc2, 'restart', 'container#3'],
    ['svc2-restart-container_1', svc2, 'restart', 'container#1'],
    ['busybox-start', busybox, 'start', undefined],
    ['busybox-stop', busybox, 'stop', undefined],
  ]
  for (const [name, svc, action, rid] of cases) {
    it(`${name} matches its golden text`, () => {
      expect(formatPlanText(buildPlan(svc, action, rid ? {rids: [rid]} : {}))).to.equal(golden(name))
    })
  }

  it('is deterministic: the same input gives the same plan data', () => {
    expect(JSON.stringify(buildPlan(busybox, 'start'))).to.equal(JSON.stringify(buildPlan(busybox, 'start')))
  })

  it('puts no edges between the members of a parallel subset and chains a sequential one', () => {
    const plan = buildPlan(busybox, 'start')
    const app = plan.stages.find(s => s.subset === '01appservers')!
    const web = plan.stages.find(s => s.subset === '02webservers')!
    expect(app.parallel).to.equal(true)
    expect(app.tasks.map(id => plan.tasks[id - 1].after)).to.deep.equal([[], [], [], []])
    expect(web.parallel).to.equal(false)
    expect(plan.tasks[web.tasks[1] - 1].after).to.deep.equal([web.tasks[0]])
  })

  it('accepts the OpenSVC subset spelling [subset#container:NAME] too', () => {
    const text = fixture('busybox.conf').replace(
      '[subset#container.docker:01appservers]',
      '[subset#container:01appservers]',
    )
    const plan = buildPlan(compileFixture(text, 'busybox'), 'start')
    expect(plan.stages.find(s => s.subset === '01appservers')!.parallel).to.equal(true)
  })

  it('orders rids naturally: container#2 before container#10', () => {
    const svc = compileFixture(
      JSON.stringify({'container#10': {type: 'docker', image: 'x'}, 'container#2': {type: 'docker', image: 'x'}}),
      's',
    )
    expect(buildPlan(svc, 'start').tasks.map(t => t.rid)).to.deep.equal(['container#2', 'container#10'])
  })

  it('runs unnamed-subset members before named subsets within a group', () => {
    const svc = compileFixture(
      JSON.stringify({
        'container#1': {type: 'docker', image: 'x', subset: 'a'},
        'container#2': {type: 'docker', image: 'x'},
      }),
      's',
    )
    expect(buildPlan(svc, 'start').tasks.map(t => t.rid)).to.deep.equal(['container#2', 'container#1'])
  })

  it('nested mounts order by path whatever their rids', () => {
    const svc = compileFixture(
      JSON.stringify({
        'fs#1': {type: 'ext4', dev: '/dev/loop1', mnt: '/srv/x/data'},
        'fs#2': {type: 'ext4', dev: '/dev/loop2', mnt: '/srv/x'},
      }),
      's',
    )
    expect(buildPlan(svc, 'start').tasks.map(t => t.rid)).to.deep.equal(['fs#2', 'fs#1'])
    expect(buildPlan(svc, 'stop').tasks.map(t => t.rid)).to.deep.equal(['fs#1', 'fs#2'])
  })

  it('refuses a dependency cycle naming the rids in it', () => {
    // the planner's own check, behind the docker driver's validation (which refuses netns cycles first)
    const unvalidated = new DriverRegistry()
    unvalidated.add('real', {drivers: realRegistration().registration.drivers.map(d => ({...d, validate: undefined}))})
    const svc = compileWith(
      JSON.stringify({
        'container#1': {type: 'docker', image: 'x', netns: 'container#2'},
        'container#2': {type: 'docker', image: 'x', netns: 'container#1'},
      }),
      's',
      unvalidated,
    )
    expect(() => buildPlan(svc, 'start')).to.throw(PlanError, /cycle between container#1, container#2/)
    // several cycles, each named, beside resources outside them
    const two = compileWith(
      JSON.stringify({
        'container#1': {type: 'docker', image: 'x', netns: 'container#2'},
        'container#2': {type: 'docker', image: 'x', netns: 'container#1'},
        'container#3': {type: 'docker', image: 'x'},
        'container#4': {type: 'docker', image: 'x', netns: 'container#5'},
        'container#5': {type: 'docker', image: 'x', netns: 'container#6'},
        'container#6': {type: 'docker', image: 'x', netns: 'container#4'},
        'container#7': {type: 'docker', image: 'x', netns: 'container#3'},
      }),
      's',
      unvalidated,
    )
    expect(() => buildPlan(two, 'start')).to.throw(
      PlanError,
      /^dependency cycle between container#\d, container#\d(, container#\d)?; and between container#\d, container#\d(, container#\d)?$/,
    )
    expect(() => buildPlan(two, 'start')).to.throw(/container#4, container#5, container#6/)
  })

  it('selects by group.type, tags and subsets; every criterion narrows', () => {
    const plan = buildPlan(busybox, 'start', {rids: ['container.docker'], subsets: ['01appservers']})
    expect(plan.selected).to.deep.equal(['container#2', 'container#3', 'container#4', 'container#5'])
    // with the real drivers, the private daemon's data (docker_data_dir on fs#2) comes along
    expect(plan.tasks.map(t => t.rid)).to.deep.equal([
      'vg#1',
      'fs#1',
      'fs#2',
      'container#2',
      'container#3',
      'container#4',
      'container#5',
    ])
  })

  it('refuses an unknown rid and an empty selection, naming the flag', () => {
    expect(() => buildPlan(svc2, 'start', {rids: ['container#9']})).to.throw(
      PlanError,
      /--rid: container#9 matches no resource/,
    )
    expect(() => buildPlan(svc2, 'start', {tags: ['nope']})).to.throw(
      PlanError,
      /--tags nope matches no enabled resource/,
    )
  })

  it('adds what a start needs and what a stop would strand', () => {
    expect(buildPlan(svc2, 'start', {rids: ['container#2']}).added.map(a => a.rid)).to.deep.equal([
      'container#1',
      'ip#1',
    ])
    expect(buildPlan(svc2, 'stop', {rids: ['container#1']}).added.map(a => a.rid)).to.deep.equal([
      'container#2',
      'container#3',
      'ip#1',
    ])
    expect(buildPlan(svc2, 'stop', {rids: ['container#3']}).added).to.deep.equal([])
  })

  it('skips standby resources on stop unless forced', () => {
    const svc = compileFixture(JSON.stringify({'container#1': {type: 'docker', image: 'x', standby: 'true'}}), 's')
    expect(buildPlan(svc, 'stop').tasks[0].skip).to.match(/standby/)
    expect(buildPlan(svc, 'stop', {}, {force: true}).tasks[0].skip).to.equal(undefined)
  })

  it('leaves disabled resources out', () => {
    const svc = compileFixture(
      JSON.stringify({
        'container#1': {type: 'docker', image: 'x', disable: 'true'},
        'container#2': {type: 'docker', image: 'x'},
      }),
      's',
    )
    expect(buildPlan(svc, 'start').tasks.map(t => t.rid)).to.deep.equal(['container#2'])
  })

  it('plans provision as provision steps then start steps, and has a rollback only for start-like actions', () => {
    expect(buildPlan(svc2, 'provision').rollback).to.equal(true)
    expect(buildPlan(svc2, 'restart', {rids: ['container#3']}).rollbackOrder).to.deep.equal([4, 3, 2])
    expect(buildPlan(svc2, 'stop').rollbackOrder).to.deep.equal([])
    expect(buildPlan(svc2, 'stop').rollback).to.equal(false)
    expect(buildPlan(svc2, 'start', {}, {disableRollback: true}).rollback).to.equal(false)
  })

  it('plans 10,000 resources', () => {
    const sections: Record<string, object> = {}
    for (let i = 1; i <= 10000; i++)
      sections[`container#${i}`] = {type: 'docker', image: 'x', subset: `s${String(i % 100).padStart(3, '0')}`}
    for (let s = 0; s < 100; s += 2) sections[`subset#container:s${String(s).padStart(3, '0')}`] = {parallel: 'true'}
    const plan = buildPlan(compileFixture(JSON.stringify(sections), 'big'), 'start')
    expect(plan.tasks).to.have.length(10000)
    expect(plan.stages).to.have.length(100)
  })
})
