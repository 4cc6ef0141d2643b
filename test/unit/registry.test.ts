// DriverRegistry keeps one entry per driver, however many names (type aliases, the group's default,
// section aliases) it answers to: its consumers (compile, the schema, the catalogue) need no dedupe.
import {expect} from 'chai'
import {DriverRegistry} from '../../src/drivers/registry.js'
import {GENERIC_RESOURCE_KEYWORDS} from '../../src/drivers/generic-keywords.js'
import {fakeRegistration} from './fixtures/fake-drivers.js'

describe('DriverRegistry', () => {
  const registry = new DriverRegistry()
  registry.add('fake', fakeRegistration().registration)

  it('lists each driver once, whatever names it answers to', () => {
    const types = registry.drivers().map(d => `${d.driver.group}.${d.driver.type}`)
    expect(types).to.have.length(new Set(types).size)
    expect(types).to.include.members(['ip.netns', 'disk.vg', 'container.docker'])
    // ip.netns also answers to type = docker, ip.host is ip's default, disk.vg serves [vg#N]
    expect(registry.find('ip', 'docker')).to.equal(registry.find('ip', 'netns'))
    expect(registry.find('vg', undefined)).to.equal(registry.drivers().find(d => d.driver.type === 'vg'))
  })

  it("carries each driver's names and section keywords, made once", () => {
    const netns = registry.find('ip', 'netns')!
    expect(netns.typeNames).to.deep.equal(['netns', 'docker'])
    expect(netns.sectionGroups).to.deep.equal(['ip'])
    expect(registry.find('vg', undefined)!.sectionGroups).to.deep.equal(['disk', 'vg'])
    const names = netns.sectionKeywords.map(k => k.name)
    expect(names[0]).to.equal('type')
    expect(names.slice(1, 1 + netns.driver.keywords.length)).to.deep.equal(netns.driver.keywords.map(k => k.name))
    expect(names.slice(-GENERIC_RESOURCE_KEYWORDS.length + 1)).to.deep.equal(
      GENERIC_RESOURCE_KEYWORDS.slice(1).map(k => k.name),
    )
  })

  it('refuses a second driver for a taken type, keeping the first once', () => {
    const r = new DriverRegistry()
    r.add('one', fakeRegistration().registration)
    r.add('two', fakeRegistration().registration)
    expect(r.drivers().map(d => d.plugin)).to.deep.equal(registry.drivers().map(() => 'one'))
    expect(r.problems.map(p => p.plugin)).to.include('two')
  })
})
