/**
 * The lease keeper, Patroni's way: one etcd lease of `ttl` seconds, renewed every ttl/3, and
 * a LOCAL deadline on the monotonic clock: the time the last acknowledged keepalive was SENT
 * + ttl − margin. etcd restarts a lease's countdown when the keepalive reaches it, which is
 * after it was sent, so the local deadline always comes before the server can expire the
 * lease, whatever the network did in between; the margin covers the two clocks' rates. When
 * the deadline passes without a newer acknowledgement the keeper says "lost" on its own: it
 * never waits for the server (cut off, it would never hear) nor for an error.
 *
 * The lease id and the send time of its last acknowledged keepalive are kept in a file under
 * the state root, on the system-wide monotonic clock (CLOCK_MONOTONIC, shared by every
 * process): a keeper restarted within the deadline resumes the same lease, and the keys bound
 * to it (ownership, presence) stay.
 */
import {EventEmitter} from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import type {EtcdClient} from './etcd/client.js'

/** A monotonic clock in ms and timers on it (tests give a fake one). */
export interface LeaseClock {
  now(): number
  setTimer(fn: () => void, ms: number): () => void
}

/** CLOCK_MONOTONIC in ms: the same clock in every process of the machine (not reset by NTP). */
export const monotonicClock: LeaseClock = {
  now: () => Number(process.hrtime.bigint() / 1_000_000n),
  setTimer(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms))
    return () => clearTimeout(t)
  },
}

/** The safety margin taken off the TTL: a fifth of it, at least 500 ms. */
export function leaseMarginMs(ttlSeconds: number): number {
  return Math.max(500, Math.round((ttlSeconds * 1000) / 5))
}

/** The renewal period: a third of the TTL. */
export function renewIntervalMs(ttlSeconds: number): number {
  return Math.round((ttlSeconds * 1000) / 3)
}

/** The local deadline of a lease whose last acknowledged keepalive was sent at `sentAt`. */
export function leaseDeadline(sentAt: number, ttlSeconds: number, marginMs = leaseMarginMs(ttlSeconds)): number {
  return sentAt + ttlSeconds * 1000 - marginMs
}

export type LostReason = 'deadline' | 'not-found' | 'stopped'

export interface LeaseKeeperOptions {
  readonly client: Pick<EtcdClient, 'leaseGrant' | 'leaseKeepAlive' | 'leaseRevoke'>
  readonly ttl: number
  /** Where the lease id is kept (a resumed agent reads it); none: no resume. */
  readonly stateFile?: string
  readonly clock?: LeaseClock
  readonly marginMs?: number
}

export interface LeaseState {
  readonly id: string
  readonly ttl: number
  /** Monotonic ms: when the last acknowledged keepalive (or the grant) was sent. */
  readonly sentAt: number
  readonly deadline: number
}

/** The lease file's content: written at each grant and acknowledged keepalive (the fence reads it too). */
export interface PersistedLease {
  id: string
  ttl: number
  /** Monotonic ms: when the last acknowledged keepalive (or the grant) was sent. */
  sentAt: number
  bootId: string
}
type Persisted = PersistedLease

/** The lease file as the keeper wrote it; undefined when absent or unreadable. */
export function readLeaseFile(file: string): PersistedLease | undefined {
  try {
    const p = JSON.parse(fs.readFileSync(file, 'utf8')) as PersistedLease
    return typeof p.id === 'string' && typeof p.sentAt === 'number' ? p : undefined
  } catch {
    return undefined
  }
}

/**
 * Events: 'granted' (LeaseState, resumed: boolean), 'renewed' (LeaseState), 'lost' (reason,
 * lease id). After 'lost' the keeper holds nothing (it tries to revoke the lost lease in the
 * background, so that its keys go as soon as etcd hears it): start() again grants a new lease.
 */
export class LeaseKeeper extends EventEmitter {
  readonly ttl: number
  readonly marginMs: number
  private readonly clock: LeaseClock
  private current?: LeaseState
  private cancelRenew?: () => void
  private cancelDeadline?: () => void
  private renewing = false
  private stopped = true

  constructor(private readonly options: LeaseKeeperOptions) {
    super()
    this.ttl = options.ttl
    this.clock = options.clock ?? monotonicClock
    this.marginMs = options.marginMs ?? leaseMarginMs(options.ttl)
  }

  /** The lease held now (undefined: none, or lost). */
  get lease(): LeaseState | undefined {
    return this.current
  }

  /** Time left before the local deadline, in ms (0: none held). */
  remainingMs(): number {
    return this.current ? Math.max(0, this.current.deadline - this.clock.now()) : 0
  }

  /**
   * Whether start() may resume the persisted lease: one was saved on this boot with this TTL and
   * its local deadline has not passed (etcd may still refuse it). False: a start grants a new one,
   * and whatever the old one held must be taken as lost.
   */
  resumable(): boolean {
    const saved = this.readPersisted()
    return (
      saved !== undefined &&
      saved.bootId === bootId() &&
      saved.ttl === this.ttl &&
      this.clock.now() < leaseDeadline(saved.sentAt, saved.ttl, this.marginMs)
    )
  }

  /**
   * Resumes the persisted lease if its deadline has not passed and etcd still has it, else
   * grants a new one (revoking a persisted one past its deadline: what it held is not ours
   * any more). Throws when etcd cannot be reached before the call's deadline.
   */
  async start(): Promise<LeaseState> {
    this.stopped = false
    const saved = this.readPersisted()
    if (saved && saved.bootId === bootId() && saved.ttl === this.ttl) {
      const deadline = leaseDeadline(saved.sentAt, saved.ttl, this.marginMs)
      if (this.clock.now() < deadline) {
        const sentAt = this.clock.now()
        const ttl = await this.options.client
          .leaseKeepAlive(saved.id, {timeoutMs: Math.max(1, deadline - sentAt)})
          .catch(() => 0)
        if (ttl > 0) {
          this.hold({id: saved.id, ttl: this.ttl, sentAt, deadline: leaseDeadline(sentAt, this.ttl, this.marginMs)})
          this.emit('granted', this.current, true)
          return this.current!
        }
      } else {
        await this.options.client.leaseRevoke(saved.id, {timeoutMs: 2000}).catch(() => undefined)
      }
    }
    const sentAt = this.clock.now()
    const granted = await this.options.client.leaseGrant(this.ttl)
    this.hold({id: granted.id, ttl: this.ttl, sentAt, deadline: leaseDeadline(sentAt, this.ttl, this.marginMs)})
    this.emit('granted', this.current, false)
    return this.current!
  }

  /** Stops renewing; revoke: also revoke the lease (its keys go at once) and forget it. */
  async stop(options: {revoke?: boolean} = {}): Promise<void> {
    this.stopped = true
    this.cancelRenew?.()
    this.cancelDeadline?.()
    const held = this.current
    this.current = undefined
    if (options.revoke && held) {
      await this.options.client.leaseRevoke(held.id, {timeoutMs: 2000}).catch(() => undefined)
      this.forgetPersisted()
    }
  }

  private hold(state: LeaseState): void {
    this.current = state
    this.persist(state)
    this.armDeadline()
    this.scheduleRenew()
  }

  private armDeadline(): void {
    this.cancelDeadline?.()
    const held = this.current
    if (!held) return
    this.cancelDeadline = this.clock.setTimer(() => {
      // a renewal acknowledged meanwhile moved the deadline and re-armed this timer
      if (this.current === held) this.lose('deadline')
    }, held.deadline - this.clock.now())
  }

  private scheduleRenew(): void {
    this.cancelRenew?.()
    if (this.stopped) return
    this.cancelRenew = this.clock.setTimer(() => void this.renew(), renewIntervalMs(this.ttl))
  }

  private async renew(): Promise<void> {
    const held = this.current
    if (!held || this.stopped || this.renewing) return
    this.renewing = true
    const sentAt = this.clock.now()
    let ttl: number | undefined
    try {
      // an answer after the deadline is worth nothing: do not wait past it
      ttl = await this.options.client.leaseKeepAlive(held.id, {timeoutMs: Math.max(1, held.deadline - sentAt)})
    } catch {
      ttl = undefined
    } finally {
      this.renewing = false
    }
    if (this.current !== held) return // lost or stopped meanwhile
    if (ttl === 0) return this.lose('not-found')
    if (ttl !== undefined) {
      const next = {...held, sentAt, deadline: leaseDeadline(sentAt, this.ttl, this.marginMs)}
      // acknowledged after the deadline fired? then lose() already ran and current changed
      this.current = next
      this.persist(next)
      this.armDeadline()
      this.emit('renewed', next)
    }
    this.scheduleRenew()
  }

  private lose(reason: LostReason): void {
    const held = this.current
    this.current = undefined
    this.cancelRenew?.()
    this.cancelDeadline?.()
    this.stopped = true
    this.forgetPersisted()
    if (!held) return
    this.emit('lost', reason, held.id)
    // given up: if etcd can be reached again before the lease expires there, its keys go at
    // once instead of at expiry (best effort; a cut-off node's revoke simply fails)
    if (reason === 'deadline')
      this.options.client.leaseRevoke(held.id, {timeoutMs: this.ttl * 1000}).catch(() => undefined)
  }

  private readPersisted(): Persisted | undefined {
    return this.options.stateFile ? readLeaseFile(this.options.stateFile) : undefined
  }

  private persist(state: LeaseState): void {
    const file = this.options.stateFile
    if (!file) return
    const data: Persisted = {id: state.id, ttl: state.ttl, sentAt: state.sentAt, bootId: bootId()}
    fs.mkdirSync(path.dirname(file), {recursive: true, mode: 0o700})
    const tmp = `${file}.${process.pid}.tmp`
    fs.writeFileSync(tmp, JSON.stringify(data) + '\n', {mode: 0o600})
    fs.renameSync(tmp, file)
  }

  private forgetPersisted(): void {
    if (this.options.stateFile) fs.rmSync(this.options.stateFile, {force: true})
  }
}

let cachedBootId: string | undefined
/** The kernel's boot id: a monotonic time saved before a reboot means nothing after it. */
function bootId(): string {
  if (cachedBootId === undefined) {
    try {
      cachedBootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
    } catch {
      cachedBootId = ''
    }
  }
  return cachedBootId
}
