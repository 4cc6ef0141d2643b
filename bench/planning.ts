/**
 * Case 1: planning time, in process. compileService (keyword validation against the fake
 * drivers' manifests, the same groups, types and rules as the real plugins) then buildPlan for
 * `start`, on services of 100, 1,000 and 10,000 container resources.
 *
 * Shape, the same at every size: subsets of 50 containers (s0000, s0001, ...), every other
 * subset parallel; in each subset every 5th container owns a network namespace that the next
 * 4 join (netns = container#k), so parallel stages carry dependency edges too.
 */
import {compileService} from '../src/config/compile.js'
import type {ServiceDocument} from '../src/config/document.js'
import {buildPlan} from '../src/planner/plan.js'
import {fakeRegistry} from '../test/unit/fixtures/services.js'
import {collectGarbage, envInt, fmtMs, median, type Section} from './lib.js'

export const SIZES = [100, 1000, 10_000] as const
const SUBSET_SIZE = 50
const NETNS_GROUP = 5

export function bigServiceDocument(n: number): ServiceDocument {
  const doc: ServiceDocument = [{name: 'DEFAULT', entries: [['id', '00000000-0000-4000-8000-000000000000']]}]
  const subsets = Math.ceil(n / SUBSET_SIZE)
  const subsetName = (s: number) => `s${String(s).padStart(4, '0')}`
  for (let s = 0; s < subsets; s++)
    doc.push({name: `subset#container:${subsetName(s)}`, entries: [['parallel', s % 2 === 0 ? 'true' : 'false']]})
  for (let i = 1; i <= n; i++) {
    const pos = (i - 1) % SUBSET_SIZE
    const entries: Array<[string, string]> = [
      ['type', 'docker'],
      ['image', 'google/pause'],
      ['subset', subsetName(Math.floor((i - 1) / SUBSET_SIZE))],
    ]
    if (pos % NETNS_GROUP !== 0) entries.push(['netns', `container#${i - (pos % NETNS_GROUP)}`])
    doc.push({name: `container#${i}`, entries})
  }
  return doc
}

interface Sample {
  compile: number
  plan: number
  total: number
}

/** Resources compiled and planned per sample at least: small services repeat within one sample, so its time is not a few noisy ms. */
const BATCH_RESOURCES = 2000

/** One sample: the mean of `batch` back-to-back compile+plan runs of the same size. */
function once(n: number): Sample {
  const batch = Math.max(1, Math.round(BATCH_RESOURCES / n))
  const registry = fakeRegistry()
  const docs = Array.from({length: batch}, () => bigServiceDocument(n))
  collectGarbage()
  let compile = 0
  let plan = 0
  for (const doc of docs) {
    const t0 = performance.now()
    const service = compileService(doc, registry, {name: 'bench', nodename: 'deb1', varDir: '/nonexistent/bench'})
    const t1 = performance.now()
    const p = buildPlan(service, 'start')
    const t2 = performance.now()
    if (p.tasks.length !== n) throw new Error(`planning ${n} resources gave ${p.tasks.length} tasks`)
    compile += t1 - t0
    plan += t2 - t1
  }
  return {compile: compile / batch, plan: plan / batch, total: (compile + plan) / batch}
}

export function planningSection(log: (s: string) => void): Section {
  const runs = envInt('BENCH_RUNS', 7)
  const warmup = envInt('BENCH_WARMUP', 2)
  const samples = new Map<number, Sample[]>(SIZES.map(n => [n, []]))
  // sizes interleaved, so a change of machine load mid-run hits every size alike
  for (let i = 0; i < warmup; i++) for (const n of SIZES) once(n)
  for (let i = 0; i < runs; i++) {
    for (const n of SIZES) samples.get(n)!.push(once(n))
    log(`planning: run ${i + 1}/${runs}: ${SIZES.map(n => `${n}=${fmtMs(samples.get(n)!.at(-1)!.total)}`).join(' ')}`)
  }
  const med = (n: number, k: keyof Sample) => median(samples.get(n)!.map(s => s[k]))
  const base = SIZES[0]
  const fmtN = (n: number) => n.toLocaleString('en-US')
  const rows: Section['rows'] = []
  rows.push({
    case: `plan ${fmtN(base)} res. (compile+plan)`,
    median: med(base, 'total'),
    baseline: 'itself (reference)',
    baselineMedian: med(base, 'total'),
    runs,
  })
  for (const n of SIZES.slice(1)) {
    const scale = n / base
    rows.push({
      case: `plan ${fmtN(n)} res. (compile+plan)`,
      median: med(n, 'total'),
      baseline: `${fmtN(base)}-res. x ${scale}`,
      baselineMedian: med(base, 'total') * scale,
      maxRatio: 2,
      runs,
    })
    rows.push({
      case: `  compile only, ${fmtN(n)} res.`,
      median: med(n, 'compile'),
      baseline: `${fmtN(base)}-res. compile x ${scale}`,
      baselineMedian: med(base, 'compile') * scale,
      runs,
    })
    rows.push({
      case: `  buildPlan only, ${fmtN(n)} res.`,
      median: med(n, 'plan'),
      baseline: `${fmtN(base)}-res. plan x ${scale}`,
      baselineMedian: med(base, 'plan') * scale,
      runs,
    })
  }
  const last = SIZES[SIZES.length - 1]
  rows.push({
    case: `plan ${fmtN(last)} res., absolute`,
    median: med(last, 'total'),
    baseline: 'budget 1 s',
    baselineMedian: 1000,
    maxRatio: 1,
    targetText: '< 1 s',
    runs,
  })
  return {
    title: 'plan',
    rows,
    notes: [
      `in process (performance.now()), compileService + buildPlan('start') with the fake drivers' registry (test/unit/fixtures), medians of ${runs} samples after ${warmup} warm-ups, a full GC before each sample; a sample is the mean of back-to-back runs over >= ${BATCH_RESOURCES.toLocaleString('en-US')} resources (100 res.: 20 runs, 1,000: 2, 10,000: 1); "compile+plan" is the sum, the indented rows split it (100-res. split: compile ${fmtMs(med(base, 'compile'))}, plan ${fmtMs(med(base, 'plan'))}).`,
      `shape: subsets of ${SUBSET_SIZE} containers, every other one parallel; every ${NETNS_GROUP}th container owns a netns the next ${NETNS_GROUP - 1} join. Ratio = time per resource against the 100-resource case's; target <= 2x means near-linear growth.`,
    ],
  }
}
