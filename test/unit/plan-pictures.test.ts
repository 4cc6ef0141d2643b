import fs from 'node:fs'
import {expect} from 'chai'
import {SaxesParser} from 'saxes'
import {buildPlan} from '../../src/planner/plan.js'
import {planDigest} from '../../src/planner/digest.js'
import {stableStringify} from '../../src/planner/observe.js'
import type {Plan, ServiceAction} from '../../src/planner/types.js'
import {formatPlanDot} from '../../src/render/plan-dot.js'
import {formatPlanMermaid, mermaidText} from '../../src/render/plan-mermaid.js'
import {renderPlan} from '../../src/render/plan-output.js'
import {renderPlanSvg} from '../../src/render/plan-svg.js'
import {compileFixture as compileWith, fixture, realRegistry} from './fixtures/services.js'
import {observedSvc2Start} from './fixtures/observed-plans.js'

// the seed's two services, loaded as the golden plan tests load them (the real drivers, a fake host)
const compileFixture = (text: string, name: string) => compileWith(text, name, realRegistry())
const svc2 = compileFixture(fixture('svc2.json'), 'svc2')
const busybox = compileFixture(fixture('busybox.conf'), 'busybox')

const goldenPath = (name: string) => new URL(`../fixtures/plans/${name}`, import.meta.url)
const golden = (name: string) => fs.readFileSync(goldenPath(name), 'utf8')

const CASES: Array<[string, typeof svc2, ServiceAction, string | undefined]> = [
  ['svc2-start', svc2, 'start', undefined],
  ['svc2-restart-container_1', svc2, 'restart', 'container#1'],
  ['svc2-stop-container', svc2, 'stop', 'container'],
  ['busybox-start', busybox, 'start', undefined],
  ['busybox-stop', busybox, 'stop', undefined],
]

const planOf = (svc: typeof svc2, action: ServiceAction, rid?: string): Plan =>
  buildPlan(svc, action, rid ? {rids: [rid]} : {})

/** Every text node of an SVG, parsed strictly (saxes: a conforming XML 1.0 parser; any well-formedness error throws). */
function svgTexts(svg: string): {texts: string[]; ids: string[]} {
  const parser = new SaxesParser()
  const texts: string[] = []
  const ids: string[] = []
  let inText = 0
  parser.on('opentag', tag => {
    if (tag.name === 'text') inText++
    const id = tag.attributes.id
    if (typeof id === 'string') ids.push(id)
  })
  parser.on('closetag', tag => {
    if (tag.name === 'text') inText--
  })
  parser.on('text', t => {
    if (inText > 0) texts.push(t)
  })
  parser.on('error', e => {
    throw e
  })
  parser.write(svg).close()
  return {texts, ids}
}

describe('plan pictures: mermaid and dot golden text of the seed services', () => {
  for (const [name, svc, action, rid] of CASES) {
    it(`${name}.mmd matches its golden text`, () => {
      expect(formatPlanMermaid(planOf(svc, action, rid))).to.equal(golden(`${name}.mmd`))
    })
    it(`${name}.dot matches its golden text`, () => {
      expect(formatPlanDot(planOf(svc, action, rid))).to.equal(golden(`${name}.dot`))
    })
  }

  it('an observed plan styles each task by its change and says its cause (svc2-start-observed.mmd/.dot)', () => {
    const plan = observedSvc2Start()
    expect(formatPlanMermaid(plan)).to.equal(golden('svc2-start-observed.mmd'))
    expect(formatPlanDot(plan)).to.equal(golden('svc2-start-observed.dot'))
    const text = formatPlanMermaid(plan)
    expect(text).to.include('t1["[1] container#1<br/>none: already up"]:::none')
    expect(text).to.include('t3["[3] container#2<br/>recreate: image nginx → nginx:1.25"]:::recreate')
    expect(text).to.include('classDef none fill:#eeeeee,stroke:#888888,stroke-dasharray:4 3')
  })

  it('a restart shows both phases: its stop stages, then its start stages, the rollback of the start only', () => {
    const plan = planOf(svc2, 'restart', 'container#1')
    const text = formatPlanMermaid(plan)
    expect(text).to.include('stage 1 · stop phase · container · sequential')
    expect(text).to.include('stage 2 · start phase · container · sequential')
    expect(text).to.include('  s1 --> s2')
    expect(text).to.include('u8 -.-> u7')
    expect(text).not.to.include('u4')
  })

  it('every rid of the plan is in each picture, each task once as a node', () => {
    for (const [, svc, action, rid] of CASES) {
      const plan = planOf(svc, action, rid)
      const mermaid = formatPlanMermaid(plan)
      const dot = formatPlanDot(plan)
      for (const t of plan.tasks) {
        expect(mermaid).to.include(`    t${t.id}["[${t.id}] ${t.rid}<br/>`)
        expect(dot).to.include(`    t${t.id} [label="[${t.id}] ${t.rid}\\n`)
      }
    }
  })

  it('a parallel stage says so and has no edges between its members', () => {
    const plan = planOf(busybox, 'start')
    const text = formatPlanMermaid(plan)
    expect(text).to.include('stage 5 · container:01appservers · parallel')
    const app = plan.stages.find(s => s.subset === '01appservers')!
    for (const a of app.tasks)
      for (const b of app.tasks) expect(text).not.to.match(new RegExp(`t${a} [-=]=?>.* t${b}$`, 'm'))
  })

  it('a dependency edge says why (its reason from the plan), a sequential order edge is plain', () => {
    const text = formatPlanMermaid(planOf(svc2, 'start'))
    expect(text).to.include('t1 ==>|"once started · netns owner"| t2')
    expect(text).to.include('  t3 --> t4\n')
  })

  it('escapes what Mermaid would read as markup in a label', () => {
    expect(mermaidText('a "b" <c> x#35;y #1')).to.equal('a #quot;b#quot; #lt;c#gt; x#35;35;y #1')
  })

  it('the title names the plan by its digest, which is the sha256 of the sorted-key plan JSON', () => {
    const plan = planOf(svc2, 'start')
    expect(planDigest(plan)).to.match(/^[0-9a-f]{64}$/)
    expect(formatPlanMermaid(plan)).to.include(`plan ${planDigest(plan).slice(0, 12)}`)
    // the same data in another key order has the same digest
    const reordered = Object.fromEntries(Object.entries(plan).reverse()) as unknown as Plan
    expect(planDigest(reordered)).to.equal(planDigest(plan))
    expect(stableStringify({b: 1, a: {d: [2, {f: 1, e: 0}], c: undefined}})).to.equal(
      '{"a":{"d":[2,{"e":0,"f":1}]},"b":1}',
    )
  })

  it('one plan object feeds text, json, mermaid and dot', async () => {
    const plan = planOf(svc2, 'start')
    expect(await renderPlan(plan, 'text')).to.equal(golden('svc2-start.txt'))
    expect(JSON.parse(await renderPlan(plan, 'json'))).to.deep.equal(JSON.parse(JSON.stringify(plan)))
    expect(await renderPlan(plan, 'mermaid')).to.equal(golden('svc2-start.mmd'))
    expect(await renderPlan(plan, 'dot')).to.equal(golden('svc2-start.dot'))
  })
})

describe('plan pictures: svg (graphviz in WebAssembly)', function () {
  this.timeout(60_000)
  for (const [name, svc, action, rid] of CASES) {
    it(`${name}: renders, parses as XML, and shows every rid and every task`, async () => {
      const plan = planOf(svc, action, rid)
      const svg = await renderPlanSvg(plan)
      const {texts, ids} = svgTexts(svg)
      for (const t of plan.tasks) {
        expect(texts, t.rid).to.include(`[${t.id}] ${t.rid}`)
        expect(ids).to.include(`task-${t.id}`)
      }
      for (const id of plan.rollbackOrder) expect(ids).to.include(`undo-${id}`)
    })
  }

  it('the strict check refuses a document that is not well-formed', () => {
    expect(() => svgTexts('<svg><text>a</svg>')).to.throw()
  })
})
