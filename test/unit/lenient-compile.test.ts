/** The lenient compile of a stored config that no longer validates (what status and stop work on). */
import {expect} from 'chai'
import {compileService, compileServiceLenient} from '../../src/config/compile.js'
import {parseDocument} from '../../src/config/document.js'
import {compileFixture, fakeRegistry} from './fixtures/services.js'
import {ConfigError} from '../../src/errors.js'

describe('lenient compile of a stored config', () => {
  const lenient = (text: string) =>
    compileServiceLenient(parseDocument(text, 's', 's'), fakeRegistry(), {
      name: 's',
      nodename: 'deb1',
      varDir: '/nonexistent/s',
    })

  it('ignores unknown keywords and bad values (defaults apply), warning about each', () => {
    const r = lenient(
      '[container#1]\ntype = docker\nimage = x\ncolour = red\nrm = perhaps\n[container#2]\ntype = docker\nimage = y\n',
    )
    expect(r.service.resources.map(x => x.rid)).to.deep.equal(['container#1', 'container#2'])
    expect(r.unusable).to.deep.equal([])
    expect(r.warnings).to.have.length(2)
    expect(r.warnings[0]).to.match(/^container#1.colour: unknown keyword/)
    expect(r.warnings[1]).to.equal('container#1.rm: expected true or false, got "perhaps"')
  })

  it('leaves out the sections that cannot become a resource, saying why', () => {
    const r = lenient(
      '[container#1]\ntype = docker\nimage = x\n[container#2]\ntype = docker\n[container#3]\ntype = podman\nimage = x\n[widget#1]\nx = y\n[container#04]\ntype = docker\nimage = x\n',
    )
    expect(r.service.resources.map(x => x.rid)).to.deep.equal(['container#1'])
    expect(r.unusable.map(u => u.rid)).to.deep.equal(['container#2', 'container#3', 'widget#1', 'container#04'])
    expect(r.unusable[0].problems[0]).to.match(/^container#2.image: required keyword missing/)
    expect(r.unusable[1]).to.deep.include({group: 'container', type: 'podman'})
  })

  it('does not guess whether a resource is disabled or standby: such a bad value leaves the section out', () => {
    const r = lenient(
      '[container#1]\ntype = docker\nimage = x\ndisable = perhaps\n[container#2]\ntype = docker\nimage = x\nstandby = sometimes\n',
    )
    expect(r.service.resources).to.deep.equal([])
    expect(r.unusable.map(u => u.problems[0])).to.deep.equal([
      'container#1.disable: expected true or false, got "perhaps"',
      'container#2.standby: expected true or false, got "sometimes"',
    ])
  })

  it('ignores an unknown DEFAULT keyword with a warning', () => {
    const r = lenient('[DEFAULT]\nnodes = deb1\nwhatever = 1\n[container#1]\ntype = docker\nimage = x\n')
    expect(r.warnings[0]).to.match(/^DEFAULT.whatever: unknown keyword/)
  })

  it('is what the strict compile refuses, problem for problem', () => {
    const text = '[container#1]\ntype = docker\nimage = x\ncolour = red\n[container#2]\ntype = docker\n'
    expect(() => compileFixture(text, 's')).to.throw(ConfigError)
    const problems = (() => {
      try {
        compileFixture(text, 's')
      } catch (error) {
        return (error as ConfigError).problems
      }
    })()!
    const r = lenient(text)
    expect([...r.warnings, ...r.unusable.flatMap(u => u.problems)].sort()).to.deep.equal([...problems].sort())
  })
})

describe('compile: the defaults of a manifest, worked out once per manifest', () => {
  it('every section gets the same defaults; a manifest that grew (a plugin adding DEFAULT keywords) gets its new ones', () => {
    const registry = fakeRegistry()
    const doc = (text: string) => parseDocument(text, 's', 's')
    const options = {name: 's', nodename: 'deb1', varDir: '/nonexistent/s'}
    const text =
      '[DEFAULT]\nid = 00000000-0000-4000-8000-000000000001\n[container#1]\ntype = docker\nimage = a\n[container#2]\ntype = docker\nimage = b\n'
    const first = compileService(doc(text), registry, options)
    const [a, b] = first.resources
    expect(Object.keys(a.kw)).to.deep.equal(Object.keys(b.kw))
    expect(a.kw.image).to.equal('a')
    expect(b.kw.image).to.equal('b')
    expect(first.kw).to.not.have.property('bench_extra')
    registry.add('extra', {
      drivers: [],
      defaultKeywords: [{name: 'bench_extra', help: 'a DEFAULT keyword with a default', default: '7', type: 'int'}],
    })
    expect(compileService(doc(text), registry, options).kw).to.include({bench_extra: 7})
    // a required keyword missing is still named, a bad one only as bad
    expect(() => compileService(doc('[container#1]\ntype = docker\n'), registry, options)).to.throw(
      ConfigError,
      /container#1\.image: required keyword missing/,
    )
  })
})
