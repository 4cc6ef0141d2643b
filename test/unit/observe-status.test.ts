// The kit's ctx.observeFromStatus (the core plugins' observe()): up, down, unknown, provisioned.
import {expect} from 'chai'
import type {Driver, DriverContext, ResourceStatus, StepAction} from '../../src/drivers/api.js'
import {observeFromStatus} from '../../src/drivers/observe-status.js'

function driverSaying(st: ResourceStatus): Driver {
  return {
    group: 'fs',
    type: 'fake',
    description: 'fake',
    keywords: [],
    label: () => 'fake',
    describe: (action: StepAction) => [`${action} steps`],
    status: async () => st,
    start: async () => 'unchanged',
    stop: async () => 'unchanged',
  }
}
const ctx = {resource: {rid: 'fs#1'}, service: {}} as unknown as DriverContext
const observe = (st: ResourceStatus, op: StepAction) => observeFromStatus(driverSaying(st), ctx, op)

describe('observe from status', () => {
  it('up: start none, stop stop; down: start with the reason, stop none', async () => {
    expect(await observe({status: 'up', drift: []}, 'start')).to.deep.equal({
      change: 'none',
      cause: 'already up',
      steps: [],
      observed: {status: 'up', detail: 'up', drift: []},
    })
    expect((await observe({status: 'up'}, 'stop')).change).to.equal('stop')
    const down = await observe({status: 'down', log: [{level: 'info', message: '/srv is not mounted'}]}, 'start')
    expect([down.change, down.cause, down.steps]).to.deep.equal(['start', '/srv is not mounted', ['start steps']])
    expect((await observe({status: 'down'}, 'stop')).cause).to.equal('already down')
  })
  it('unknown (warn): the op with every step, not probed with the reason', async () => {
    const o = await observe({status: 'warn', log: [{level: 'warn', message: 'cannot read the mount table'}]}, 'stop')
    expect(o).to.deep.equal({
      change: 'stop',
      cause: 'not probed: cannot read the mount table',
      steps: ['stop steps'],
      observed: {status: 'unknown', detail: 'cannot read the mount table'},
    })
  })
  it('provision and unprovision read provisioned; a drift is said, not converged', async () => {
    expect((await observe({status: 'down', provisioned: false}, 'provision')).change).to.equal('provision')
    expect((await observe({status: 'down', provisioned: true}, 'provision')).change).to.equal('start')
    expect((await observe({status: 'down', provisioned: false}, 'unprovision')).change).to.equal('none')
    expect((await observe({status: 'up', drift: ['mnt_opt']}, 'start')).cause).to.equal(
      'already up (drift: mnt_opt: not converged by this driver)',
    )
  })
})
