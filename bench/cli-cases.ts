/**
 * Cases 2 and 3: the whole svcmgr CLI (a fresh `node bin/run.js` per run, built dist/) against
 * the engine, each run timed from spawn to exit, against bare dockerode scripts that also run
 * as fresh `node` processes (bench/*.mjs, plain JS: no tsx, no TypeScript loader).
 */
import type {SpawnSyncOptions} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {containerSpec, createOptions} from '../plugins/docker/src/drivers/spec.js'
import {compiledDockerKeywords, type Leftovers, REPO} from './engine.js'
import {fmtMs, median, type Section, timeOk, timeProcess} from './lib.js'

const BIN = path.join(REPO, 'bin/run.js')
const NODE = process.execPath
const BARE_LIST = path.join(REPO, 'bench/bare-list.mjs')
const BARE_LIST_HTTP = path.join(REPO, 'bench/bare-list-http.mjs')
const BARE_START = path.join(REPO, 'bench/bare-start.mjs')

interface Ctx {
  readonly left: Leftovers
  readonly log: (s: string) => void
  readonly runs: number
  readonly warmup: number
}

class Svcmgr {
  readonly root: string
  readonly env: NodeJS.ProcessEnv
  constructor(left: Leftovers, label: string) {
    this.root = left.tempDir(label)
    this.env = {...process.env, SVCMGR_ROOT: this.root, SVCMGR_NODENAME: 'deb1'}
  }

  args(service: string, words: string[]): string[] {
    return [BIN, '-s', service, ...words]
  }

  /** Runs svcmgr, fails with its output unless it exits 0; returns the wall time. */
  ok(service: string, words: string[], input?: string): number {
    return timeOk(`svcmgr -s ${service} ${words.join(' ')}`, NODE, this.args(service, words), {
      env: this.env,
      input,
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    })
  }

  out(service: string, words: string[]): string {
    const r = timeProcess(NODE, this.args(service, words), {env: this.env, stdio: ['ignore', 'pipe', 'pipe']})
    if (r.status !== 0)
      throw new Error(`svcmgr -s ${service} ${words.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`)
    return r.stdout
  }
}

/** Runs the named measurements round-robin, the order rotating every round, warm-ups first. */
function interleaved(ctx: Ctx, label: string, fns: Record<string, () => number>): Record<string, number[]> {
  const names = Object.keys(fns)
  const samples: Record<string, number[]> = Object.fromEntries(names.map(n => [n, []]))
  for (let i = 0; i < ctx.warmup + ctx.runs; i++) {
    const order = names.map((_, k) => names[(k + i) % names.length])
    const round: string[] = []
    for (const n of order) {
      const ms = fns[n]()
      if (i >= ctx.warmup) {
        samples[n].push(ms)
        round.push(`${n}=${fmtMs(ms)}`)
      }
    }
    ctx.log(
      `${label}: ${i < ctx.warmup ? `warm-up ${i + 1}/${ctx.warmup}` : `run ${i + 1 - ctx.warmup}/${ctx.runs}: ${round.join(' ')}`}`,
    )
  }
  return samples
}

// ---------------------------------------------------------------------------------------
// case 2: print status, cold

/** The seed's svc2 (test/fixtures/svc2.json) without ip#1, as the integration tests run it. */
function svc2Config(): string {
  const seed = JSON.parse(fs.readFileSync(path.join(REPO, 'test/fixtures/svc2.json'), 'utf8')) as Record<
    string,
    unknown
  >
  for (const k of Object.keys(seed)) if (k.startsWith('ip#')) delete seed[k]
  return JSON.stringify(seed)
}

/**
 * An oclif data dir holding three installed driver plugins the service does not use:
 * svcmgr-plugin-app (plugins/app) and two generated ones, each registering one driver.
 */
function dataDirWithThreePlugins(ctx: Ctx, cli: Svcmgr): NodeJS.ProcessEnv {
  const base = ctx.left.tempDir('plugins')
  const env = {
    ...cli.env,
    SVCMGR_DATA_DIR: path.join(base, 'data'),
    SVCMGR_CACHE_DIR: path.join(base, 'cache'),
    SVCMGR_CONFIG_DIR: path.join(base, 'config'),
  }
  const folders = [path.join(REPO, 'plugins/app')]
  for (const n of [1, 2]) {
    const dir = path.join(base, `null${n}`)
    fs.mkdirSync(dir)
    fs.writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({
        name: `svcmgr-bench-null${n}`,
        version: '0.0.1',
        type: 'module',
        oclif: {hooks: {'svcmgr:drivers': './hook.js'}},
      }),
    )
    fs.writeFileSync(
      path.join(dir, 'hook.js'),
      `export default async function () {
  return {drivers: [{group: 'benchnull${n}', type: 'null', description: 'does nothing', keywords: [], label: () => 'null', describe: () => [],
    status: async () => ({status: 'n/a'}), start: async () => 'unchanged', stop: async () => 'unchanged'}]}
}
`,
    )
    folders.push(dir)
  }
  for (const dir of folders)
    timeOk(`svcmgr plugins install ${dir}`, NODE, [BIN, 'plugins', 'install', dir], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
  const listed = timeProcess(NODE, [BIN, 'drivers'], {env, stdio: ['ignore', 'pipe', 'pipe']})
  for (const type of ['app.forking', 'benchnull1.null', 'benchnull2.null'])
    if (!listed.stdout.includes(type))
      throw new Error(
        `three plugins: ${type} is not among the drivers after install:\n${listed.stdout}${listed.stderr}`,
      )
  return env
}

export async function printStatusSection(ctx: Ctx): Promise<Section> {
  // a unique name: other sessions' svc2 containers (svc2.container.N) may live on the same engine
  const name = ctx.left.service(`bench${process.pid}svc2`)
  const cli = new Svcmgr(ctx.left, 'status')
  ctx.log(`print status: creating ${name} (svc2's 3 containers) and starting it`)
  cli.ok(name, ['create', '--config=-', '--provision', '--local'], svc2Config())
  const status = JSON.parse(cli.out(name, ['print', 'status', '--format', 'json'])) as {
    avail?: string
    resources?: Record<string, {status: string}>
  }
  const res = Object.entries(status.resources ?? {})
  if (res.length !== 3 || res.some(([, r]) => r.status !== 'up'))
    throw new Error(`print status: expected 3 resources up, got ${JSON.stringify(status)}`)
  const listed = timeProcess(NODE, [BARE_LIST, name], {env: cli.env})
  if (listed.status !== 0 || listed.stdout.trim().split('\n').length !== 3)
    throw new Error(`bare-list.mjs: expected 3 containers, got exit ${listed.status}: ${listed.stdout}${listed.stderr}`)

  const opts: SpawnSyncOptions = {env: cli.env, stdio: ['ignore', 'pipe', 'pipe']}
  const withPlugins = {...opts, env: dataDirWithThreePlugins(ctx, cli)}
  // Node 20 reads and parses NODE_EXTRA_CA_CERTS's bundle at every start, before any script
  // runs: a cost of every node process here (svcmgr's, the node baselines'), not the docker CLI's
  const extraCaCerts = process.env.NODE_EXTRA_CA_CERTS
  const withoutCaCerts = {...opts, env: {...cli.env, NODE_EXTRA_CA_CERTS: undefined}}
  const s = interleaved(ctx, 'print status', {
    'node -e 0': () => timeOk('node -e 0', NODE, ['-e', '0'], opts),
    ...(extraCaCerts
      ? {'node -e 0, no CA file': () => timeOk('node -e 0 (no NODE_EXTRA_CA_CERTS)', NODE, ['-e', '0'], withoutCaCerts)}
      : {}),
    'bare list': () => timeOk('bare-list.mjs', NODE, [BARE_LIST], opts),
    'bare http list': () => timeOk('bare-list-http.mjs', NODE, [BARE_LIST_HTTP, name], opts),
    'print config': () => timeOk('print config', NODE, cli.args(name, ['print', 'config']), opts),
    'print status': () => timeOk('print status', NODE, cli.args(name, ['print', 'status']), opts),
    'print status +3 plugins': () =>
      timeOk('print status (3 extra plugins)', NODE, cli.args(name, ['print', 'status']), withPlugins),
  })
  const m = (k: string) => median(s[k])
  const runs = ctx.runs
  return {
    title: 'print status',
    rows: [
      {
        case: 'print status cold (svc2)',
        median: m('print status'),
        baseline: 'bare dockerode list script',
        baselineMedian: m('bare list'),
        maxRatio: 1.5,
        runs,
      },
      {
        case: 'print status cold (svc2)',
        median: m('print status'),
        baseline: 'bare node:http list script',
        baselineMedian: m('bare http list'),
        maxRatio: 1.3,
        runs,
      },
      {
        case: 'print status cold (svc2)',
        median: m('print status'),
        baseline: 'node -e 0',
        baselineMedian: m('node -e 0'),
        maxRatio: 2,
        targetText: '<= 2x (goal beyond: 1.5x)',
        runs,
      },
      {
        case: 'print status, 3 extra plugins',
        median: m('print status +3 plugins'),
        baseline: 'print status, none',
        baselineMedian: m('print status'),
        maxRatio: 1.1,
        runs,
      },
      {
        case: '  bare dockerode list script',
        median: m('bare list'),
        baseline: 'node -e 0',
        baselineMedian: m('node -e 0'),
        runs,
      },
      {
        case: '  print config cold (no engine)',
        median: m('print config'),
        baseline: 'node -e 0',
        baselineMedian: m('node -e 0'),
        runs,
      },
      ...(extraCaCerts
        ? [
            {
              case: '  node -e 0 (NODE_EXTRA_CA_CERTS set)',
              median: m('node -e 0'),
              baseline: 'node -e 0 without it',
              baselineMedian: m('node -e 0, no CA file'),
              runs,
            },
          ]
        : []),
    ],
    notes: [
      `wall time of a fresh process, spawn to exit (spawnSync), medians of ${runs} runs after ${ctx.warmup} warm-up(s), the commands interleaved in rotating order. \`svcmgr -s ${name} print status\` is svc2's config (3 containers up) under a unique name, so other sessions' svc2 on the same engine are not touched; SVCMGR_ROOT is a temp dir. The lean path's code cache (src/cli/cached-script.ts) is the one the warm-up runs leave in the user's cache folder, as after any first run of a build; the cold case shows the same run without it.`,
      `3 extra plugins: svcmgr-plugin-app and two generated one-driver plugins installed with \`svcmgr plugins install\` into a temp oclif data dir (SVCMGR_DATA_DIR); the service uses none of them. svcmgr-plugin-app declares what it serves (package.json svcmgrPlugin.serves), so this service's status does not load it; the generated two declare nothing: their hooks run (2 ES modules).`,
      `bare list = \`node bench/bare-list.mjs\`: imports dockerode, lists all containers on DOCKER_HOST. bare node:http list = \`node bench/bare-list-http.mjs ${name}\`: one GET /containers/json with the service's label filter over node:http, one line per container (the floor of svcmgr's status requests: for svc2's three containers, three inspects by name sent together). print config reads and prints the config without any engine call: what the CLI costs before status work.`,
      ...(extraCaCerts
        ? [
            `NODE_EXTRA_CA_CERTS is set in this environment (${extraCaCerts}): Node 20 reads and parses that bundle at every start, before any script runs, so every node process here (svcmgr's and the node baselines) pays the difference the indented node -e 0 row shows; the docker CLI does not. Every figure is measured with it set, as a user here runs.`,
          ]
        : []),
    ],
  }
}

// ---------------------------------------------------------------------------------------
// case 3: start / stop of 20 containers in one parallel subset

const COUNT = 20
const IMAGE = 'google/pause'

function parallelConfig(): string {
  const sections: Record<string, Record<string, string>> = {'subset#container:all': {parallel: 'true'}}
  for (let i = 1; i <= COUNT; i++) sections[`container#${i}`] = {type: 'docker', image: IMAGE, subset: 'all'}
  return JSON.stringify(sections)
}

const BARE_KW = compiledDockerKeywords(IMAGE)

export async function startStopSection(ctx: Ctx, withCheck: boolean): Promise<Section> {
  const pid = process.pid
  const name = ctx.left.service(`bench${pid}p${COUNT}`)
  const bare = ctx.left.service(`bench${pid}bare${COUNT}`)
  const cli = new Svcmgr(ctx.left, 'start')
  const docker = await ctx.left.docker()

  ctx.log(`start/stop: creating ${name} (${COUNT} x ${IMAGE}, one parallel subset): create, provision, stop`)
  cli.ok(name, ['create', '--config=-', '--local'], parallelConfig())
  cli.ok(name, ['provision'])
  cli.ok(name, ['stop'])

  // the bare side's containers: the very create request svcmgr's docker driver sends (spec.ts)
  const cgroupDriver = ((await docker.info()) as {CgroupDriver?: string}).CgroupDriver
  const imageId = (await docker.getImage(BARE_KW.image).inspect()).Id
  const bareNames: string[] = []
  for (let i = 1; i <= COUNT; i++) {
    const spec = containerSpec(
      {rid: `container#${i}`, index: String(i), kw: BARE_KW},
      {name: bare, id: '00000000-0000-4000-8000-000000000020'},
      cgroupDriver,
    )
    await docker.createContainer(createOptions(spec, imageId))
    bareNames.push(spec.name)
  }

  const running = async (service: string) =>
    (await ctx.left.containers(service)).filter(c => c.State === 'running').length
  const expect = async (service: string, n: number, after: string) => {
    const r = await running(service)
    if (r !== n)
      throw new Error(`start/stop: after ${after}, ${r} of ${COUNT} containers of ${service} run (expected ${n})`)
  }
  if ((await ctx.left.containers(name)).length !== COUNT)
    throw new Error(
      `start/stop: provision made ${(await ctx.left.containers(name)).length} containers, expected ${COUNT}`,
    )
  await expect(name, 0, 'provision + stop')

  const opts: SpawnSyncOptions = {env: cli.env, stdio: ['ignore', 'pipe', 'pipe']}
  const svcStart = () => timeOk('svcmgr start', NODE, cli.args(name, ['start']), opts)
  const svcStop = () => timeOk('svcmgr stop', NODE, cli.args(name, ['stop']), opts)
  const bareStart = (op: boolean) =>
    timeOk('bare-start.mjs start', NODE, [BARE_START, 'start', ...(op ? ['--checked'] : []), ...bareNames], opts)
  const bareStop = () => timeOk('bare-start.mjs stop', NODE, [BARE_START, 'stop', ...bareNames], opts)

  const samples: Record<string, number[]> = {
    svcStart: [],
    svcStop: [],
    bareStart: [],
    bareStop: [],
    ...(withCheck ? {bareCheckStart: []} : {}),
  }
  // spawnSync blocks the event loop: the state checks run between the timed processes
  for (let i = 0; i < ctx.warmup + ctx.runs; i++) {
    const warm = i < ctx.warmup
    const rec = (k: string, ms: number) => {
      if (!warm) samples[k].push(ms)
      return ms
    }
    const svcPair = async () => {
      rec('svcStart', svcStart())
      await expect(name, COUNT, 'svcmgr start')
      rec('svcStop', svcStop())
      await expect(name, 0, 'svcmgr stop')
    }
    const barePair = async () => {
      rec('bareStart', bareStart(false))
      await expect(bare, COUNT, 'bare start')
      rec('bareStop', bareStop())
      await expect(bare, 0, 'bare stop')
    }
    const checkPair = async () => {
      rec('bareCheckStart', bareStart(true))
      await expect(bare, COUNT, 'bare start --checked')
      bareStop()
      await expect(bare, 0, 'bare stop')
    }
    const pairs = withCheck ? [svcPair, barePair, checkPair] : [svcPair, barePair]
    for (let k = 0; k < pairs.length; k++) await pairs[(k + i) % pairs.length]()
    ctx.log(
      `start/stop: ${
        warm
          ? `warm-up ${i + 1}/${ctx.warmup}`
          : `run ${i + 1 - ctx.warmup}/${ctx.runs}: ${Object.entries(samples)
              .map(([k, v]) => `${k}=${fmtMs(v.at(-1)!)}`)
              .join(' ')}`
      }`,
    )
  }
  const m = (k: string) => median(samples[k])
  const runs = ctx.runs
  const rows: Section['rows'] = [
    {
      case: `start ${COUNT} parallel (svcmgr start)`,
      median: m('svcStart'),
      baseline: `${COUNT} parallel bare start()`,
      baselineMedian: m('bareStart'),
      maxRatio: 1.1,
      runs,
    },
    {
      case: `stop ${COUNT} parallel (svcmgr stop)`,
      median: m('svcStop'),
      baseline: `${COUNT} parallel bare stop()`,
      baselineMedian: m('bareStop'),
      maxRatio: 1.05,
      runs,
    },
  ]
  if (withCheck) {
    rows.push(
      {
        case: `  start ${COUNT} parallel (svcmgr start)`,
        median: m('svcStart'),
        baseline: 'bare start() + 2 inspects',
        baselineMedian: m('bareCheckStart'),
        runs,
      },
      {
        case: '  bare start() + 2 inspects',
        median: m('bareCheckStart'),
        baseline: `${COUNT} parallel bare start()`,
        baselineMedian: m('bareStart'),
        runs,
      },
    )
  }
  return {
    title: 'start/stop',
    rows,
    notes: [
      `both sides are whole processes timed spawn to exit (each pays a node start): \`svcmgr -s ${name} start|stop\` (${COUNT} x ${IMAGE} in one parallel subset, created by \`provision\` then stopped, so start is start only) against \`node bench/bare-start.mjs start|stop\` on ${COUNT} other containers created with the same create request (the docker driver's spec.ts), Promise.all of container.start() / container.stop({t: 10}); medians of ${runs} runs after ${ctx.warmup} warm-up(s), sides in alternating order, the running count checked after every step. svcmgr start checks each container after its start: one inspect that shows it running, then the next one must show the same run, no fixed wait (${withCheck ? 'the "2 inspects" rows: bare-start.mjs --checked checks the same way' : 'BENCH_STARTCHECK=1 adds a bare baseline that checks the same way'}). svcmgr stop sends one label-filtered list for the 20 (ownership by labels and id), then per container the stop by id and one inspect that checks it is down.`,
    ],
  }
}

export type {Ctx as CliCtx}
