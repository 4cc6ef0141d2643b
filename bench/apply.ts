/**
 * Case apply: `svcmgr apply --config FILE` of a service in sync with it (the CI steady state:
 * it observes every resource and prints `no changes`), against the cold `print status` of the
 * same service, each a fresh `node bin/run.js`, interleaved.
 */
import fs from 'node:fs'
import path from 'node:path'
import {type Leftovers, REPO} from './engine.js'
import {fmtMs, median, type Section, timeOk, timeProcess} from './lib.js'

interface Ctx {
  readonly left: Leftovers
  readonly log: (s: string) => void
  readonly runs: number
  readonly warmup: number
}

const BIN = path.join(REPO, 'bin/run.js')
const NODE = process.execPath

/** The seed's svc2 without ip#1 (no test LAN needed), as an INI-free JSON config. */
function svc2Config(): string {
  const seed = JSON.parse(fs.readFileSync(path.join(REPO, 'test/fixtures/svc2.json'), 'utf8')) as Record<
    string,
    unknown
  >
  for (const k of Object.keys(seed)) if (k.startsWith('ip#')) delete seed[k]
  return JSON.stringify(seed)
}

export async function applySection(ctx: Ctx): Promise<Section> {
  const name = ctx.left.service(`bench${process.pid}apply`)
  const root = ctx.left.tempDir('apply')
  const env = {...process.env, SVCMGR_ROOT: root, SVCMGR_NODENAME: 'deb1'}
  const file = path.join(root, 'svc2.json')
  fs.writeFileSync(file, svc2Config())
  const opts = {env, stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe']}
  const applyArgs = [BIN, '-s', name, 'apply', '--config', file]
  ctx.log(`apply: creating ${name} (svc2's 3 containers) with apply`)
  timeOk('svcmgr apply (create)', NODE, applyArgs, opts)
  const steady = timeProcess(NODE, applyArgs, opts)
  if (steady.status !== 0 || !steady.stdout.includes('no changes'))
    throw new Error(
      `apply of an in-sync service: expected "no changes", exit 0; got exit ${steady.status}: ${steady.stdout}${steady.stderr}`,
    )

  const fns: Record<string, () => number> = {
    apply: () => timeOk('apply (in sync)', NODE, applyArgs, opts),
    status: () => timeOk('print status', NODE, [BIN, '-s', name, 'print', 'status'], opts),
  }
  const names = Object.keys(fns)
  const samples: Record<string, number[]> = {apply: [], status: []}
  for (let i = 0; i < ctx.warmup + ctx.runs; i++) {
    const round: string[] = []
    for (const n of i % 2 ? [...names].reverse() : names) {
      const ms = fns[n]()
      if (i >= ctx.warmup) {
        samples[n].push(ms)
        round.push(`${n}=${fmtMs(ms)}`)
      }
    }
    ctx.log(
      `apply: ${i < ctx.warmup ? `warm-up ${i + 1}/${ctx.warmup}` : `run ${i + 1 - ctx.warmup}/${ctx.runs}: ${round.join(' ')}`}`,
    )
  }
  await ctx.left.removeServiceContainers(name)
  return {
    title: 'apply (CI steady state)',
    rows: [
      {
        case: 'apply, in sync (svc2: no changes)',
        median: median(samples.apply),
        baseline: 'print status cold (svc2)',
        baselineMedian: median(samples.status),
        maxRatio: 1.5,
        runs: ctx.runs,
      },
    ],
    notes: [
      'apply in sync: read and compile the config, the stored one and their diff, observe every resource (the engine probes a dry-run makes), print `no changes`; no lock, no driver call',
    ],
  }
}
