/** The flag column of print status's resource rows (src/render/status-tree.ts): one letter per generic keyword set. */
import {expect} from 'chai'
import {formatStatusTree} from '../../src/render/status-tree.js'
import type {ResourceStatusReport, ServiceStatusReport} from '../../src/status/status.js'

const row = (rid: string, extra: Partial<ResourceStatusReport>): ResourceStatusReport => ({
  rid,
  type: 'container.docker',
  status: 'up',
  label: rid,
  log: [],
  drift: [],
  tags: [],
  optional: false,
  disabled: false,
  standby: false,
  ready: null,
  ...extra,
})

const report = (resources: ResourceStatusReport[]): ServiceStatusReport => ({
  version: 1,
  service: 'web',
  id: 'x',
  node: 'n1',
  avail: 'up',
  ready: true,
  overall: 'up',
  frozen: false,
  resources: Object.fromEntries(resources.map(r => [r.rid, r])),
})

const flagsOf = (text: string, rid: string) => new RegExp(`${rid.replace('#', '\\#')}\\s+(\\S{8}) `).exec(text)?.[1]

describe('print status: the resource flags', () => {
  it('M for a monitored resource, O optional, D disabled, P not provisioned, S standby, dots otherwise', () => {
    const text = formatStatusTree(
      report([
        row('container#1', {monitor: true}),
        row('container#2', {optional: true}),
        row('container#3', {disabled: true}),
        row('container#4', {provisioned: false}),
        row('container#5', {standby: true}),
        row('container#6', {}),
        row('container#7', {monitor: true, optional: true, standby: true}),
      ]),
    )
    expect(flagsOf(text, 'container#1')).to.equal('.M......')
    expect(flagsOf(text, 'container#2')).to.equal('...O....')
    expect(flagsOf(text, 'container#3')).to.equal('..D.....')
    expect(flagsOf(text, 'container#4')).to.equal('.....P..')
    expect(flagsOf(text, 'container#5')).to.equal('......S.')
    expect(flagsOf(text, 'container#6')).to.equal('........')
    expect(flagsOf(text, 'container#7')).to.equal('.M.O..S.')
  })
})
