/**
 * Case readiness (issue 13): the whole svcmgr CLI against the engine.
 *  - detection latency: a container that starts listening 1 s + a random part of an interval
 *    after its start (its log line
 *    "listening", timed by the engine, just before `nc -l`), from that line to svcmgr's
 *    "ready: tcp:6379" event, against the probe interval (readiness_interval, 250 ms default);
 *  - start → ready of a container ready at once (the redis stand-in listens immediately): from
 *    the engine's StartedAt to svcmgr's "ready" event, against one probe (the docker driver's tcp probe of
 *    that container's namespace, in process): the first probe runs right after the start;
 *  - the seven-container orchestration (00database, 01appservers parallel x4, 02webservers x2)
 *    started with `readiness_probe = tcp:6379` on every member, against the same service
 *    without probes; both timed spawn to exit, interleaved, containers stopped between runs.
 */
import fs from 'node:fs'
import path from 'node:path'
import type Dockerode from 'dockerode'
import {registration} from '../plugins/docker/src/hooks/drivers.js'
import {compileConfig, createDriverContext, EventCollector} from '../src/testing/harness.js'
import {ensureEngine, type Leftovers, REPO} from './engine.js'
import {envInt, fmtMs, median, type Section, timeOk, timeProcess} from './lib.js'

const BIN = path.join(REPO, 'bin/run.js')
const NODE = process.execPath
const INTERVAL_MS = 250
const READY_AT_ONCE_SLACK_MS = 100

interface Ctx {
  readonly left: Leftovers
  readonly log: (s: string) => void
  readonly runs: number
  readonly warmup: number
}

function cli(ctx: Ctx) {
  const env = {...process.env, SVCMGR_ROOT: ctx.left.tempDir('readiness'), SVCMGR_NODENAME: 'deb1'}
  const opts = (input?: string) => ({
    env,
    input,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] as const,
  })
  return {
    ok: (svc: string, words: string[], input?: string) =>
      timeOk(`svcmgr -s ${svc} ${words.join(' ')}`, NODE, [BIN, '-s', svc, ...words], {
        ...opts(input),
        stdio: [...opts(input).stdio],
      }),
    /** `start --format json`: its events (svcmgr's own times). */
    startEvents(svc: string): Array<{rid?: string; message: string; time: string}> {
      const r = timeProcess(NODE, [BIN, '-s', svc, 'start', '--format', 'json'], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      if (r.status !== 0)
        throw new Error(`svcmgr -s ${svc} start exited ${r.status}\n${r.stdout.slice(-2000)}\n${r.stderr}`)
      return (JSON.parse(r.stdout) as {events: Array<{rid?: string; message: string; time: string}>}).events
    },
  }
}

/** An RFC 3339 time with nanoseconds (the engine's) in ms, keeping the sub-ms part. */
function engineMs(stamp: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(stamp)
  if (!m) throw new Error(`not an engine time: ${stamp}`)
  return Date.parse(`${m[1]}Z`) + Number(`0.${m[2] ?? '0'}`) * 1000
}

function readyEventMs(events: Array<{rid?: string; message: string; time: string}>, rid: string): number {
  const e = events.find(x => x.rid === rid && x.message.startsWith('ready: '))
  if (!e) throw new Error(`no ready event of ${rid} in:\n${events.map(x => x.message).join('\n')}`)
  return Date.parse(e.time)
}

async function logLineMs(docker: Dockerode, container: string, text: string): Promise<number> {
  const raw = await docker.getContainer(container).logs({stdout: true, stderr: true, timestamps: true, follow: false})
  let out = ''
  for (let off = 0; off + 8 <= raw.length;) {
    const size = raw.readUInt32BE(off + 4)
    out += raw.subarray(off + 8, off + 8 + size).toString('utf8')
    off += 8 + size
  }
  // the last one: a stopped container started again keeps the log of its earlier runs
  const line = out
    .split('\n')
    .filter(l => l.endsWith(` ${text}`))
    .at(-1)
  if (!line) throw new Error(`no "${text}" line in the log of ${container}:\n${out}`)
  return engineMs(line.split(' ')[0])
}

const sh = (n: number, script: string, extra: string[]) =>
  [
    `[container#${n}]`,
    'type = docker',
    'image = opensvc/busybox:date',
    'run_args = --entrypoint sh',
    `run_command = -c ${JSON.stringify(`trap 'exit 0' TERM INT; ${script}`)}`,
    ...extra,
  ].join('\n')

function sevenConfig(probe: boolean): string {
  const c = (n: number, subset: string) =>
    `[container#${n}]\ntype = docker\nimage = redis:latest\nsubset = ${subset}\n${probe ? 'readiness_probe = tcp:6379\n' : ''}`
  return [
    c(1, '00database'),
    ...[2, 3, 4, 5].map(n => c(n, '01appservers')),
    '[subset#container.docker:01appservers]\nparallel = true\n',
    c(6, '02webservers'),
    c(7, '02webservers'),
  ].join('\n')
}

export async function readinessSection(ctx: Ctx): Promise<Section> {
  const docker = await ctx.left.docker()
  const run = cli(ctx)
  const pid = process.pid
  const rows: Section['rows'] = []

  // --- detection latency: listening (engine's log time) → svcmgr's ready event
  const late = ctx.left.service(`rdyf${pid}late`)
  run.ok(
    late,
    ['create', '--config=-'],
    sh(
      1,
      `sleep 1; usleep $(( (RANDOM % ${INTERVAL_MS}) * 1000 )); echo listening; nc -ll -p 6379 -e true & while :; do sleep 1 & wait $!; done`,
      [`readiness_probe = tcp:6379`, `readiness_interval = ${INTERVAL_MS}ms`],
    ),
  )
  // --- ready at once: StartedAt → ready event; and one probe in that container's namespace
  const now = ctx.left.service(`rdyf${pid}now`)
  run.ok(
    now,
    ['create', '--config=-'],
    '[container#1]\ntype = docker\nimage = redis:latest\nreadiness_probe = tcp:6379\n',
  )
  const latency: number[] = []
  const atOnce: number[] = []
  for (let i = 0; i < ctx.warmup + ctx.runs; i++) {
    const ev = run.startEvents(late)
    const l = readyEventMs(ev, 'container#1') - (await logLineMs(docker, `${late}.container.1`, 'listening'))
    run.ok(late, ['stop'])
    const ev2 = run.startEvents(now)
    const info = await docker.getContainer(`${now}.container.1`).inspect()
    const s = readyEventMs(ev2, 'container#1') - engineMs(info.State.StartedAt)
    if (i >= ctx.warmup) {
      latency.push(l)
      atOnce.push(s)
    }
    ctx.log(
      `readiness: ${i < ctx.warmup ? 'warm-up' : `run ${i + 1 - ctx.warmup}/${ctx.runs}`}: listening→ready ${fmtMs(l)}, started→ready ${fmtMs(s)}`,
    )
    if (i < ctx.warmup + ctx.runs - 1) run.ok(now, ['stop'])
  }
  // one probe, as svcmgr runs it: the docker driver's (an inspect for the pid, the namespace's
  // listening sockets, then a connect with nsenter), in process
  const service = compileConfig(
    '[container#1]\ntype = docker\nimage = redis:latest\nreadiness_probe = tcp:6379\n',
    [{plugin: '@svcmgr/plugin-docker', registration}],
    {name: now},
  )
  const resource = service.resource('container#1')!
  const ctxOf = () =>
    createDriverContext(
      {
        service,
        settings: {root: ctx.left.tempDir('probe'), nodename: 'deb1', dockerHost: process.env.DOCKER_HOST},
        sink: new EventCollector(),
        signal: new AbortController().signal,
        cache: new Map(),
      },
      resource,
    )
  const cap = resource.driver.capabilities!.readiness!
  const probeMs: number[] = []
  await cap.probe(ctxOf(), {kind: 'tcp', text: 'tcp:6379', port: 6379}, {timeoutMs: 5000})
  for (let i = 0; i < 9; i++) {
    const c = ctxOf()
    const t0 = performance.now()
    const r = await cap.probe(c, {kind: 'tcp', text: 'tcp:6379', port: 6379}, {timeoutMs: 5000})
    probeMs.push(performance.now() - t0)
    if (!r.ready) throw new Error(`readiness: the probe of a listening redis stand-in says ${r.detail}`)
  }
  run.ok(now, ['stop'])
  const oneProbe = median(probeMs)
  rows.push(
    {
      case: 'readiness: listening → ready event',
      median: median(latency),
      baseline: `readiness_interval ${INTERVAL_MS} ms`,
      baselineMedian: INTERVAL_MS,
      maxRatio: 1,
      runs: ctx.runs,
    },
    {
      case: 'readiness: started → ready (ready at once)',
      median: median(atOnce),
      baseline: "one tcp probe (the driver's)",
      baselineMedian: oneProbe,
      maxRatio: (READY_AT_ONCE_SLACK_MS + oneProbe) / oneProbe,
      targetText: `<= ${READY_AT_ONCE_SLACK_MS} ms + 1 probe`,
      runs: ctx.runs,
    },
  )

  // --- seven containers: tcp probe on every member against the same start without probes
  const probed = ctx.left.service(`rdyf${pid}s7p`)
  const plain = ctx.left.service(`rdyf${pid}s7n`)
  run.ok(probed, ['create', '--config=-'], sevenConfig(true))
  run.ok(plain, ['create', '--config=-'], sevenConfig(false))
  const samples: Record<string, number[]> = {probed: [], plain: []}
  const runs7 = envInt('BENCH_RUNS', 5)
  for (let i = 0; i < ctx.warmup + runs7; i++) {
    const order = i % 2 ? (['plain', 'probed'] as const) : (['probed', 'plain'] as const)
    const round: string[] = []
    for (const k of order) {
      const svc = k === 'probed' ? probed : plain
      const ms = run.ok(svc, ['start'])
      run.ok(svc, ['stop'])
      if (i >= ctx.warmup) samples[k].push(ms)
      round.push(`${k}=${fmtMs(ms)}`)
    }
    ctx.log(
      `readiness: seven: ${i < ctx.warmup ? 'warm-up' : `run ${i + 1 - ctx.warmup}/${runs7}`}: ${round.join(' ')}`,
    )
  }
  rows.push({
    case: 'start 7 (tcp probe on each)',
    median: median(samples.probed),
    baseline: 'start 7 without probes',
    baselineMedian: median(samples.plain),
    runs: runs7,
  })
  return {
    title: 'readiness',
    rows,
    notes: [
      `listening → ready: a busybox container logging "listening" (the engine's log time) 1 s plus a random 0-${INTERVAL_MS} ms after its start (so the listening falls at any phase of the probing), just before \`nc -l\`, to svcmgr's "ready: tcp:6379" event (svcmgr's clock: the same host's, ms resolution); the probe polls the namespace's listening sockets every ${INTERVAL_MS} ms, so the expected median is about half an interval plus the confirming connect. started → ready: the redis stand-in (listening at once) from the engine's StartedAt to the ready event, against the median of 9 in-process probes of it by the docker driver, each with a fresh context as a command has (an inspect for the pid, the listening-socket lookup, the \`nsenter --net\` bash connect: ${fmtMs(oneProbe)}). ${ctx.runs} runs after ${ctx.warmup} warm-up(s).`,
      `start 7: the seed's complex orchestration (00database, 01appservers parallel x4, 02webservers sequential x2) of redis stand-ins, each with readiness_probe = tcp:6379 (ready at once), against the same seven without readiness_probe (the driver still checks for an image HEALTHCHECK: one inspect each); whole processes timed spawn to exit, alternating order, stopped between runs; medians of ${runs7}. (info: the cost of the gates)`,
    ],
  }
}

/** bench/run.ts: the readiness case, with its own engine look-up (idempotent). */
export async function readinessCase(
  left: Leftovers,
  log: (s: string) => void,
  sections: Section[],
  skipped: string[],
): Promise<void> {
  const engine = await ensureEngine(log)
  if ('skip' in engine) return void skipped.push(`readiness: ${engine.skip}`)
  if (!fs.existsSync(path.join(REPO, 'dist/cli/argv.js')))
    return void skipped.push('readiness: dist/ is missing: run `npm run build` first')
  left.useEngine(engine.address)
  log('case readiness: detection latency, start → ready, seven containers with and without probes')
  sections.push(await readinessSection({left, log, runs: envInt('BENCH_RUNS', 5), warmup: envInt('BENCH_WARMUP', 1)}))
}
