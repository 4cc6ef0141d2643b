// The generic-keyword table: compile fills each Resource field from it, `get --eval` reads the
// fields back through it, and a bad value of a keyword deciding whether the resource is acted on
// (disable, standby) is fatal to the section, never replaced by the default.
import {expect} from 'chai'
import {compileServiceLenient} from '../../src/config/compile.js'
import {parseDocument} from '../../src/config/document.js'
import {ACTED_ON_KEYWORDS, GENERIC_RESOURCE_KEYWORDS, genericKeywordValue} from '../../src/drivers/generic-keywords.js'
import {compileFixture, fakeRegistry} from './fixtures/services.js'

const CONFIG = `[container#1]
type = docker
image = nginx
tags = web front
subset = 01
optional = yes
standby = on
comment = kept in the config only

[container#2]
type = docker
image = redis
`

describe('generic keywords: one table', () => {
  const service = compileFixture(CONFIG, 'gk')
  const [one, two] = [service.resource('container#1')!, service.resource('container#2')!]

  it('fills the Resource fields, defaults applied, and keeps them out of kw', () => {
    expect({
      subset: one.subset,
      tags: one.tags,
      optional: one.optional,
      disabled: one.disabled,
      standby: one.standby,
    }).to.deep.equal({subset: '01', tags: ['web', 'front'], optional: true, disabled: false, standby: true})
    expect({
      subset: two.subset,
      tags: two.tags,
      optional: two.optional,
      disabled: two.disabled,
      standby: two.standby,
    }).to.deep.equal({subset: undefined, tags: [], optional: false, disabled: false, standby: false})
    for (const k of GENERIC_RESOURCE_KEYWORDS) expect(one.kw, k.name).not.to.have.property(k.name)
    expect(one.kw.image).to.equal('nginx')
  })

  it('reads a generic keyword back by its name (get --eval), the canonical type for type; none for comment or a driver keyword', () => {
    expect(genericKeywordValue(one, 'type')).to.deep.equal({value: 'docker'})
    expect(genericKeywordValue(one, 'disable')).to.deep.equal({value: false})
    expect(genericKeywordValue(one, 'tags')).to.deep.equal({value: ['web', 'front']})
    expect(genericKeywordValue(two, 'subset')).to.deep.equal({value: undefined})
    expect(genericKeywordValue(one, 'comment')).to.equal(undefined)
    expect(genericKeywordValue(one, 'image')).to.equal(undefined)
  })

  it('makes a bad disable or standby fatal to the section, a bad optional only a warning', () => {
    expect([...ACTED_ON_KEYWORDS].sort()).to.deep.equal(['disable', 'standby'])
    const bad = (kw: string) =>
      compileServiceLenient(
        parseDocument(`[container#1]\ntype = docker\nimage = nginx\n${kw} = maybe\n`, 'gk', 'gk'),
        fakeRegistry(),
        {name: 'gk', nodename: 'n', varDir: '/nonexistent'},
      )
    expect(bad('disable').unusable.map(u => u.rid)).to.deep.equal(['container#1'])
    expect(bad('standby').unusable.map(u => u.rid)).to.deep.equal(['container#1'])
    const optional = bad('optional')
    expect(optional.unusable).to.deep.equal([])
    expect(optional.warnings).to.deep.equal(['container#1.optional: expected true or false, got "maybe"'])
    expect(optional.service.resource('container#1')!.optional).to.equal(false)
  })
})
