/**
 * The state-aware dry-run (issue 12): `start --dry-run` of svc2 and of the tutorial's
 * seven-container service (docs/tutorial.md's busybox: a database and six busybox:date in
 * two subsets), both up and in sync, each against the cold `print status` of the same
 * service, interleaved in rotating order, a fresh `node bin/run.js` per run. Goal: within 1.2x
 * (the dry-run's probes are status's one picture of the service, plus the planning).
 */
import fs from 'node:fs'
import path from 'node:path'
import {type Leftovers, REPO} from './engine.js'
import {fmtMs, median, type Section, timeOk, timeProcess} from './lib.js'

const BIN = path.join(REPO, 'bin/run.js')
const NODE = process.execPath

interface Ctx {
  readonly left: Leftovers
  readonly log: (s: string) => void
  readonly runs: number
  readonly warmup: number
}

function svc2Config(): string {
  const seed = JSON.parse(fs.readFileSync(path.join(REPO, 'test/fixtures/svc2.json'), 'utf8')) as Record<
    string,
    unknown
  >
  for (const k of Object.keys(seed)) if (k.startsWith('ip#')) delete seed[k]
  return JSON.stringify(seed)
}

/** docs/tutorial.md's busybox service: container#1 (redis, 00database), 4 parallel appservers, 2 sequential webservers. */
function sevenConfig(): string {
  const c = (n: number, image: string, subset: string) =>
    `[container#${n}]\ntype = docker\nimage = ${image}\nsubset = ${subset}\n`
  return [
    '[DEFAULT]\napp = OSVCLAB\nenv = DEV\n',
    c(1, 'redis:latest', '00database'),
    ...[2, 3, 4, 5].map(n => c(n, 'opensvc/busybox:date', '01appservers')),
    '[subset#container.docker:01appservers]\nparallel = true\n',
    ...[6, 7].map(n => c(n, 'opensvc/busybox:date', '02webservers')),
    '[subset#container.docker:02webservers]\nparallel = false\n',
  ].join('\n')
}

export async function planObservedSection(ctx: Ctx): Promise<Section> {
  const root = ctx.left.tempDir('planobs')
  const env = {...process.env, SVCMGR_ROOT: root, SVCMGR_NODENAME: 'deb1'}
  const opts = {env, stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe']}
  const services = {
    svc2: {name: ctx.left.service(`bench${process.pid}pobs2`), config: svc2Config(), count: 3},
    seven: {name: ctx.left.service(`bench${process.pid}pobs7`), config: sevenConfig(), count: 7},
  }
  for (const s of Object.values(services)) {
    ctx.log(`plan observed: creating ${s.name} (${s.count} containers) and starting it`)
    timeOk(`create ${s.name}`, NODE, [BIN, '-s', s.name, 'create', '--config=-', '--provision', '--local'], {
      env,
      input: s.config,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const plan = timeProcess(NODE, [BIN, '-s', s.name, 'start', '--dry-run', '--format', 'json'], opts)
    const tasks = (JSON.parse(plan.stdout) as {tasks: {change: string}[]}).tasks
    if (tasks.length !== s.count || tasks.some(t => t.change !== 'none'))
      throw new Error(`plan observed: ${s.name}: expected ${s.count} tasks planned none, got ${plan.stdout}`)
  }
  const fns: Record<string, () => number> = {}
  for (const [k, s] of Object.entries(services)) {
    fns[`${k} status`] = () => timeOk('print status', NODE, [BIN, '-s', s.name, 'print', 'status'], opts)
    fns[`${k} dry-run`] = () => timeOk('start --dry-run', NODE, [BIN, '-s', s.name, 'start', '--dry-run'], opts)
  }
  const names = Object.keys(fns)
  const samples: Record<string, number[]> = Object.fromEntries(names.map(n => [n, []]))
  for (let i = 0; i < ctx.warmup + ctx.runs; i++) {
    const round: string[] = []
    for (const n of names.map((_, k) => names[(k + i) % names.length])) {
      const ms = fns[n]()
      if (i >= ctx.warmup) {
        samples[n].push(ms)
        round.push(`${n}=${fmtMs(ms)}`)
      }
    }
    ctx.log(`plan observed: ${i < ctx.warmup ? `warm-up ${i + 1}` : `run ${i + 1 - ctx.warmup}: ${round.join(' ')}`}`)
  }
  const m = (k: string) => median(samples[k])
  return {
    title: 'state-aware dry-run',
    rows: [
      {
        case: 'start --dry-run, observed (svc2)',
        median: m('svc2 dry-run'),
        baseline: 'print status cold (svc2)',
        baselineMedian: m('svc2 status'),
        maxRatio: 1.2,
        runs: ctx.runs,
      },
      {
        case: 'start --dry-run, observed (7 containers)',
        median: m('seven dry-run'),
        baseline: 'print status cold (7 containers)',
        baselineMedian: m('seven status'),
        maxRatio: 1.2,
        runs: ctx.runs,
      },
    ],
    notes: [
      `both services up and in sync (every task planned none); wall time of a fresh process, spawn to exit, medians of ${ctx.runs} runs after ${ctx.warmup} warm-up(s), the four commands interleaved in rotating order. Both take the lean path without oclif (src/cli/lean-status.ts, lean-action.ts); the dry-run observes with the same one-picture container requests as status, then plans.`,
    ],
  }
}
