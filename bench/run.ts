/**
 * `npm run bench`: one table of medians, each against a baseline measured in the same run
 * (issue 3, "## Bench"). Progress goes to stderr, the table to stdout.
 *
 *   BENCH_RUNS        measured runs of every case (defaults: planning 7, print status 15,
 *                     start/stop 7, svc2 start 9 and the ip/fs/mixed scale 5: a median of 3 moved by 0.1x
 *                     with one slow sample on this 2-CPU machine)
 *   BENCH_WARMUP      warm-up runs of every case (defaults: planning 2, the engine cases 1)
 *   BENCH_CASES       comma list of plan,status,cold,startstop,svc2start,ipcheck,scale,scalemixed,readiness,planobserved,apply,agent (default all)
 *   BENCH_AGENT_IDLE_S seconds the agent case watches 20 idle services (default 60)
 *   BENCH_STARTCHECK=1 start/stop also measures bare start + the docker driver's 2 inspects after it
 *
 * The engine cases need a built CLI (`npm run build`) and an engine: DOCKER_HOST, else the
 * test engine of scripts/testenv.sh (started with `up` when we are root), else they are
 * skipped with the reason. Everything they create (containers, temp SVCMGR_ROOTs) is removed
 * at the end, also after a failure or SIGINT/SIGTERM.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {agentCase} from './agent.js'
import {applySection} from './apply.js'
import {printStatusSection, startStopSection} from './cli-cases.js'
import {coldStartSection} from './cold-start.js'
import {ensureEngine, Leftovers, REPO} from './engine.js'
import {ipcheckSection} from './ipcheck.js'
import {envInt, renderTable, type Section} from './lib.js'
import {planningSection} from './planning.js'
import {planObservedSection} from './plan-observed.js'
import {readinessCase} from './readiness.js'
import {scaleSection} from './scale.js'
import {scaleMixedSection} from './scale-mixed.js'
import {svc2StartSection} from './start-wait.js'

const log = (s: string) => process.stderr.write(`bench: ${s}\n`)
const wanted = new Set(
  (
    process.env.BENCH_CASES ??
    'plan,status,cold,startstop,svc2start,ipcheck,scale,scalemixed,readiness,planobserved,apply,agent'
  )
    .split(',')
    .map(s => s.trim())
    .filter(Boolean),
)
const left = new Leftovers()
const sections: Section[] = []
const skipped: string[] = []

let interrupted = false
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    interrupted = true
    log(`${sig}: cleaning up`)
    void left.cleanup().finally(() => process.exit(130))
  })
}

const load = () => os.loadavg()[0].toFixed(1)
const machine: string[] = []

async function main(): Promise<number> {
  const t0 = performance.now()
  const loadAtStart = load()
  if (wanted.has('plan')) {
    log('case 1: planning (in process)')
    sections.push(planningSection(log))
  }
  if (['status', 'cold', 'startstop', 'svc2start', 'scale', 'planobserved', 'apply'].some(c => wanted.has(c))) {
    const engine = await ensureEngine(log)
    if ('skip' in engine) skipped.push(engine.skip)
    else if (!fs.existsSync(path.join(REPO, 'dist/cli/argv.js')))
      skipped.push('engine cases: dist/ is missing: run `npm run build` first')
    else {
      left.useEngine(engine.address)
      const version = await (await left.docker()).version().then(
        v => v.Version,
        () => '?',
      )
      machine.push(`engine ${engine.address} (dockerd ${version})`)
      log(`engine: ${engine.address}`)
      const ctx = (runs: number) => ({left, log, runs: envInt('BENCH_RUNS', runs), warmup: envInt('BENCH_WARMUP', 1)})
      if (wanted.has('status')) {
        log('case 2: print status, cold')
        sections.push(await printStatusSection(ctx(15)))
      }
      if (wanted.has('cold')) sections.push(await coldStartSection(ctx(11)))
      if (wanted.has('scale')) {
        log('case 6: 1,000 and 10,000 sections end to end, peak RSS of print status')
        sections.push(await scaleSection(ctx(5)))
      }
      if (wanted.has('startstop')) {
        log('case 3: start/stop of 20 containers in a parallel subset')
        sections.push(await startStopSection(ctx(7), process.env.BENCH_STARTCHECK === '1'))
      }
      if (wanted.has('planobserved')) {
        log('case: the state-aware start --dry-run against print status')
        sections.push(await planObservedSection(ctx(7)))
      }
      if (wanted.has('apply')) {
        log('case apply: apply of an in-sync service against print status')
        sections.push(await applySection(ctx(7)))
      }
      if (wanted.has('svc2start')) {
        log('case 4: svc2 start against the bare docker CLI')
        sections.push(await svc2StartSection(ctx(9)))
      }
    }
  }
  if (wanted.has('ipcheck')) await ipcheckSection(log, sections, skipped)
  if (wanted.has('scalemixed'))
    sections.push(scaleMixedSection({left, log, runs: envInt('BENCH_RUNS', 5), warmup: envInt('BENCH_WARMUP', 1)}))
  if (wanted.has('readiness')) await readinessCase(left, log, sections, skipped)
  if (wanted.has('agent')) await agentCase(left, log, sections, skipped)
  // the cluster's cases need root, etcd and the testbed's three engines: a script of their own
  skipped.push(
    'cluster cases (failover after a crash and a partition, switch, print status of a cluster service): run `npm run bench:cluster` (bench/cluster.ts)',
  )
  machine.unshift(
    `node ${process.version}, ${os.cpus().length} CPUs, 1-min load average ${loadAtStart} at start, ${load()} at end (a loaded machine slows every row; the ratios, measured interleaved, suffer less)`,
  )
  console.log(renderTable(sections, skipped, machine))
  log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`)
  return 0
}

let code = 1
try {
  code = await main()
} catch (error) {
  // what was measured before the failure is still worth seeing
  if (sections.length) console.log(renderTable(sections, skipped, machine))
  // after a signal, the cleanup running meanwhile makes the case fail: that is not news
  if (interrupted) log('interrupted')
  else console.error(`bench: failed: ${(error as Error).stack ?? String(error)}`)
} finally {
  if (!interrupted) {
    log('cleaning up')
    await left.cleanup()
  }
}
process.exitCode = code
