/**
 * The cluster testbed for tests and the bench: scripts/clusterenv.sh brings up a fabric
 * namespace with a bridge, three etcd members and three node namespaces (n1 n2 n3, each with
 * its own state root and, with `engines`, its own dockerd), on 203.0.113.64/26 inside the
 * fabric only. This wraps it: setup (a stale testbed of a killed run is removed first),
 * teardown (every namespace, process, mount and file it made), the faults (crash a node, cut
 * and restore a link, stop and start a member) and helper processes run inside a node's
 * namespace (NodeChild), the only way to reach the fabric.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {accessSync, constants, existsSync} from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import {fileURLToPath} from 'node:url'
import {execa} from 'execa'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const SCRIPT = path.join(REPO, 'scripts/clusterenv.sh')
export const MEMBERS = ['e1', 'e2', 'e3'] as const
export const NODES = ['n1', 'n2', 'n3'] as const
export type Member = (typeof MEMBERS)[number]
export type NodeName = (typeof NODES)[number]

export interface TestbedNode {
  readonly name: NodeName
  readonly netns: string
  readonly root: string
  readonly ip: string
  readonly dockerHost?: string
}

/** Why the testbed cannot run here (a test skips saying it), or undefined. */
export async function testbedUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'the cluster testbed needs root (network namespaces)'
  for (const [bin, pkg] of [
    ['etcd', 'etcd-server'],
    ['etcdctl', 'etcd-client'],
    ['nsenter', 'util-linux'],
    ['ip', 'iproute2'],
  ]) {
    const found = (process.env.PATH ?? '').split(':').some(d => {
      try {
        accessSync(path.join(d, bin), constants.X_OK)
        return true
      } catch {
        return false
      }
    })
    if (!found) return `${bin} is not installed (apt-get install ${pkg}; scripts/testenv.sh up installs it)`
  }
  const probe = `svcmgr-probe-${process.pid}`
  const r = await execa('ip', ['netns', 'add', probe], {reject: false})
  await execa('ip', ['netns', 'del', probe], {reject: false})
  if (r.exitCode !== 0) return `network namespaces are not available: ${r.stderr.trim()}`
  return undefined
}

export class Testbed {
  /** How long setup and teardown took, in ms (reported by the tests and the bench). */
  readonly timings: {setupMs?: number; teardownMs?: number} = {}
  private readonly children = new Set<NodeChild>()

  private constructor(
    readonly prefix: string,
    /** CLUSTERENV_NET: the base of the testbed's /26 (default the script's). */
    readonly net: string | undefined,
    readonly endpoints: readonly string[],
    readonly nodes: Readonly<Record<NodeName, TestbedNode>>,
    readonly env: Readonly<Record<string, string>>,
  ) {}

  /** prefix and net default to CLUSTERENV_PREFIX and CLUSTERENV_NET, else "et" and the script's default. */
  static async setup(
    options: {engines?: boolean; images?: readonly string[]; prefix?: string; net?: string} = {},
  ): Promise<Testbed> {
    const prefix = options.prefix ?? process.env.CLUSTERENV_PREFIX ?? 'et'
    const net = options.net ?? process.env.CLUSTERENV_NET
    const env = {
      ...process.env,
      CLUSTERENV_PREFIX: prefix,
      ...(net ? {CLUSTERENV_NET: net} : {}),
      CLUSTERENV_IMAGES: (options.images ?? []).join(' '),
    }
    const t0 = performance.now()
    const up = await execa('bash', [SCRIPT, 'up', ...(options.engines ? ['--engines'] : [])], {
      env,
      reject: false,
      all: true,
    })
    if (up.exitCode !== 0) {
      await execa('bash', [SCRIPT, 'down'], {env, reject: false})
      throw new Error(`clusterenv.sh up failed (exit ${up.exitCode}):\n${up.all}`)
    }
    const setupMs = performance.now() - t0
    const printed = (await execa('bash', [SCRIPT, 'env'], {env})).stdout
    const vars: Record<string, string> = {}
    for (const m of printed.matchAll(/^export (\w+)=(.*)$/gm)) vars[m[1]] = m[2]
    const node = (name: NodeName): TestbedNode => {
      const N = name.toUpperCase()
      return {
        name,
        netns: vars[`CLUSTERENV_${N}_NETNS`],
        root: vars[`CLUSTERENV_${N}_ROOT`],
        ip: vars[`CLUSTERENV_${N}_IP`],
        dockerHost: vars[`CLUSTERENV_${N}_DOCKER_HOST`],
      }
    }
    const bed = new Testbed(
      prefix,
      net,
      vars.SVCMGR_ETCD.split(','),
      {n1: node('n1'), n2: node('n2'), n3: node('n3')},
      vars,
    )
    bed.timings.setupMs = setupMs
    return bed
  }

  /** The script's environment for this testbed. */
  get scriptEnv(): Record<string, string | undefined> {
    return {...process.env, CLUSTERENV_PREFIX: this.prefix, ...(this.net ? {CLUSTERENV_NET: this.net} : {})}
  }

  private async script(...args: string[]): Promise<void> {
    await execa('bash', [SCRIPT, ...args], {env: this.scriptEnv})
  }

  /** Starts the node's dockerd again (after a crash), with the images copied in at setup. */
  engineStart(node: NodeName): Promise<void> {
    return this.script('engine-start', node)
  }

  /** Removes everything (also what a failed test left); never throws. */
  async teardown(): Promise<void> {
    const t0 = performance.now()
    for (const c of this.children) c.kill()
    await execa('bash', [SCRIPT, 'down'], {env: this.scriptEnv, reject: false})
    this.timings.teardownMs = performance.now() - t0
  }

  /** Kills every process of the node's namespace and of its containers. */
  crash(node: NodeName): Promise<void> {
    return this.script('crash', node)
  }
  /** Sets eth0 of a node's or a member's namespace down: a partition. */
  cut(x: NodeName | Member): Promise<void> {
    return this.script('cut', x)
  }
  restore(x: NodeName | Member): Promise<void> {
    return this.script('restore', x)
  }
  etcdStop(m: Member): Promise<void> {
    return this.script('etcd-stop', m)
  }
  etcdStart(m: Member): Promise<void> {
    return this.script('etcd-start', m)
  }

  /** Waits until every member answers a linearizable read (quorum back and each one serving). */
  async waitHealthy(timeoutMs = 20000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    let last = ''
    while (Date.now() < deadline) {
      const r = await execa(
        'nsenter',
        [
          `--net=${this.nodes.n1.netns}`,
          'etcdctl',
          '--endpoints',
          this.endpoints.join(','),
          '--command-timeout=2s',
          'endpoint',
          'health',
        ],
        {env: {...process.env, ETCDCTL_API: '3'}, reject: false, all: true},
      )
      if (r.exitCode === 0) return
      last = r.all ?? ''
      await new Promise(resolve => setTimeout(resolve, 200))
    }
    throw new Error(`the etcd members were not all healthy within ${timeoutMs} ms:\n${last}`)
  }

  /** Starts a helper process (test/cluster/support/node-child.ts) inside the node's namespace. */
  async child(node: NodeName, options: {endpoints?: readonly string[]; timeoutMs?: number} = {}): Promise<NodeChild> {
    const c = new NodeChild(
      spawn(
        'nsenter',
        [`--net=${this.nodes[node].netns}`, process.execPath, '--import', 'tsx', 'test/cluster/support/node-child.ts'],
        {
          cwd: REPO,
          env: {
            ...process.env,
            SVCMGR_ETCD: (options.endpoints ?? this.endpoints).join(','),
            CHILD_TIMEOUT_MS: String(options.timeoutMs ?? 3000),
          },
          stdio: ['pipe', 'pipe', 'inherit'],
        },
      ),
    )
    this.children.add(c)
    await c.event('ready', 20000)
    return c
  }
}

export interface ChildEvent {
  event: string
  mono: number
  [k: string]: unknown
}

export interface ChildAnswer<T> {
  ok: boolean
  result: T
  error?: string
  name?: string
  started: number
  ended: number
}

/** A helper process in a node's namespace: call(op, args) and the events it wrote. */
export class NodeChild {
  readonly events: ChildEvent[] = []
  private nextId = 1
  private readonly pending = new Map<number, (a: ChildAnswer<unknown>) => void>()
  private readonly waiters: (() => void)[] = []
  exited = false

  constructor(readonly proc: ChildProcess) {
    readline.createInterface({input: proc.stdout!}).on('line', line => {
      let msg: {id?: number; event?: string}
      try {
        msg = JSON.parse(line)
      } catch {
        return
      }
      if (msg.id !== undefined) {
        this.pending.get(msg.id)?.(msg as ChildAnswer<unknown>)
        this.pending.delete(msg.id)
      } else if (msg.event) {
        this.events.push(msg as ChildEvent)
        for (const w of this.waiters.splice(0)) w()
      }
    })
    proc.on('exit', () => {
      this.exited = true
      for (const [, resolve] of this.pending)
        resolve({ok: false, error: 'the child exited', result: undefined, started: 0, ended: 0})
      this.pending.clear()
      for (const w of this.waiters.splice(0)) w()
    })
  }

  /** The full answer (ok or not). */
  answer<T>(op: string, args: Record<string, unknown> = {}): Promise<ChildAnswer<T>> {
    const id = this.nextId++
    return new Promise(resolve => {
      this.pending.set(id, resolve as (a: ChildAnswer<unknown>) => void)
      this.proc.stdin!.write(JSON.stringify({id, op, args}) + '\n')
    })
  }

  /** The result, or throws the child's error. */
  async call<T = unknown>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const a = await this.answer<T>(op, args)
    if (!a.ok) throw new Error(`${op} in the child failed: ${a.name ?? ''} ${a.error}`)
    return a.result
  }

  /** Waits for an event of that name (the first one after `after` events), up to timeoutMs. */
  async event(name: string, timeoutMs: number, after = 0): Promise<ChildEvent> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const found = this.events.slice(after).find(e => e.event === name)
      if (found) return found
      if (this.exited) throw new Error(`the child exited before the event "${name}"`)
      const left = deadline - Date.now()
      if (left <= 0)
        throw new Error(
          `no "${name}" event within ${timeoutMs} ms (events: ${this.events.map(e => e.event).join(', ')})`,
        )
      await new Promise<void>(resolve => {
        const t = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.exited) this.proc.kill(signal)
  }
}

/** Whether a path exists (for checks of what teardown left). */
export const exists = existsSync
