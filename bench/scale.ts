/**
 * Case `scale`: services of 1,000 and 10,000 sections end to end, the whole CLI (a fresh
 * `node bin/run.js` per run, the INI on disk): create, validate config, start --dry-run
 * --format json, print status with the containers absent, then with them present (created on
 * the engine, not started, with the very create request and labels svcmgr's docker driver
 * sends, so they count as owned), and the peak RSS of `print status` on the 10,000-container
 * service. Each 10,000 figure is held to 1 s and to 11x the 1,000 figure (issue 11, target 2
 * and 5). Every container it makes is removed at the end, also on failure or SIGINT (Leftovers).
 *
 *   BENCH_SCALE_HOLD    a file: with the containers present, wait until it is removed (it
 *                       says how to run the status by hand, for a profile)
 *   BENCH_SCALE_SIZES   comma list of section counts (default 1000,10000; the last is the big one)
 *   BENCH_SCALE_PARALLEL  engine requests in flight while creating/removing containers (default 16)
 *   BENCH_SCALE_BEFORE  bin/run.js of another built checkout (the code before a change): each
 *                       command also runs with it, interleaved, on the same services, and
 *                       informational rows show its 10,000 figures against these
 */
import {spawnSync, type SpawnSyncOptions} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {containerSpec, createOptions} from '../plugins/docker/src/drivers/spec.js'
import type {CliCtx} from './cli-cases.js'
import {compiledDockerKeywords, REPO} from './engine.js'
import {fmtMs, median, type Row, type Section, timeOk} from './lib.js'

const BIN = path.join(REPO, 'bin/run.js')
const BARE_LIST_HTTP = path.join(REPO, 'bench/bare-list-http.mjs')
/** What the engine alone takes to list a service's containers: the floor of print status with them present. */
const BARE_LIST = 'bare node:http list, containers present'
const NODE = process.execPath
const IMAGE = 'google/pause'
const BUDGET_MS = 1000
const MAX_GROWTH = 11
const RSS_BUDGET_MB = 200
/** Each engine request of the setup has its own deadline: a stalled engine fails the case, it does not hang it. */
const ENGINE_CALL_TIMEOUT_MS = 60_000

function sizes(): number[] {
  const given = (process.env.BENCH_SCALE_SIZES ?? '1000,10000')
    .split(',')
    .map(s => Number.parseInt(s.trim(), 10))
    .filter(n => Number.isFinite(n) && n > 0)
  return given.length >= 2 ? given : [1000, 10_000]
}

const serviceId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`

/**
 * The config of `n` sections: DEFAULT, two subset sections, and n-3 container.docker sections
 * (container#1..): every third in a parallel subset, every third in a sequential one, the rest
 * in none. Names and ids are fixed so the bench can create the containers svcmgr would.
 */
function scaleConfig(n: number): {text: string; containers: number} {
  const containers = n - 3
  const out = [
    `[DEFAULT]\nid = ${serviceId(n)}\n`,
    '[subset#container.docker:01par]\nparallel = true\n',
    '[subset#container.docker:02seq]\nparallel = false\n',
  ]
  for (let i = 1; i <= containers; i++) {
    const subset = i % 3 === 1 ? 'subset = 01par\n' : i % 3 === 2 ? 'subset = 02seq\n' : ''
    out.push(`[container#${i}]\ntype = docker\nimage = ${IMAGE}\nrun_command = sleep 1000\n${subset}`)
  }
  return {text: out.join('\n'), containers}
}

/** What the docker driver compiles each section's keywords to (its defaults). */
const KW = compiledDockerKeywords(IMAGE, ['sleep', '1000'])

function withDeadline<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what}: no answer after ${ENGINE_CALL_TIMEOUT_MS / 1000}s`)),
        ENGINE_CALL_TIMEOUT_MS,
      )
    }),
  ]).finally(() => clearTimeout(timer))
}

/** Runs `work(i)` for i in [0, count) with at most `parallel` in flight; stops starting new ones once the bench is cleaning up. */
async function pool(count: number, parallel: number, ctx: CliCtx, label: string, work: (i: number) => Promise<void>) {
  let next = 0
  let done = 0
  const t0 = performance.now()
  const worker = async () => {
    while (next < count && !ctx.left.closing) {
      const i = next++
      await work(i)
      if (++done % 2000 === 0 || done === count)
        ctx.log(`scale: ${label}: ${done}/${count} (${((performance.now() - t0) / 1000).toFixed(0)} s)`)
    }
  }
  await Promise.all(Array.from({length: Math.min(parallel, count)}, worker))
  if (ctx.left.closing) throw new Error(`scale: ${label}: interrupted`)
}

/** Peak RSS (MB) of one run: GNU time's %M when /usr/bin/time exists, else VmHWM read by the process itself at exit. */
function peakRssMb(args: string[], options: SpawnSyncOptions): {mb: number; how: string} {
  if (fs.existsSync('/usr/bin/time')) {
    const r = spawnSync('/usr/bin/time', ['-f', 'peak-rss-kb %M', NODE, ...args], {
      ...options,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 180_000,
    })
    const m = /peak-rss-kb (\d+)\s*$/.exec(String(r.stderr ?? ''))
    if (r.status !== 0 || !m) throw new Error(`/usr/bin/time node ${args.join(' ')}: exit ${r.status}: ${r.stderr}`)
    return {mb: Number(m[1]) / 1024, how: '/usr/bin/time %M'}
  }
  const hook = `process.on('exit',()=>{const m=/VmHWM:\\s*(\\d+)/.exec(require('fs').readFileSync('/proc/self/status','utf8'));process.stderr.write('\\npeak-rss-kb '+(m?m[1]:'?')+'\\n')})`
  const r = spawnSync(NODE, ['--require', `data:text/javascript,${encodeURIComponent(hook)}`, ...args], {
    ...options,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 180_000,
  })
  const m = /peak-rss-kb (\d+)\s*$/.exec(String(r.stderr ?? ''))
  if (r.status !== 0 || !m) throw new Error(`node ${args.join(' ')} (VmHWM): exit ${r.status}: ${r.stderr}`)
  return {mb: Number(m[1]) / 1024, how: 'VmHWM of /proc/self/status at exit'}
}

export async function scaleSection(ctx: CliCtx): Promise<Section> {
  const [small, big] = [sizes()[0], sizes().at(-1)!]
  const parallel = Number.parseInt(process.env.BENCH_SCALE_PARALLEL ?? '', 10) || 16
  const root = ctx.left.tempDir('scale')
  const env = {...process.env, SVCMGR_ROOT: root, SVCMGR_NODENAME: 'deb1'}
  const opts: SpawnSyncOptions = {env, stdio: ['ignore', 'pipe', 'pipe']}
  const pid = process.pid
  const svc = (n: number) => ctx.left.service(`bench${pid}scale${n}`)
  const files: Record<number, string> = {}
  const counts: Record<number, number> = {}
  for (const n of [small, big]) {
    const {text, containers} = scaleConfig(n)
    files[n] = path.join(root, `scale${n}.conf`)
    counts[n] = containers
    fs.writeFileSync(files[n], text)
  }
  const before = process.env.BENCH_SCALE_BEFORE
  if (before && !fs.existsSync(before)) throw new Error(`BENCH_SCALE_BEFORE: no ${before}`)
  const bins: Record<string, string> = {after: BIN, ...(before ? {before} : {})}
  const cli = (n: number, words: string[], name = svc(n), bin = BIN) => [bin, '-s', name, ...words]
  const run = (label: string, args: string[]) => timeOk(label, NODE, args, opts)

  // the services the other commands read, made once
  for (const n of [small, big]) run(`create ${n}`, cli(n, ['create', '--config', files[n]]))
  const statusOf = (n: number) => {
    const r = spawnSync(NODE, cli(n, ['print', 'status', '--format', 'json']), {
      ...opts,
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    })
    if (r.status !== 0) throw new Error(`print status ${n}: exit ${r.status}: ${r.stderr}`)
    return JSON.parse(r.stdout) as {resources: Record<string, {status: string; provisioned?: boolean}>}
  }
  // containers absent: every resource down, not provisioned (an engine that does not answer would say warn)
  for (const n of [small, big]) {
    const res = Object.values(statusOf(n).resources)
    if (res.length !== counts[n] || res.some(r => r.status !== 'down' || r.provisioned !== false))
      throw new Error(
        `scale: print status of ${svc(n)} before its containers exist: expected ${counts[n]} resources down and not provisioned`,
      )
  }

  let createRun = 0
  type Command = (n: number, bin: string) => number
  const commands: Record<string, Command> = {
    create: (n, bin) =>
      run(`create ${n}`, cli(n, ['create', '--config', files[n]], `bench${pid}scale${n}c${++createRun}`, bin)),
    'validate config': (n, bin) => run(`validate ${n}`, cli(n, ['validate', 'config'], svc(n), bin)),
    'start --dry-run --format json': (n, bin) =>
      run(`dry-run ${n}`, cli(n, ['start', '--dry-run', '--format', 'json'], svc(n), bin)),
    'print status, containers absent': (n, bin) => run(`print status ${n}`, cli(n, ['print', 'status'], svc(n), bin)),
  }
  // samples[which][command][size]: which is "after" (this checkout) or "before" (BENCH_SCALE_BEFORE)
  const samples: Record<string, Record<string, Record<number, number[]>>> = {after: {}, before: {}}
  const measure = (names: string[]) => {
    for (const which of Object.keys(bins)) for (const name of names) samples[which][name] = {[small]: [], [big]: []}
    for (let i = 0; i < ctx.warmup + ctx.runs; i++) {
      const round: string[] = []
      // sizes alternate which goes first, and so do before/after; commands rotate
      for (let k = 0; k < names.length; k++) {
        const name = names[(k + i) % names.length]
        for (const n of i % 2 ? [big, small] : [small, big])
          for (const which of i % 2 ? Object.keys(bins).reverse() : Object.keys(bins)) {
            const ms = commands[name](n, bins[which])
            if (i >= ctx.warmup) {
              samples[which][name][n].push(ms)
              round.push(`${name}@${n}${which === 'before' ? ' (before)' : ''}=${fmtMs(ms)}`)
            }
          }
      }
      ctx.log(
        `scale: ${i < ctx.warmup ? `warm-up ${i + 1}/${ctx.warmup}` : `run ${i + 1 - ctx.warmup}/${ctx.runs}: ${round.join(' ')}`}`,
      )
    }
  }
  measure(Object.keys(commands))
  // the create runs' services are not needed any more (no containers: create does not provision)
  for (const f of fs.readdirSync(path.join(root, 'etc')))
    if (/scale\d+c\d+\.conf$/.test(f)) fs.rmSync(path.join(root, 'etc', f))

  // containers present: the create request of svcmgr's docker driver (spec.ts), labels and all
  const docker = await ctx.left.docker()
  const cgroupDriver = ((await withDeadline('docker info', docker.info())) as {CgroupDriver?: string}).CgroupDriver
  const imageId = await withDeadline(
    `docker image inspect ${IMAGE}`,
    docker
      .getImage(IMAGE)
      .inspect()
      .then(
        i => i.Id,
        () => undefined,
      ),
  )
  if (!imageId) throw new Error(`scale: the engine has no ${IMAGE} image (the containers are created, not pulled)`)
  const total = counts[small] + counts[big]
  ctx.log(`scale: creating ${total} containers (${parallel} requests in flight); removing them takes about as long`)
  const tCreate = performance.now()
  const plan = [small, big].flatMap(n => Array.from({length: counts[n]}, (_, i) => ({n, index: i + 1})))
  // tracked: a cleanup (SIGINT) waits for the requests in flight, then removes what they made
  await ctx.left.track(
    pool(plan.length, parallel, ctx, 'docker create', async i => {
      const {n, index} = plan[i]
      const spec = containerSpec(
        {rid: `container#${index}`, index: String(index), kw: KW},
        {name: svc(n), id: serviceId(n)},
        cgroupDriver,
      )
      await withDeadline(`docker create ${spec.name}`, docker.createContainer(createOptions(spec, imageId)))
    }),
  )
  const createSecs = (performance.now() - tCreate) / 1000
  for (const n of [small, big]) {
    const res = Object.values(statusOf(n).resources)
    if (res.length !== counts[n] || res.some(r => r.status !== 'down' || r.provisioned !== true))
      throw new Error(
        `scale: print status of ${svc(n)} after creating its containers: expected ${counts[n]} resources down and provisioned`,
      )
  }
  const hold = process.env.BENCH_SCALE_HOLD
  if (hold) {
    // for profiling by hand: the services and their containers stay until the file is removed
    fs.writeFileSync(hold, `SVCMGR_ROOT=${root} SVCMGR_NODENAME=deb1 svcmgr -s ${svc(big)} print status\n`)
    ctx.log(`scale: holding with the containers present until ${hold} is removed`)
    while (fs.existsSync(hold)) await new Promise(r => setTimeout(r, 500))
  }
  commands['print status, containers present'] = (n, bin) =>
    run(`print status ${n} (present)`, cli(n, ['print', 'status'], svc(n), bin))
  // bin unused: the same script for before and after
  commands[BARE_LIST] = n => run(`bare list ${n}`, [BARE_LIST_HTTP, svc(n)])
  measure(['print status, containers present', BARE_LIST])
  const rss = [1, 2, 3].map(() => peakRssMb(cli(big, ['print', 'status']), opts))
  const rssBefore = before ? [1, 2, 3].map(() => peakRssMb(cli(big, ['print', 'status'], svc(big), before), opts)) : []

  ctx.log(`scale: removing the ${total} containers`)
  const tRemove = performance.now()
  await ctx.left.removeServiceContainers(svc(small), svc(big))
  const removeSecs = (performance.now() - tRemove) / 1000

  const fmtN = (n: number) => n.toLocaleString('en-US')
  const rows: Row[] = []
  for (const [name, byN] of Object.entries(samples.after)) {
    if (name === BARE_LIST) continue
    const m = median(byN[big])
    rows.push(
      {
        case: `${name} (${fmtN(big)})`,
        median: m,
        baseline: `${BUDGET_MS / 1000} s budget`,
        baselineMedian: BUDGET_MS,
        maxRatio: 1,
        runs: ctx.runs,
      },
      {
        case: `${name} (${fmtN(big)})`,
        median: m,
        baseline: `same, ${fmtN(small)} sections`,
        baselineMedian: median(byN[small]),
        maxRatio: MAX_GROWTH,
        runs: ctx.runs,
      },
    )
    if (before)
      rows.push({
        case: `  before: ${name} (${fmtN(big)})`,
        median: median(samples.before[name][big]),
        baseline: 'after',
        baselineMedian: m,
        runs: ctx.runs,
      })
  }
  rows.push({
    case: `  print status, containers present (${fmtN(big)})`,
    median: median(samples.after['print status, containers present'][big]),
    baseline: 'bare node:http list of them',
    baselineMedian: median(samples.after[BARE_LIST][big]),
    runs: ctx.runs,
  })
  const rssMb = median(rss.map(r => r.mb))
  rows.push({
    case: `print status peak RSS (${fmtN(counts[big])} containers)`,
    median: rssMb,
    baseline: `${RSS_BUDGET_MB} MB budget`,
    baselineMedian: RSS_BUDGET_MB,
    maxRatio: 1,
    runs: rss.length,
    unit: 'MB',
  })
  if (before)
    rows.push({
      case: `  before: print status peak RSS`,
      median: median(rssBefore.map(r => r.mb)),
      baseline: 'after',
      baselineMedian: rssMb,
      runs: rssBefore.length,
      unit: 'MB',
    })
  return {
    title: 'scale',
    rows,
    notes: [
      `${fmtN(small)} and ${fmtN(big)} sections: DEFAULT, two subset sections (one parallel), and container.docker sections (${IMAGE}, run_command = sleep 1000; a third in the parallel subset, a third in a sequential one, a third in none); the INI on disk in a temp SVCMGR_ROOT, a fresh \`node bin/run.js\` per run, wall time spawn to exit; medians of ${ctx.runs} runs after ${ctx.warmup} warm-up(s), sizes alternating and commands rotating. create makes a new service each run (no --provision).`,
      `containers present: ${fmtN(total)} containers created (not started) with the docker driver's create request and labels (spec.ts), ${parallel} requests in flight: ${createSecs.toFixed(0)} s to create, ${removeSecs.toFixed(0)} s to remove; every resource checked down and provisioned before timing. The bare node:http list (bench/bare-list-http.mjs, interleaved with print status) is one GET /containers/json with the service's label filter, a line per container: what the engine takes to answer, before svcmgr does anything with it. Peak RSS: median of ${rss.length} runs of \`print status\` on the ${fmtN(counts[big])}-container service (${rss[0].how}).`,
      ...(before
        ? [
            `before: the same commands with BENCH_SCALE_BEFORE=${before} on the same services and containers, interleaved with this checkout's runs; its rows are informational (ratio = before / after).`,
          ]
        : []),
    ],
  }
}
