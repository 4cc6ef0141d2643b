// ip drift rules: the plumbed prefix against netmask.
import {expect} from 'chai'
import {netmaskDrift} from '../../src/net/drift.js'

describe('ip drift (the live address against the config)', () => {
  it('names netmask when the plumbed prefix differs from the configured one, dotted or a length', () => {
    expect(netmaskDrift('255.255.255.0', 24)).to.deep.equal([])
    expect(netmaskDrift('24', 24)).to.deep.equal([])
    expect(netmaskDrift('255.255.255.224', 24)).to.deep.equal(['netmask'])
    expect(netmaskDrift('16', 24)).to.deep.equal(['netmask'])
  })
  it('no netmask in the config: the prefix was derived at start, nothing to compare', () => {
    expect(netmaskDrift(undefined, 27)).to.deep.equal([])
  })
})
