/**
 * The fence: the cluster agent's software watchdog (issue 15). The agent demotes on its lease
 * keeper's local deadline (src/cluster/lease.ts), but only while it runs: an agent killed, or
 * SIGSTOPped, or stuck in its event loop past that deadline would leave the cluster services
 * of this node running while another node acquires them. The fence is a small process of its
 * own session (./fence-run.ts, `svcmgr daemon fence`, spawned detached by the agent), armed
 * through a file the agent rewrites at each acknowledged renewal; when the armed deadline
 * passes without a newer one it stops those services itself, before etcd can expire the lease.
 *
 *   <root>/agent/fence.json   FenceArm: the keeper's local deadline (CLOCK_MONOTONIC ms) and the
 *                             cluster services of this node; rewritten atomically per renewal
 *   <root>/agent/fence.pid    "<pid> <process start time>[ firing]\n": the fence process
 *   <root>/agent/lease.json   the keeper's (read only): a newer acknowledgement of the same lease
 *
 * A file, not a socket: a message that is never lost nor half-read (an atomic rename), that a
 * restarted agent re-arms without any handshake, and that the fence reads when it needs it (at
 * the deadline), so no connection has to survive the agent's death.
 */
import fs from 'node:fs'
import path from 'node:path'
import {readFileSync} from 'node:fs'
import {writeStateFileAtomic} from '../config/state-files.js'
import {pidAlive, processState} from '../drivers/host.js'
import {type LeaseClock, type PersistedLease, leaseDeadline} from '../cluster/lease.js'
import type {LockOwner} from '../executor/lock.js'
import {agentPaths} from './state.js'

export interface FencePaths {
  readonly armFile: string
  readonly pidFile: string
}

export function fencePaths(root: string): FencePaths {
  const dir = agentPaths(root).dir
  return {armFile: path.join(dir, 'fence.json'), pidFile: path.join(dir, 'fence.pid')}
}

export interface ProcessId {
  readonly pid: number
  readonly startTime: string
}

/** The fence's pid file: its process, and whether it is stopping services now (not to be signalled then). */
export interface FenceProcess extends ProcessId {
  readonly firing?: boolean
}

/** <root>/agent/fence.json: what the fence does if `deadline` passes without a newer arm. */
export interface FenceArm {
  readonly version: 1
  /** The agent that armed it. */
  readonly agent: ProcessId
  readonly lease: string
  readonly ttl: number
  readonly marginMs: number
  /** CLOCK_MONOTONIC ms (shared by every process of the machine): the keeper's local deadline. */
  readonly deadline: number
  /** The kernel's boot id: a monotonic time of another boot means nothing. */
  readonly bootId: string
  /** The cluster services of this node, stopped when the fence fires. */
  readonly services: readonly string[]
  /** ISO time of this arm. */
  readonly armedAt: string
  /** Set by the agent when its keeper said "lost": it is stopping them itself (its locks are waited for). */
  readonly demoting?: boolean
}

export function readFenceArm(root: string): FenceArm | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(fencePaths(root).armFile, 'utf8')) as FenceArm
    return v?.version === 1 && typeof v.deadline === 'number' && Array.isArray(v.services) ? v : undefined
  } catch {
    return undefined
  }
}

export function writeFenceArm(root: string, arm: FenceArm): void {
  writeStateFileAtomic(fencePaths(root).armFile, JSON.stringify(arm) + '\n')
}

/** Disarmed: the file is gone (a fence finding none exits). */
export function removeFenceArm(root: string): void {
  fs.rmSync(fencePaths(root).armFile, {force: true})
}

export function readFencePid(root: string): FenceProcess | undefined {
  try {
    const [pid, startTime, state] = fs.readFileSync(fencePaths(root).pidFile, 'utf8').trim().split(/\s+/)
    const n = Number(pid)
    return Number.isInteger(n) && n > 0
      ? {pid: n, startTime: startTime ?? '', ...(state === 'firing' ? {firing: true} : {})}
      : undefined
  } catch {
    return undefined
  }
}

export function writeFencePid(root: string, id: FenceProcess): void {
  writeStateFileAtomic(fencePaths(root).pidFile, `${id.pid} ${id.startTime}${id.firing ? ' firing' : ''}\n`)
}

export function removeFencePid(root: string, pid: number): void {
  if (readFencePid(root)?.pid === pid) fs.rmSync(fencePaths(root).pidFile, {force: true})
}

/** The fence process of this root, if one is alive (its pid file names a live process started then). */
export function liveFence(root: string): FenceProcess | undefined {
  const id = readFencePid(root)
  return id && pidAlive(id.pid, id.startTime || undefined) ? id : undefined
}

/** What the fence does now with the arm it read. */
export type FenceStep =
  | {readonly kind: 'disarmed'}
  | {readonly kind: 'wait'; readonly ms: number}
  | {readonly kind: 'fire'; readonly arm: FenceArm}

/** How often the fence looks at its arm before the deadline: a disarm (the file removed) is seen within it. */
export const FENCE_POLL_MS = 1000

/**
 * The deadline the fence keeps: the arm's, or later when the keeper's lease file (lease.json,
 * written at each acknowledged keepalive, a moment BEFORE the agent re-arms the fence) shows a
 * newer acknowledgement of the same lease: an agent killed between the two writes, or a
 * restarted one resuming the lease, has renewed it, and the fence must not fire on the older one.
 */
export function fenceDeadline(arm: FenceArm, lease: PersistedLease | undefined): number {
  if (!lease || lease.id !== arm.lease || lease.bootId !== arm.bootId || lease.ttl !== arm.ttl) return arm.deadline
  return Math.max(arm.deadline, leaseDeadline(lease.sentAt, lease.ttl, arm.marginMs))
}

/**
 * No arm (or one of another boot): disarmed. Before its deadline (fenceDeadline): wait until
 * then (at most `pollMs`, to see a disarm). At or past it without a newer arm: fire.
 */
export function fenceStep(
  arm: FenceArm | undefined,
  now: number,
  boot: string,
  pollMs = FENCE_POLL_MS,
  lease?: PersistedLease,
): FenceStep {
  if (!arm || arm.bootId !== boot) return {kind: 'disarmed'}
  const deadline = fenceDeadline(arm, lease)
  if (now >= deadline) return {kind: 'fire', arm}
  return {kind: 'wait', ms: Math.min(pollMs, deadline - now)}
}

export interface FenceWatchOptions {
  /** The current arm (re-read at each step: the agent rewrites it at each renewal). */
  readonly read: () => FenceArm | undefined
  /** The keeper's lease file (src/cluster/lease.ts), re-read at each step too. */
  readonly readLease?: () => PersistedLease | undefined
  readonly clock: LeaseClock
  readonly bootId: string
  /** Stops the armed services; the watch ends once it returns. */
  readonly fire: (arm: FenceArm) => Promise<void>
  readonly pollMs?: number
}

/** The fence's loop: fires once, when the armed deadline passed without a newer arm; ends on a disarm. */
export class FenceWatch {
  private cancel?: () => void
  private wake?: () => void
  private ended = false

  constructor(private readonly options: FenceWatchOptions) {}

  async run(): Promise<'fired' | 'disarmed'> {
    const {clock} = this.options
    for (;;) {
      if (this.ended) return 'disarmed'
      const step = fenceStep(
        this.options.read(),
        clock.now(),
        this.options.bootId,
        this.options.pollMs,
        this.options.readLease?.(),
      )
      if (step.kind === 'disarmed') return 'disarmed'
      if (step.kind === 'fire') {
        await this.options.fire(step.arm)
        return 'fired'
      }
      await new Promise<void>(resolve => {
        this.wake = resolve
        this.cancel = clock.setTimer(resolve, step.ms)
      })
    }
  }

  /** Ends the watch (a disarm signalled): it returns 'disarmed' without firing. */
  end(): void {
    this.ended = true
    this.cancel?.()
    this.wake?.()
  }
}

/** Whether a process is stopped (SIGSTOP, or traced): it will not release a lock on its own. */
export function isStopped(pid: number, state: (pid: number) => string | undefined = processState): boolean {
  const s = state(pid)
  return s === 'T' || s === 't'
}

/**
 * The fence's rule for a service lock held by a live process (src/executor/lock.ts takeOver).
 * Past the lease's deadline only a stop is right, and another node may start the service a
 * margin later, so a stop refused for a lock would leave two nodes running it:
 * - a stopped holder (the agent SIGSTOPped mid-action) never lets go: its lock is taken at once,
 *   as a dead holder's is recovered;
 * - the agent that armed the fence, when it said it is demoting (its keeper said "lost" and it is
 *   stopping the services itself): waited for, it does what the fence would do;
 * - any other live holder (the agent stuck, a user's command): waited for `marginMs`, then taken.
 */
export function fenceTakesLock(o: {
  readonly marginMs: number
  /** The agent demoting now (re-read: it may say so after the fence fired). */
  readonly demotingAgent: () => ProcessId | undefined
  readonly stopped?: (pid: number) => boolean
}): (owner: LockOwner, waitedMs: number) => boolean {
  const stopped = o.stopped ?? isStopped
  return (owner, waitedMs) => {
    if (owner.pid > 0 && stopped(owner.pid)) return true
    const demoting = o.demotingAgent()
    if (demoting && demoting.pid === owner.pid && demoting.startTime === owner.starttime) return false
    return waitedMs >= o.marginMs
  }
}

let cachedBootId: string | undefined
/** The kernel's boot id ('' when unreadable). */
export function bootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
    } catch {
      cachedBootId = ''
    }
  }
  return cachedBootId
}
