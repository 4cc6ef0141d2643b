/**
 * Case agent (issue 14): the node agent (`svcmgr daemon start`, a real background agent).
 *  - a container of a started service with `restart` set is killed (`docker kill`): from the
 *    engine's `die` event to the agent's restart begin (its first line about the restart in the
 *    service log) and to the engine's `start` event (up again), against a bare `docker start` of
 *    the same container (the docker CLI, spawn to exit; the service frozen meanwhile, so the agent
 *    leaves it alone), interleaved;
 *  - the agent idle over BENCH_AGENT_IDLE_S (60 s) watching 20 started services: its CPU time
 *    (utime+stime from /proc) and resident memory (VmRSS, sampled every second), against an idle
 *    `node` process measured over the same seconds.
 */
import {spawn, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import type Dockerode from 'dockerode'
import {ensureEngine, type Leftovers, REPO} from './engine.js'
import {envInt, fmtMs, median, type Section, timeOk, timeProcess} from './lib.js'

const BIN = path.join(REPO, 'bin/run.js')
const NODE = process.execPath
const IMAGE = 'google/pause'
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).stdout.trim()) || 100
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

interface Ctx {
  readonly left: Leftovers
  readonly log: (s: string) => void
  readonly runs: number
  readonly warmup: number
}

class Cli {
  readonly root: string
  readonly env: NodeJS.ProcessEnv
  constructor(left: Leftovers, label: string) {
    this.root = left.tempDir(label)
    this.env = {...process.env, SVCMGR_ROOT: this.root, SVCMGR_NODENAME: 'deb1'}
  }
  ok(words: string[], input?: string): number {
    return timeOk(`svcmgr ${words.join(' ')}`, NODE, [BIN, ...words], {
      env: this.env,
      input,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    })
  }
  json(words: string[]): any {
    const r = timeProcess(NODE, [BIN, ...words, '--format', 'json'], {env: this.env, stdio: ['ignore', 'pipe', 'pipe']})
    if (r.status !== 0) throw new Error(`svcmgr ${words.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`)
    return JSON.parse(r.stdout)
  }
  agentPid(): number | undefined {
    const pid = Number(/\d+/.exec(this.readOr(path.join(this.root, 'agent/agent.pid')))?.[0])
    return pid > 0 ? pid : undefined
  }
  private readOr(file: string): string {
    try {
      return fs.readFileSync(file, 'utf8')
    } catch {
      return ''
    }
  }
  /** Stops the agent if one runs (also at cleanup after a failure). */
  stopAgent(): void {
    spawnSync(NODE, [BIN, 'daemon', 'stop', '--timeout', '30s'], {env: this.env, stdio: 'ignore', timeout: 60_000})
  }
}

/** The engine's events of one container, as they come (die, start, ...) with the engine's time in ms. */
async function watchEvents(
  docker: Dockerode,
  name: string,
): Promise<{events: Array<{action: string; ms: number}>; close: () => void}> {
  const stream = (await docker.getEvents({
    filters: {type: ['container'], container: [name]},
  })) as NodeJS.ReadableStream & {
    destroy(): void
  }
  const events: Array<{action: string; ms: number}> = []
  let buf = ''
  stream.on('data', (d: Buffer) => {
    buf += d.toString()
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      const line = buf.slice(0, i)
      buf = buf.slice(i + 1)
      if (!line.trim()) continue
      const e = JSON.parse(line) as {Action?: string; status?: string; timeNano: number}
      events.push({action: e.Action ?? e.status ?? '', ms: e.timeNano / 1e6})
    }
  })
  return {events, close: () => stream.destroy()}
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = probe()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`agent bench: ${what} did not happen within ${timeoutMs / 1000}s`)
    await sleep(20)
  }
}

/** The time (ms) of the first line of the service log at or after `afterMs` where the agent's restart of `rid` begins. */
function restartBeginMs(logFile: string, rid: string, afterMs: number): number | undefined {
  let text: string
  try {
    text = fs.readFileSync(logFile, 'utf8')
  } catch {
    return undefined
  }
  for (const line of text.split('\n')) {
    const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d{3}) /.exec(line)
    if (!m) continue
    const ms = Date.parse(`${m[1]}T${m[2]}Z`)
    // the log has ms resolution, the engine ns: a line in the same ms as the die counts
    if (ms + 1 < afterMs) continue
    // the agent's action line: "restart begins (N task(s), --rid container#1)"
    if (/ agent /.test(line) && line.includes('restart begins') && line.includes(`--rid ${rid}`)) return ms
  }
  return undefined
}

function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(f[11]) + Number(f[12])
}

function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

export async function agentSection(ctx: Ctx): Promise<Section> {
  const docker = await ctx.left.docker()
  const rows: Section['rows'] = []
  const notes: string[] = []
  const pid = process.pid

  // --- die → restart begin → up, against a bare docker start
  const cli = new Cli(ctx.left, 'agent')
  const svc = ctx.left.service(`acb${pid}r`)
  const name = `${svc}.container.1`
  try {
    cli.ok(
      ['-s', svc, 'create', '--config=-'],
      `[container#1]\ntype = docker\nimage = ${IMAGE}\nrestart = 1000\nrestart_delay = 0s\nmonitor = true\n`,
    )
    cli.ok(['-s', svc, 'start'])
    cli.ok(['daemon', 'start'])
    await waitFor('the agent watching the service', () =>
      (cli.json(['daemon', 'status']).watched as string[]).includes(svc) ? true : undefined,
    )
    const watch = await watchEvents(docker, name)
    const logFile = path.join(cli.root, 'log', `${svc}.log`)
    const begin: number[] = []
    const up: number[] = []
    const bare: number[] = []
    try {
      for (let i = 0; i < ctx.warmup + ctx.runs; i++) {
        const measured = i >= ctx.warmup
        // the agent's restart
        const seen = watch.events.length
        await docker.getContainer(name).kill()
        const die = await waitFor('the die event', () => watch.events.slice(seen).find(e => e.action === 'die'))
        const started = await waitFor('the restart (start event)', () =>
          watch.events.slice(seen).find(e => e.action === 'start' && e.ms >= die.ms),
        )
        const b = await waitFor('the restart line in the service log', () =>
          restartBeginMs(logFile, 'container#1', die.ms),
        )
        // the agent's action ends (its lock released) before the next round
        await waitFor('the agent action to end', () =>
          fs.existsSync(path.join(cli.root, 'var', svc, 'lock')) ? undefined : true,
        )
        // the bare start, the agent kept away by the frozen flag
        cli.ok(['-s', svc, 'freeze'])
        await docker.getContainer(name).kill()
        const downBy = Date.now() + 30_000
        while ((await docker.getContainer(name).inspect()).State.Running) {
          if (Date.now() > downBy) throw new Error(`agent bench: ${name} still runs 30s after a kill`)
          await sleep(20)
        }
        const ms = timeOk(`docker start ${name}`, 'docker', ['start', name], {stdio: ['ignore', 'pipe', 'pipe']})
        cli.ok(['-s', svc, 'thaw'])
        if (measured) {
          begin.push(b - die.ms)
          up.push(started.ms - die.ms)
          bare.push(ms)
        }
        ctx.log(
          `agent: ${measured ? `run ${i + 1 - ctx.warmup}/${ctx.runs}` : 'warm-up'}: die→restart begin ${fmtMs(b - die.ms)}, die→up ${fmtMs(started.ms - die.ms)}, bare docker start ${fmtMs(ms)}`,
        )
      }
    } finally {
      watch.close()
    }
    rows.push(
      {
        case: 'agent: container die → restart begin',
        median: median(begin),
        baseline: 'bare `docker start` (CLI)',
        baselineMedian: median(bare),
        runs: ctx.runs,
      },
      {
        case: 'agent: container die → up again',
        median: median(up),
        baseline: 'bare `docker start` (CLI)',
        baselineMedian: median(bare),
        runs: ctx.runs,
      },
    )
    notes.push(
      `die → restart: one ${IMAGE} container with restart = 1000, restart_delay = 0s, \`docker kill\`ed while a background agent (\`svcmgr daemon start\`) watches it; from the engine's \`die\` event (its time, ns) to the agent's \`restart begins (..., --rid container#1)\` line in the service log (svcmgr's clock, ms) and to the engine's \`start\` event of the container; against the wall time of \`docker start\` of the same killed container (a fresh docker CLI process; the service frozen meanwhile so the agent leaves it alone). ${ctx.runs} runs after ${ctx.warmup} warm-up(s), interleaved. (info)`,
    )
  } finally {
    cli.stopAgent()
  }

  // --- idle: 20 services watched
  const idleS = envInt('BENCH_AGENT_IDLE_S', 60)
  const idle = new Cli(ctx.left, 'agentidle')
  const services = Array.from({length: 20}, (_, i) => ctx.left.service(`acb${pid}i${i}`))
  const control = spawn(NODE, ['-e', 'setInterval(() => {}, 1000)'], {stdio: 'ignore'})
  try {
    for (const s of services) {
      idle.ok(['-s', s, 'create', '--config=-'], `[container#1]\ntype = docker\nimage = ${IMAGE}\nrestart = 1\n`)
      idle.ok(['-s', s, 'start'])
    }
    idle.ok(['daemon', 'start'])
    const agent = idle.agentPid()!
    await waitFor(
      'the agent watching the 20 services',
      () => ((idle.json(['daemon', 'status']).watched as string[]).length >= services.length ? true : undefined),
      120_000,
    )
    ctx.log(`agent: idle for ${idleS}s watching ${services.length} services (pid ${agent}), against an idle node`)
    const a0 = cpuTicks(agent)
    const c0 = cpuTicks(control.pid!)
    const t0 = performance.now()
    const rssA: number[] = []
    const rssC: number[] = []
    while (performance.now() - t0 < idleS * 1000) {
      await sleep(1000)
      rssA.push(rssMB(agent))
      rssC.push(rssMB(control.pid!))
    }
    const wallS = (performance.now() - t0) / 1000
    const cpuA = ((cpuTicks(agent) - a0) / CLK_TCK) * 1000
    const cpuC = ((cpuTicks(control.pid!) - c0) / CLK_TCK) * 1000
    rows.push(
      {
        case: `agent idle CPU, 20 services, ${idleS} s`,
        median: cpuA,
        baseline: 'idle node, same seconds',
        baselineMedian: Math.max(cpuC, 1000 / CLK_TCK),
        runs: 1,
      },
      {
        case: `agent idle RSS, 20 services`,
        median: median(rssA),
        baseline: 'idle node (RSS)',
        baselineMedian: median(rssC),
        unit: 'MB',
        runs: rssA.length,
      },
    )
    notes.push(
      `idle: 20 services of one ${IMAGE} container each, started, watched by a background agent (monitor_interval default); its CPU time (utime+stime, /proc, ${CLK_TCK} ticks/s) over ${wallS.toFixed(0)} s (${((cpuA / 1000 / wallS) * 100).toFixed(2)}% of a CPU), against a \`node -e 'setInterval(() => {}, 1000)'\` measured over the same seconds (its CPU floored at one tick); RSS: the median of one sample a second (agent max ${Math.max(...rssA).toFixed(0)} MB). BENCH_AGENT_IDLE_S sets the seconds. (info)`,
    )
  } finally {
    control.kill('SIGKILL')
    idle.stopAgent()
  }
  return {title: 'agent', rows, notes}
}

/** bench/run.ts: the agent case, with its own engine look-up (idempotent). */
export async function agentCase(
  left: Leftovers,
  log: (s: string) => void,
  sections: Section[],
  skipped: string[],
): Promise<void> {
  const engine = await ensureEngine(log)
  if ('skip' in engine) return void skipped.push(`agent: ${engine.skip}`)
  if (!fs.existsSync(path.join(REPO, 'dist/cli/argv.js')))
    return void skipped.push('agent: dist/ is missing: run `npm run build` first')
  left.useEngine(engine.address)
  log('case agent: die → restart → up against a bare docker start; idle CPU and memory watching 20 services')
  sections.push(await agentSection({left, log, runs: envInt('BENCH_RUNS', 5), warmup: envInt('BENCH_WARMUP', 1)}))
}
