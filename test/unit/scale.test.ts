/**
 * What the linear-time parser and planner (issue 11, 10,000 sections) must still do exactly as
 * before: refuse a repeated section or keyword with the same message naming it, join continued
 * values the same, and order each stage by Kahn's algorithm taking the smallest ready rid first.
 * No timing here: the bench's `scale` case measures.
 */
import {expect} from 'chai'
import fc from 'fast-check'
import {type ServiceDocument, documentToIni} from '../../src/config/document.js'
import {parseIni} from '../../src/config/ini.js'
import {findKeyword} from '../../src/config/keywords.js'
import type {KeywordSpec} from '../../src/drivers/api.js'
import {naturalCompare} from '../../src/model/rid.js'
import {buildPlan} from '../../src/planner/plan.js'
import {warningsByRid} from '../../src/services/status.js'
import {STATUS_CONCURRENCY, gatherServiceStatus} from '../../src/status/status.js'
import type {Driver} from '../../src/drivers/api.js'
import {DriverRegistry} from '../../src/drivers/registry.js'
import {EventBus} from '../../src/log/events.js'
import {IniSyntaxError} from '../../src/errors.js'
import {RUNS, representableDoc} from './fixtures/config-arbitraries.js'
import {compileFixture, realRegistry} from './fixtures/services.js'

const containers = (n: number) =>
  Array.from({length: n}, (_, i) => `[container#${i + 1}]\ntype = docker\nimage = busybox\n`).join('\n')

describe('INI parser: repeated sections and keywords, at any size', () => {
  it('refuses a section header given twice, naming the section and the line of the second', () => {
    const text = `${containers(3)}\n[container#2]\nimage = x\n`
    expect(() => parseIni(text, 'f.conf')).to.throw(
      IniSyntaxError,
      'f.conf line 13: section [container#2] appears twice',
    )
  })

  it('finds the repeat among 10,000 sections, wherever the first one is', () => {
    const text = `${containers(10_000)}\n[container#1]\n`
    // each section is 3 lines and a blank one
    expect(() => parseIni(text, 'big.conf')).to.throw(
      IniSyntaxError,
      'big.conf line 40001: section [container#1] appears twice',
    )
    expect(parseIni(containers(10_000))).to.have.length(10_000)
  })

  it('refuses a keyword given twice in one section, and takes it again in the next', () => {
    expect(() => parseIni('[a#1]\nk = 1\nj = 2\nk = 3\n', 'f')).to.throw(
      IniSyntaxError,
      'f line 4: keyword "k" appears twice in [a#1]',
    )
    expect(parseIni('[a#1]\nk = 1\n[a#2]\nk = 2\n')).to.deep.equal([
      {name: 'a#1', entries: [['k', '1']]},
      {name: 'a#2', entries: [['k', '2']]},
    ])
  })

  it('joins a continued value once it ends: inner blank lines kept, trailing ones dropped, at the end of the file too', () => {
    expect(parseIni('[a#1]\nk = one\n  two\n\n  three\n\n\nj = x\n')[0].entries).to.deep.equal([
      ['k', 'one\ntwo\n\nthree'],
      ['j', 'x'],
    ])
    expect(parseIni('[a#1]\nk =\n  two\n\n')[0].entries).to.deep.equal([['k', '\ntwo']])
  })

  it('refuses any printed section repeated at the end, naming it and its line (property)', () => {
    fc.assert(
      fc.property(
        representableDoc
          .map(doc => doc.filter(s => s.entries.length > 0 || s.name !== 'DEFAULT'))
          .filter(d => d.length > 0),
        fc.nat(),
        (doc: ServiceDocument, pick) => {
          const name = doc[pick % doc.length].name
          const text = documentToIni(doc)
          // the printed text ends with a newline: a blank line, then the header
          const line = text.split('\n').length + 1
          expect(() => parseIni(`${text}\n[${name}]\n`, 'gen')).to.throw(
            IniSyntaxError,
            `gen line ${line}: section [${name}] appears twice`,
          )
        },
      ),
      RUNS,
    )
  })
})

/** The reference order: Kahn's algorithm re-sorting the ready rids at every step, as the planner did before its heap. */
function referenceOrder(rids: string[], edges: Array<[string, string]>): string[] {
  const indegree = new Map(rids.map(r => [r, 0]))
  for (const [, b] of edges) indegree.set(b, indegree.get(b)! + 1)
  const ready = rids.filter(r => indegree.get(r) === 0)
  const out: string[] = []
  while (ready.length > 0) {
    ready.sort(naturalCompare)
    const rid = ready.shift()!
    out.push(rid)
    for (const [a, b] of edges)
      if (a === rid) {
        indegree.set(b, indegree.get(b)! - 1)
        if (indegree.get(b) === 0) ready.push(b)
      }
  }
  return out
}

describe('planner: stage order with dependencies', () => {
  // containers with shuffled indexes, each joining the network namespace of an earlier one (or none)
  const service = fc.integer({min: 2, max: 40}).chain(n =>
    fc.record({
      indexes: fc.shuffledSubarray(
        Array.from({length: 3 * n}, (_, i) => i + 1),
        {minLength: n, maxLength: n},
      ),
      owners: fc.array(fc.option(fc.nat(), {nil: undefined}), {minLength: n, maxLength: n}),
      parallel: fc.boolean(),
    }),
  )

  it('takes the smallest ready rid first in natural order, sequential or parallel (property)', () => {
    fc.assert(
      fc.property(service, ({indexes, owners, parallel}) => {
        const rids = indexes.map(i => `container#${i}`)
        const sections: Record<string, Record<string, string>> = {'subset#container:s': {parallel: String(parallel)}}
        const edges: Array<[string, string]> = []
        rids.forEach((rid, pos) => {
          const owner = pos > 0 && owners[pos] !== undefined ? rids[owners[pos] % pos] : undefined
          sections[rid] = {type: 'docker', image: 'x', subset: 's', ...(owner ? {netns: owner} : {})}
          if (owner) edges.push([owner, rid])
        })
        const plan = buildPlan(compileFixture(JSON.stringify(sections), 'svc', realRegistry()), 'start')
        expect(plan.stages).to.have.length(1)
        expect(plan.tasks.map(t => t.rid)).to.deep.equal(referenceOrder(rids, edges))
        const id = new Map(plan.tasks.map(t => [t.rid, t.id]))
        for (const t of plan.tasks) {
          const deps = edges.filter(([, b]) => b === t.rid).map(([a]) => id.get(a)!)
          // a parallel stage keeps its dependency edges, a sequential one is a chain
          expect(t.after).to.deep.equal(parallel ? deps.sort((x, y) => x - y) : t.id > 1 ? [t.id - 1] : [])
        }
      }),
      {numRuns: Math.min(RUNS.numRuns, 100)},
    )
  })

  it('10,000 containers: one parallel subset is one stage without edges, the default order one chain', () => {
    const sections = (subset: boolean) => {
      const s: Record<string, object> = subset ? {'subset#container:all': {parallel: 'true'}} : {}
      for (let i = 1; i <= 10_000; i++)
        s[`container#${i}`] = {type: 'docker', image: 'x', ...(subset ? {subset: 'all'} : {})}
      return JSON.stringify(s)
    }
    const par = buildPlan(compileFixture(sections(true), 'p'), 'start')
    expect(par.stages.map(s => [s.parallel, s.tasks.length])).to.deep.equal([[true, 10_000]])
    expect(par.tasks.every(t => t.after.length === 0)).to.equal(true)
    const seq = buildPlan(compileFixture(sections(false), 's'), 'start')
    expect(seq.stages.map(s => [s.parallel, s.tasks.length])).to.deep.equal([[false, 10_000]])
    expect(seq.tasks.every(t => t.after.join() === (t.id === 1 ? '' : String(t.id - 1)))).to.equal(true)
    expect(seq.tasks.slice(0, 3).map(t => t.rid)).to.deep.equal(['container#1', 'container#2', 'container#3'])
    expect(seq.tasks.at(-1)!.rid).to.equal('container#10000')
  })
})

describe('keyword lookup', () => {
  it('finds a name before an alias, the first spec before a later one, and what a grown list adds', () => {
    const a: KeywordSpec = {name: 'a', aliases: ['b', 'x'], help: ''}
    const b: KeywordSpec = {name: 'b', help: ''}
    const a2: KeywordSpec = {name: 'a', help: 'later'}
    const specs: KeywordSpec[] = [a, b, a2]
    expect(findKeyword(specs, 'a')).to.equal(a)
    expect(findKeyword(specs, 'b')).to.equal(b)
    expect(findKeyword(specs, 'x')).to.equal(a)
    expect(findKeyword(specs, 'y')).to.equal(undefined)
    const y: KeywordSpec = {name: 'y', help: ''}
    specs.push(y)
    expect(findKeyword(specs, 'y')).to.equal(y)
  })
})

describe('selection of thousands of rids', () => {
  it('--rid with 5,000 rids selects exactly them; group and group.type selectors still match', () => {
    const sections: Record<string, object> = {}
    for (let i = 1; i <= 10_000; i++) sections[`container#${i}`] = {type: 'docker', image: 'x'}
    const svc = compileFixture(JSON.stringify(sections), 'sel')
    const odd = Array.from({length: 5000}, (_, i) => `container#${2 * i + 1}`)
    const plan = buildPlan(svc, 'start', {rids: odd})
    expect(plan.tasks.map(t => t.rid)).to.deep.equal(odd)
    expect(buildPlan(svc, 'start', {rids: ['container.docker']}).tasks).to.have.length(10_000)
    expect(() => buildPlan(svc, 'start', {rids: [...odd, 'container#20000']})).to.throw('matches no resource of sel')
  })
})

describe('print status: config warnings go to the rid they name', () => {
  it('matches "<rid>.", "[<rid>]" and "<rid>:" only, never a longer rid with the same start', () => {
    const byRid = warningsByRid([
      'container#1.imag: unknown keyword',
      '[container#1]: something',
      'container#1: the driver says',
      'container#10.image: expected a string',
      'subset#container:all.parallel: expected true or false',
      'no rid here',
    ])
    expect(byRid.get('container#1')).to.deep.equal([
      'container#1.imag: unknown keyword',
      '[container#1]: something',
      'container#1: the driver says',
    ])
    expect(byRid.get('container#10')).to.deep.equal(['container#10.image: expected a string'])
    expect(byRid.has('no rid here')).to.equal(false)
  })
})

describe('print status of many resources', () => {
  it('probes every resource, a bounded number at a time, and reports them in start order', async () => {
    let inFlight = 0
    let most = 0
    const counted: Driver = {
      group: 'app',
      type: 'counted',
      description: 'counts its probes in flight',
      keywords: [],
      label: r => `counted ${r.rid}`,
      describe: () => [],
      status: async ctx => {
        most = Math.max(most, ++inFlight)
        await new Promise(resolve => setImmediate(resolve))
        inFlight--
        return {status: Number(ctx.resource.index) % 2 ? 'up' : 'down'}
      },
      start: async () => 'unchanged',
      stop: async () => 'unchanged',
    }
    const registry = new DriverRegistry()
    registry.add('test', {drivers: [counted]})
    const sections: Record<string, object> = {}
    for (let i = 500; i >= 1; i--) sections[`app#${i}`] = {type: 'counted', ...(i === 7 ? {disable: 'true'} : {})}
    const service = compileFixture(JSON.stringify(sections), 'many', registry)
    const report = await gatherServiceStatus(service, {root: '/nonexistent', nodename: 'deb1'}, new EventBus(), {
      frozen: false,
    })
    const rids = Object.keys(report.resources)
    expect(rids).to.have.length(500)
    expect(rids.slice(0, 3)).to.deep.equal(['app#1', 'app#2', 'app#3'])
    expect(report.resources['app#7'].status).to.equal('n/a')
    expect(report.resources['app#9'].status).to.equal('up')
    expect(report.resources['app#10'].status).to.equal('down')
    expect(most).to.be.greaterThan(1)
    expect(most).to.be.at.most(STATUS_CONCURRENCY)
  })
})
