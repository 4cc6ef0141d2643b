/**
 * What the failover tests drive on the testbed: the real node agent (`svcmgr daemon run`) and
 * the CLI, each inside a node's network namespace with that node's state root, name and engine;
 * and a sampler of the three engines that records, every 200 ms, on which nodes the service's
 * containers run (the tests fail when two nodes run them at once).
 */
import {spawn, type ChildProcess} from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {expect} from 'chai'
import {execa} from 'execa'
import {until} from '../../integration/support/agent.js'
import {NODES, type NodeName, type Testbed} from './testbed.js'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const BIN = path.join(REPO, 'bin/run.js')

export function nodeEnv(bed: Testbed, node: NodeName, ttl: number): Record<string, string> {
  const n = bed.nodes[node]
  return {
    ...(process.env as Record<string, string>),
    SVCMGR_ROOT: n.root,
    SVCMGR_NODENAME: node,
    DOCKER_HOST: n.dockerHost!,
    SVCMGR_ETCD: bed.endpoints.join(','),
    SVCMGR_LEASE_TTL: String(ttl),
    CI: 'true',
  }
}

/** svcmgr ARGS on a node (in its namespace). */
export function cliOn(bed: Testbed, node: NodeName, ttl: number, args: string[], input?: string) {
  return execa('nsenter', [`--net=${bed.nodes[node].netns}`, process.execPath, BIN, ...args], {
    env: nodeEnv(bed, node, ttl),
    input,
    reject: false,
    all: true,
    timeout: 120_000,
  })
}

/** A node's agent: `svcmgr daemon run` in the node's namespace (a crash of the node kills it). */
export class NodeAgentProcess {
  stderr = ''
  exited = false
  private constructor(
    readonly node: NodeName,
    readonly proc: ChildProcess,
  ) {
    proc.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()))
    proc.on('exit', () => (this.exited = true))
  }

  static start(bed: Testbed, node: NodeName, ttl: number): NodeAgentProcess {
    const proc = spawn('nsenter', [`--net=${bed.nodes[node].netns}`, process.execPath, BIN, 'daemon', 'run'], {
      env: nodeEnv(bed, node, ttl),
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    return new NodeAgentProcess(node, proc)
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.exited) this.proc.kill(signal)
  }

  async stop(): Promise<void> {
    if (this.exited) return
    const gone = new Promise(resolve => this.proc.once('exit', resolve))
    this.proc.kill('SIGTERM')
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 30_000)
    await gone
    clearTimeout(t)
  }

  /** The log lines since offset `from` (a length of stderr taken earlier). */
  since(from: number): string {
    return this.stderr.slice(from)
  }
}

/** GET on a node's engine socket, with a deadline; undefined when the engine does not answer. */
function engineGet<T>(dockerHost: string, urlPath: string, timeoutMs = 3000): Promise<T | undefined> {
  const socketPath = dockerHost.replace(/^unix:\/\//, '')
  return new Promise(resolve => {
    const req = http.get({socketPath, path: urlPath, timeout: timeoutMs}, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? (JSON.parse(body) as T) : undefined)
        } catch {
          resolve(undefined)
        }
      })
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => resolve(undefined))
  })
}

export interface ContainerState {
  name: string
  running: boolean
  startedAt: string
  finishedAt: string
}

/** The service's containers on a node's engine (undefined: the engine does not answer). */
export async function serviceContainers(
  bed: Testbed,
  node: NodeName,
  service: string,
): Promise<ContainerState[] | undefined> {
  const filters = encodeURIComponent(JSON.stringify({label: [`com.svcmgr.service=${service}`]}))
  const list = await engineGet<{Id: string; Names: string[]}[]>(
    bed.nodes[node].dockerHost!,
    `/containers/json?all=1&filters=${filters}`,
  )
  if (!list) return undefined
  const out: ContainerState[] = []
  for (const c of list) {
    const i = await engineGet<{Name: string; State: {Running: boolean; StartedAt: string; FinishedAt: string}}>(
      bed.nodes[node].dockerHost!,
      `/containers/${c.Id}/json`,
    )
    if (i)
      out.push({
        name: i.Name.replace(/^\//, ''),
        running: i.State.Running,
        startedAt: i.State.StartedAt,
        finishedAt: i.State.FinishedAt,
      })
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1))
}

export interface Sample {
  /** Date.now() when the round began and ended. */
  readonly t0: number
  readonly t1: number
  /** Per node: some container of the service runs (undefined: the engine did not answer). */
  readonly running: Readonly<Record<NodeName, boolean | undefined>>
}

/** Samples the three engines every 200 ms: running containers of the service on which nodes. */
export class Sampler {
  readonly samples: Sample[] = []
  readonly violations: Sample[] = []
  private stopped = false
  private loop?: Promise<void>

  constructor(
    private readonly bed: Testbed,
    private readonly service: string,
  ) {}

  start(): void {
    this.stopped = false
    this.loop = (async () => {
      while (!this.stopped) {
        const t0 = Date.now()
        const filters = encodeURIComponent(
          JSON.stringify({label: [`com.svcmgr.service=${this.service}`], status: ['running']}),
        )
        const found = await Promise.all(
          NODES.map(n =>
            engineGet<unknown[]>(this.bed.nodes[n].dockerHost!, `/containers/json?filters=${filters}`, 2000),
          ),
        )
        const running = Object.fromEntries(
          NODES.map((n, i) => [n, found[i] ? found[i].length > 0 : undefined]),
        ) as Record<NodeName, boolean | undefined>
        const s = {t0, t1: Date.now(), running}
        this.samples.push(s)
        if (NODES.filter(n => running[n]).length > 1) this.violations.push(s)
        await new Promise(r => setTimeout(r, Math.max(0, 200 - (Date.now() - t0))))
      }
    })()
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.loop
  }

  /** Samples from time `from` (Date.now()) on. */
  after(from: number): Sample[] {
    return this.samples.filter(s => s.t0 >= from)
  }
}

/** One HTTP GET of the service address from the fabric (a member's namespace), or undefined. */
export async function httpFromFabric(bed: Testbed, address: string): Promise<string | undefined> {
  const r = await execa(
    'nsenter',
    [`--net=/run/netns/${bed.prefix}-e1`, 'curl', '-s', '-m', '2', `http://${address}/`],
    {reject: false, timeout: 10_000},
  )
  return r.exitCode === 0 ? String(r.stdout) : undefined
}

/** The last `lines` lines of a file ('' when it cannot be read). */
function readTail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

/**
 * The check every cluster scenario carries (mocha hooks of the calling suite): each test runs
 * under a fresh Sampler and fails on any sample with the service running on two nodes at once;
 * a failed test prints the last `tail` lines of each agent's stderr. Returns the current sampler.
 */
export function sampleEachTest(
  bed: () => Testbed | undefined,
  service: string,
  agents: Partial<Record<NodeName, NodeAgentProcess>>,
  tail: number,
): () => Sampler | undefined {
  let sampler: Sampler | undefined
  beforeEach(() => {
    sampler = new Sampler(bed()!, service)
    sampler.start()
  })
  afterEach(async function () {
    await sampler?.stop()
    if (this.currentTest?.state === 'failed')
      for (const n of NODES) {
        console.log(`----- ${n}'s agent\n${agents[n]?.stderr.split('\n').slice(-tail).join('\n')}`)
        // the fence's lines (src/agent/fence-run.ts) are in the node's agent.log
        const fenceLines = readTail(`${bed()!.nodes[n].root}/agent/agent.log`, tail)
        if (fenceLines) console.log(`----- ${n}'s agent.log (the fence)\n${fenceLines}`)
      }
    expect(sampler?.violations ?? [], 'samples with the service running on two nodes at once').to.deep.equal([])
  })
  after(async () => {
    await sampler?.stop()
  })
  return () => sampler
}

/**
 * Starts every node's agent into `agents` (filled at once, so that an `after` stops them even
 * when this fails) and waits until each holds its lease; an agent that exits fails it with its stderr.
 */
export async function startAgentsHoldingLeases(
  bed: Testbed,
  ttl: number,
  agents: Record<NodeName, NodeAgentProcess>,
): Promise<void> {
  for (const n of NODES) agents[n] = NodeAgentProcess.start(bed, n, ttl)
  for (const n of NODES)
    await until(
      `${n}'s agent holding a lease`,
      () =>
        agents[n].stderr.includes('granted (TTL') || (agents[n].exited && Promise.reject(new Error(agents[n].stderr))),
      60_000,
    )
}
