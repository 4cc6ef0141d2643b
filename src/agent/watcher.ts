/**
 * The agent's watch of one service: the drivers' change streams (the `watch` capability: a
 * container's death at once) and a poll every monitor_interval, each leading to a check: the
 * drivers' status as print status gathers it (src/services/status.ts), the decision
 * (./decide.ts), and the action, through runServiceAction as a command runs it (the same plan,
 * the same service lock, the service log with the actor `agent`).
 *
 * Checks of a service never overlap: a change seen during one makes it run again after. The
 * agent never waits for a user's action: a check that finds the lock held comes back once it is
 * free. What it acts on is checked again under the lock (the precondition): the intent, the
 * frozen flag, the monitor state, and that the resources are still down.
 */
import fs from 'node:fs'
import {acquireServiceLock, lockFile, lockState} from '../executor/lock.js'
import type {ExecutionObserver} from '../executor/observer.js'
import {createDriverContext, type ContextShared} from '../drivers/context.js'
import type {ResourceChange} from '../drivers/api.js'
import {EventBus, type EventSink} from '../log/events.js'
import type {Service} from '../model/service.js'
import {buildPlan} from '../planner/plan.js'
import {runServiceAction} from '../services/actions.js'
import type {Session} from '../services/session.js'
import {serviceStatus} from '../services/status.js'
import type {ServiceStatusReport} from '../status/status.js'
import {LockError} from '../errors.js'
import {type Decision, decide, type DownResource} from './decide.js'
import type {AgentLog} from './log.js'
import {type AgentEvent, type MonitorState, readIntent, readMonitorState, writeMonitorState} from './state.js'

/** How often a check deferred by a held lock looks at the lock again. */
const LOCK_POLL_MS = 500
const DOWN: ReadonlySet<string> = new Set(['down', 'stdby down'])

export interface WatcherDeps {
  readonly session: Session
  readonly log: AgentLog
  /** The agent's actions' signals: its second SIGTERM/SIGINT aborts them; the first lets them finish. */
  readonly signals: {readonly abort: AbortSignal; readonly cut: AbortSignal}
  /** The view of one action (its lines on stderr). */
  readonly view: (service: string, action: string) => ExecutionObserver
  /** The agent's last event (agent.json). */
  readonly noteEvent: (e: AgentEvent) => void
  /** Why the agent must not act on the service now (a cluster service this node does not own), or undefined. */
  readonly gate?: (name: string) => string | undefined
}

/** Whether the agent watches a service: started (by a user or by the agent), not frozen. */
export function isWatched(session: Session, name: string): boolean {
  if (!session.store.exists(name) || session.store.isFrozen(name)) return false
  return readIntent(session.store.varDir(name))?.intent === 'started'
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>(resolve => {
    if (signal.aborted) return resolve()
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, {once: true})
  })

export class ServiceWatcher {
  private readonly stopping = new AbortController()
  private subscriptions: AbortController | undefined
  private compiled: {key: string; service?: Service; problem?: string} | undefined
  private pollTimer: NodeJS.Timeout | undefined
  private lockTimer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private again: string | undefined
  /** What was said of resources left down, so it is said once until they change. */
  private said = ''
  /** This watcher has a restart in flight (a monitor state `restarting` not ours is a dead agent's). */
  private acting = false
  /** The last check found the instance failed. */
  private failedSeen = false

  constructor(
    readonly name: string,
    private readonly deps: WatcherDeps,
  ) {}

  private get varDir(): string {
    return this.deps.session.store.varDir(this.name)
  }

  start(): void {
    this.request('watch begins')
  }

  /** Stops watching; resolves once the check in progress (and its action) ended. */
  async stop(): Promise<void> {
    this.stopping.abort()
    this.subscriptions?.abort()
    clearTimeout(this.pollTimer)
    clearTimeout(this.lockTimer)
    await this.running
  }

  /**
   * Called at each agent tick: a failed state that was cleared (`clear` rewrote monitor.json;
   * a user's start or stop also does) is checked at once, not at the next poll.
   */
  tick(): void {
    if (!this.failedSeen) return
    if (readMonitorState(this.varDir).state === 'failed') return
    this.failedSeen = false
    this.request('failed state cleared')
  }

  /** A check, now or after the one running. */
  request(reason: string): void {
    if (this.stopping.signal.aborted) return
    if (this.running) {
      this.again ??= reason
      return
    }
    clearTimeout(this.pollTimer)
    this.running = (async () => {
      let next: string | undefined = reason
      while (next !== undefined && !this.stopping.signal.aborted) {
        this.again = undefined
        try {
          await this.check(next)
        } catch (error) {
          this.deps.log.error(`check failed: ${(error as Error).message}`, {service: this.name})
        }
        next = this.again
      }
    })().finally(() => {
      this.running = undefined
      this.schedulePoll()
    })
  }

  private schedulePoll(): void {
    if (this.stopping.signal.aborted) return
    clearTimeout(this.pollTimer)
    const interval = (this.compiled?.service?.kw.monitor_interval as number | undefined) ?? 10_000
    this.pollTimer = setTimeout(() => this.request('poll'), interval)
    this.pollTimer.unref?.()
  }

  /** The compiled service (strict: a config that does not validate cannot be restarted), again when the file changed. */
  private async service(): Promise<{service?: Service; problem?: string}> {
    const file = this.deps.session.store.configPath(this.name)
    const st = fs.statSync(file, {throwIfNoEntry: false})
    const key = st ? `${st.ino}:${st.size}:${st.mtimeMs}` : 'absent'
    if (this.compiled?.key === key) return this.compiled
    let compiled: {key: string; service?: Service; problem?: string}
    try {
      compiled = {key, service: (await this.deps.session.load(this.name)).service}
    } catch (error) {
      compiled = {key, problem: (error as Error).message}
      this.deps.log.warn(`its config cannot be used to act on it: ${compiled.problem}`, {service: this.name})
    }
    this.compiled = compiled
    this.subscribe(compiled.service)
    return compiled
  }

  /** The drivers' change streams of the service's resources (the `watch` capability). */
  private subscribe(service: Service | undefined): void {
    this.subscriptions?.abort()
    this.subscriptions = undefined
    if (!service) return
    const subscriptions = new AbortController()
    this.subscriptions = subscriptions
    const sink: EventSink = {
      emit: e => {
        // a driver's trouble with its stream (an engine gone): said once per message
        if (e.level === 'warn' || e.level === 'error') this.sayOnce(`${e.rid ?? ''}:${e.message}`, e.message, e.rid)
      },
    }
    const shared: ContextShared = {
      service,
      settings: this.deps.session.driverSettings,
      sink: new EventBus(sink),
      signal: subscriptions.signal,
      cache: new Map(),
    }
    for (const r of service.resources) {
      const watch = r.driver.capabilities?.watch
      if (!watch || r.disabled) continue
      const onChange = (c: ResourceChange) => {
        if (c.event !== 'resync')
          this.deps.log.info(`${c.message} (${c.event} event)`, {service: this.name, rid: c.rid})
        this.request(`${c.rid}: ${c.event}`)
      }
      watch(createDriverContext(shared, r), onChange, subscriptions.signal).catch((error: Error) =>
        this.deps.log.warn(`cannot watch its changes: ${error.message}; polled every monitor_interval`, {
          service: this.name,
          rid: r.rid,
        }),
      )
    }
  }

  private troubles = new Set<string>()
  private sayOnce(key: string, message: string, rid?: string): void {
    if (this.troubles.has(key)) return
    this.troubles.add(key)
    this.deps.log.warn(message, {service: this.name, rid})
  }

  /** A check deferred by a held lock: again once it is free (no user action is ever waited on with the lock asked for). */
  private deferUntilUnlocked(): void {
    clearTimeout(this.lockTimer)
    const poll = () => {
      if (this.stopping.signal.aborted) return
      if (lockState(lockFile(this.varDir)).state === 'held') {
        this.lockTimer = setTimeout(poll, LOCK_POLL_MS)
        return
      }
      this.request('lock released')
    }
    this.lockTimer = setTimeout(poll, LOCK_POLL_MS)
  }

  private async check(reason: string): Promise<void> {
    const {session, log} = this.deps
    if (!isWatched(session, this.name)) return
    const {service, problem} = await this.service()
    const gated = this.deps.gate?.(this.name)
    if (gated) {
      log.debug(`not acted on: ${gated}`, {service: this.name})
      return
    }
    let monitor = readMonitorState(this.varDir)
    this.failedSeen = monitor.state === 'failed'
    if (this.failedSeen) return
    const lock = lockState(lockFile(this.varDir))
    if (lock.state === 'held') {
      log.debug(`locked by pid ${lock.owner.pid} (${lock.owner.action}): checking again once it is free`, {
        service: this.name,
      })
      this.deferUntilUnlocked()
      return
    }
    if (monitor.state === 'restarting' && !this.acting) monitor = this.forgiveInterrupted(monitor)
    log.debug(`check (${reason})`, {service: this.name})
    const report = await serviceStatus(session, this.name)
    monitor = this.updateMonitor(m => ({...m, last_check: new Date().toISOString()})) ?? monitor
    if (!service) return void (problem && this.say(`left alone: ${problem}`))
    const decision = decide({
      watched: true,
      monitor,
      down: downResources(service, report),
      restartCovers: rids => new Set(buildPlan(service, 'restart', {rids}).tasks.map(t => t.rid)),
    })
    await this.act(service, decision)
  }

  /**
   * A `restarting` state no live agent is carrying out: its agent died mid-restart; that attempt
   * never concluded. The first such attempt of a resource is not counted; a second one is, so
   * an agent killed at every restart of it still runs out of restarts.
   */
  private forgiveInterrupted(monitor: MonitorState): MonitorState {
    const rids = monitor.restarting ?? []
    const restarts = {...monitor.restarts}
    const forgiven = {...monitor.forgiven}
    const counted = rids.filter(rid => (forgiven[rid] ?? 0) >= 1)
    for (const rid of rids)
      if ((forgiven[rid] ?? 0) < 1) {
        restarts[rid] = Math.max(0, (restarts[rid] ?? 0) - 1)
        forgiven[rid] = (forgiven[rid] ?? 0) + 1
      }
    this.deps.log.warn(
      `the restart of ${rids.join(', ') || 'its resources'} was interrupted (the agent doing it died): ${
        counted.length ? `counted for ${counted.join(', ')} (interrupted before)` : 'not counted'
      }, checking again`,
      {service: this.name},
    )
    return (
      this.updateMonitor(m =>
        m.state === 'restarting' ? {...m, state: 'idle', reason: undefined, restarting: [], restarts, forgiven} : m,
      ) ?? monitor
    )
  }

  /** Read, change, write monitor.json (the read right before the write: a user's reset in between is kept). */
  private updateMonitor(change: (m: MonitorState) => Omit<MonitorState, 'version'>): MonitorState | undefined {
    try {
      const next = change(readMonitorState(this.varDir))
      writeMonitorState(this.varDir, next)
      return readMonitorState(this.varDir)
    } catch (error) {
      this.sayOnce(
        `monitor.json:${(error as Error).message}`,
        `cannot write its monitor state: ${(error as Error).message}`,
      )
      return undefined
    }
  }

  private say(message: string, level: 'info' | 'warn' = 'warn'): void {
    if (this.said === message) return
    this.said = message
    const e = this.deps.log.emit(level, message, {service: this.name})
    this.deps.noteEvent({time: e.time, service: this.name, message})
  }

  private async act(service: Service, decision: Decision): Promise<void> {
    switch (decision.kind) {
      case 'none':
        this.said = ''
        return
      case 'left-down':
        return this.say(`${decision.why}: left down (no restart left; monitor = false)`)
      case 'fail':
        return this.fail(decision.reason)
      case 'restart':
        return this.restart(service, decision)
    }
  }

  /** The failed state, under the lock: the agent does nothing more for the service until clear or a user's start or stop. */
  private async fail(reason: string): Promise<void> {
    let lock
    try {
      lock = await acquireServiceLock(this.varDir, this.name, 'monitor', {waitMs: 0})
    } catch (error) {
      if (error instanceof LockError) return this.deferUntilUnlocked()
      throw error
    }
    try {
      if (!isWatched(this.deps.session, this.name) || readMonitorState(this.varDir).state === 'failed') return
      this.updateMonitor(m => ({...m, state: 'failed', reason, restarting: []}))
      this.failedSeen = true
    } finally {
      lock.release()
    }
    const e = this.deps.log.error(
      `instance failed: ${reason}; the agent does nothing more for it until \`svcmgr -s ${this.name} clear\`, start or stop`,
      {service: this.name},
    )
    this.deps.noteEvent({time: e.time, service: this.name, message: `failed: ${reason}`})
  }

  private async restart(service: Service, d: Extract<Decision, {kind: 'restart'}>): Promise<void> {
    const {log} = this.deps
    const which = d.rids.map(rid => `${rid} (restart ${d.attempts[rid].n} of ${d.attempts[rid].of})`).join(', ')
    for (const rid of d.rids)
      log.warn(`down: restart ${d.attempts[rid].n} of ${d.attempts[rid].of} in ${d.delayMs}ms`, {
        service: this.name,
        rid,
      })
    await sleep(d.delayMs, this.stopping.signal)
    if (this.stopping.signal.aborted) return
    this.said = ''
    this.acting = true
    try {
      const outcome = await runServiceAction(this.deps.session, {
        service: this.name,
        action: 'restart',
        selection: {rids: d.rids},
        actor: 'agent',
        view: this.deps.view(this.name, 'restart'),
        signals: this.deps.signals,
        waitlockMs: 0,
        precondition: () => this.stillWanted(service, d),
      })
      if (outcome.skipped) {
        log.info(`restart of ${d.rids.join(', ')} not needed: ${outcome.skipped}`, {service: this.name})
      } else {
        const e = outcome.ok
          ? log.info(`restarted ${which}`, {service: this.name})
          : log.error(`restart of ${which} failed: ${outcome.result?.error ?? 'interrupted'}`, {service: this.name})
        this.deps.noteEvent({
          time: e.time,
          service: this.name,
          ...(d.rids.length === 1 ? {rid: d.rids[0]} : {}),
          message: e.message,
        })
      }
    } catch (error) {
      if (error instanceof LockError) {
        log.info(`a user action took the lock first: checking again once it is free`, {service: this.name})
        this.deferUntilUnlocked()
        return
      }
      throw error
    } finally {
      this.acting = false
      this.updateMonitor(m => (m.state === 'restarting' ? {...m, state: 'idle', reason: undefined, restarting: []} : m))
    }
    // what the restart left is checked at once (it may have failed, or another resource went down)
    this.request('after restart')
  }

  /**
   * Under the service lock, before the restart runs: still watched (no user stop or freeze
   * meanwhile), not failed, the restarts not reset nor used by another, and still down. Then the
   * attempt is counted, first: an agent killed during the restart leaves it recorded.
   */
  private async stillWanted(service: Service, d: Extract<Decision, {kind: 'restart'}>): Promise<string | undefined> {
    if (!isWatched(this.deps.session, this.name))
      return 'the service is no longer started (stopped or frozen by a user)'
    const gated = this.deps.gate?.(this.name)
    if (gated) return gated
    const m = readMonitorState(this.varDir)
    if (m.state === 'failed') return `the instance is failed: ${m.reason ?? ''}`
    if (d.rids.some(rid => (m.restarts[rid] ?? 0) !== d.attempts[rid].n - 1))
      return 'its restart counts changed meanwhile (a user start or stop): checking again'
    const report = await serviceStatus(this.deps.session, this.name)
    const down = new Set(downResources(service, report).map(r => r.rid))
    if (!d.rids.some(rid => down.has(rid))) return `${d.rids.join(', ')} up again`
    const restarts = {...m.restarts}
    for (const rid of d.rids) restarts[rid] = d.attempts[rid].n
    this.updateMonitor(() => ({
      ...m,
      state: 'restarting',
      reason: `restarting ${d.rids.join(', ')}`,
      restarts,
      restarting: d.rids,
    }))
    return undefined
  }
}

/** The resources found down, with their restart keywords. */
export function downResources(service: Service, report: ServiceStatusReport): DownResource[] {
  const out: DownResource[] = []
  for (const [rid, r] of Object.entries(report.resources)) {
    if (!DOWN.has(r.status) || r.disabled) continue
    const res = service.resource(rid)
    if (!res) continue
    out.push({rid, restart: res.restart, restartDelay: res.restartDelay, monitor: res.monitor})
  }
  return out
}
