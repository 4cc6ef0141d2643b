/**
 * Case 4 (issue 11, target 3): `svcmgr start` of the seed's svc2 against the bare docker CLI
 * doing the same sequence (bench/bare-svc2-cli.sh), both as whole processes, interleaved.
 * Two variants: the containers exist, stopped (start only), and the containers are absent
 * (rm = true: svcmgr's stop removes them; the bare side runs svcmgr's `docker run -d` lines).
 */
import type {SpawnSyncOptions} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {type Leftovers, REPO} from './engine.js'
import {fmtMs, median, type Section, timeOk} from './lib.js'

interface Ctx {
  readonly left: Leftovers
  readonly log: (s: string) => void
  readonly runs: number
  readonly warmup: number
}

const BIN = path.join(REPO, 'bin/run.js')
const NODE = process.execPath
const BARE = path.join(REPO, 'bench/bare-svc2-cli.sh')
const ID = 'fd1196ad-fbf1-49bb-ab52-12ed2a1fbf0e'

/** The seed's svc2 (test/fixtures/svc2.json) without ip#1; rm = true on every container when asked. */
function svc2Config(rm: boolean): string {
  const seed = JSON.parse(fs.readFileSync(path.join(REPO, 'test/fixtures/svc2.json'), 'utf8')) as Record<
    string,
    Record<string, string>
  >
  for (const k of Object.keys(seed)) {
    if (k.startsWith('ip#')) delete seed[k]
    else if (rm && k.startsWith('container#')) seed[k].rm = 'true'
  }
  if (seed.DEFAULT.id !== ID) throw new Error(`svc2.json: expected id ${ID}, got ${seed.DEFAULT.id}`)
  return JSON.stringify(seed)
}

export async function svc2StartSection(ctx: Ctx): Promise<Section> {
  const pid = process.pid
  const svc = ctx.left.service(`perfb${pid}svc2`)
  const svcRm = ctx.left.service(`perfb${pid}svc2rm`)
  const bare = ctx.left.service(`perfb${pid}svc2bare`)
  const bareRm = ctx.left.service(`perfb${pid}svc2rmbare`)
  const root = ctx.left.tempDir('svc2start')
  const env: NodeJS.ProcessEnv = {...process.env, SVCMGR_ROOT: root, SVCMGR_NODENAME: 'deb1'}
  const opts: SpawnSyncOptions = {env, stdio: ['ignore', 'pipe', 'pipe']}
  const svcmgr = (name: string, words: string[], input?: string) =>
    timeOk(`svcmgr -s ${name} ${words.join(' ')}`, NODE, [BIN, '-s', name, ...words], {
      ...opts,
      input,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    })
  const docker = await ctx.left.docker()
  const cgroupDriver = ((await docker.info()) as {CgroupDriver?: string}).CgroupDriver ?? ''
  const sh = (words: string[]) => timeOk(`sh ${path.basename(BARE)} ${words.join(' ')}`, 'sh', [BARE, ...words], opts)

  ctx.log(`svc2 start: creating ${svc} and ${svcRm} (rm = true), provisioned then stopped; bare ${bare}`)
  svcmgr(svc, ['create', '--config=-', '--provision', '--local'], svc2Config(false))
  svcmgr(svc, ['stop'])
  svcmgr(svcRm, ['create', '--config=-', '--local'], svc2Config(true))
  // the bare side's stopped containers: created by the same docker run lines, then stopped
  sh(['run', bare, ID, cgroupDriver])
  await stopAll(ctx, bare, false)

  const states = async (service: string) => (await ctx.left.containers(service)).map(c => c.State)
  const expectRunning = async (service: string, after: string) => {
    const s = await states(service)
    if (s.length !== 3 || s.some(x => x !== 'running'))
      throw new Error(`svc2 start: after ${after}, ${service}'s containers are [${s.join(', ')}], expected 3 running`)
  }
  const expectDown = async (service: string, absent: boolean, after: string) => {
    const s = await states(service)
    if (absent ? s.length !== 0 : s.length !== 3 || s.some(x => x === 'running'))
      throw new Error(
        `svc2 start: after ${after}, ${service}'s containers are [${s.join(', ')}], expected ${absent ? 'none' : '3 stopped'}`,
      )
  }
  await expectDown(svc, false, 'provision + stop')
  await expectDown(bare, false, 'bare run + stop')
  await expectDown(svcRm, true, 'create')

  const cases: Record<string, () => Promise<number>> = {
    svcStart: async () => {
      const ms = svcmgr(svc, ['start'])
      await expectRunning(svc, 'svcmgr start')
      svcmgr(svc, ['stop'])
      await expectDown(svc, false, 'svcmgr stop')
      return ms
    },
    bareStart: async () => {
      const ms = sh(['start', bare])
      await expectRunning(bare, 'bare start')
      await stopAll(ctx, bare, false)
      await expectDown(bare, false, 'bare stop')
      return ms
    },
    svcRun: async () => {
      const ms = svcmgr(svcRm, ['start'])
      await expectRunning(svcRm, 'svcmgr start (rm = true)')
      svcmgr(svcRm, ['stop'])
      await expectDown(svcRm, true, 'svcmgr stop (rm = true)')
      return ms
    },
    bareRun: async () => {
      const ms = sh(['run', bareRm, ID, cgroupDriver])
      await expectRunning(bareRm, 'bare run')
      await stopAll(ctx, bareRm, true)
      await expectDown(bareRm, true, 'bare rm')
      return ms
    },
  }
  const names = Object.keys(cases)
  const samples: Record<string, number[]> = Object.fromEntries(names.map(n => [n, []]))
  for (let i = 0; i < ctx.warmup + ctx.runs; i++) {
    const round: string[] = []
    for (let k = 0; k < names.length; k++) {
      const n = names[(k + i) % names.length]
      const ms = await cases[n]()
      if (i >= ctx.warmup) {
        samples[n].push(ms)
        round.push(`${n}=${fmtMs(ms)}`)
      }
    }
    ctx.log(
      `svc2 start: ${i < ctx.warmup ? `warm-up ${i + 1}/${ctx.warmup}` : `run ${i + 1 - ctx.warmup}/${ctx.runs}: ${round.join(' ')}`}`,
    )
  }
  const m = (k: string) => median(samples[k])
  const runs = ctx.runs
  return {
    title: 'svc2 start',
    rows: [
      {
        case: 'svc2 start, containers stopped',
        median: m('svcStart'),
        baseline: 'bare docker CLI: 3 x docker start',
        baselineMedian: m('bareStart'),
        maxRatio: 1.3,
        runs,
      },
      {
        case: 'svc2 start, containers absent (rm)',
        median: m('svcRun'),
        baseline: 'bare docker CLI: 3 x docker run -d',
        baselineMedian: m('bareRun'),
        maxRatio: 1.3,
        runs,
      },
    ],
    notes: [
      `wall time of a fresh process, spawn to exit, medians of ${runs} runs after ${ctx.warmup} warm-up(s), the four cases interleaved in rotating order, the engine's state checked after every step (stops and removals untimed). svcmgr side: \`svcmgr -s ${svc} start\` of svc2's 3 containers (test/fixtures/svc2.json without ip#1; container#1, then #2, then #3, which join its netns), and the same with rm = true, so the containers are absent and start creates them. Bare side: \`sh bench/bare-svc2-cli.sh start|run\`: the docker CLI (one process per container, same order) starting the same containers, or running the \`docker run -d\` lines svcmgr logs. svcmgr's start returns once each container has run and was still running at the next state check (no fixed wait).`,
    ],
  }
}

/** Stops (or removes) a service's containers directly, untimed. */
async function stopAll(ctx: Ctx, service: string, remove: boolean): Promise<void> {
  const docker = await ctx.left.docker()
  const list = await ctx.left.containers(service)
  // the reverse order of the start: the netns owner last
  for (const c of list.sort((a, b) => b.Names[0].localeCompare(a.Names[0]))) {
    const h = docker.getContainer(c.Id)
    if (remove) await h.remove({force: true})
    else if (c.State === 'running') await h.stop({t: 10})
  }
}
