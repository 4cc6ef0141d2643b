/**
 * The node agent's cluster side (issue 15), loaded only when the `etcd` setting is there.
 *
 * It holds the node's lease (src/cluster/lease.ts) and its presence key, watches /svcmgr/ and,
 * at each change and every renewal period, reconciles: every node's local copy of the cluster's
 * configs follows etcd (created, updated, deleted), and for each cluster service
 * (orchestrate = ha) whose `nodes` names this node it decides (./cluster-decide.ts) and acts:
 * acquire the owner key, start, stop, stop then release, end a move. Its instance record
 * (src/cluster/instances.ts) is published on its lease on change and at least every TTL/2.
 *
 * Demotion is on the local deadline: when the keeper says "lost" every action in progress is
 * aborted and every cluster service of this node is stopped at once, without asking etcd,
 * before another node can acquire (the lease cannot expire there before the deadline + margin).
 * The agent then joins again with a new lease; the ownership it had is gone.
 */
import path from 'node:path'
import {EtcdClient} from '../cluster/etcd/client.js'
import {writeLocalCopy, localCopyRevision} from '../cluster/config-store.js'
import {
  type InstanceRecord,
  type InstanceTransition,
  deleteTarget,
  parseFrozen,
  parseInstance,
  parseTarget,
  publishInstance,
} from '../cluster/instances.js'
import {PRESENCE_PREFIX, SERVICES_PREFIX, instanceKey} from '../cluster/keys.js'
import {LeaseKeeper, type LeaseState, renewIntervalMs} from '../cluster/lease.js'
import {acquireOwnership, readOwnerOnly, releaseOwnership} from '../cluster/ownership.js'
import {announcePresence} from '../cluster/presence.js'
import type {KeyValue, Watch, WatchEvent} from '../cluster/etcd/client.js'
import type {ExecutionObserver} from '../executor/observer.js'
import {LockError} from '../errors.js'
import type {ServiceAction} from '../planner/types.js'
import {runServiceAction} from '../services/actions.js'
import type {Session} from '../services/session.js'
import {serviceStatus} from '../services/status.js'
import type {ServiceStatusReport} from '../status/status.js'
import {decideCluster, type ClusterDecision} from './cluster-decide.js'
import {FenceControl} from './fence-control.js'
import type {AgentLog} from './log.js'
import {type AgentEvent, agentPaths, readIntent, readMonitorState, writeMonitorState} from './state.js'

export interface ClusterAgentDeps {
  readonly session: Session
  readonly log: AgentLog
  /** The view of one action (its lines on stderr). */
  readonly view: (service: string, action: string) => ExecutionObserver
  /** The agent's second signal: actions are interrupted. */
  readonly interrupt: AbortSignal
  readonly noteEvent: (e: AgentEvent) => void
  /** svcmgr's bin/run.js, absolute: what the fence (./fence.ts) is spawned from. */
  readonly script: string
}

interface ServiceKeys {
  config?: KeyValue
  owner?: KeyValue
  frozen?: KeyValue
  target?: KeyValue
  instances: Map<string, KeyValue>
}

export class ClusterAgent {
  readonly ttl: number
  private readonly client: EtcdClient
  private readonly keeper: LeaseKeeper
  private readonly me: string
  /** Services whose owner key is on the current lease, as last read (or just acquired). */
  private readonly owned = new Set<string>()
  /** Aborted at each demotion: the cluster actions in progress (and the local watchers' restarts) end. */
  private demotion = new AbortController()
  private watch?: Watch
  private wake?: () => void
  private woken = false
  private readonly published = new Map<string, {text: string; at: number}>()
  private readonly lastAvail = new Map<string, {avail: InstanceRecord['avail']; transition?: InstanceTransition}>()
  private readonly said = new Map<string, string>()
  private lastPresence = 0
  private demoting: Promise<void> = Promise.resolve()
  /** Which service an action of this agent is on: one at a time per service. */
  private readonly busy = new Set<string>()
  /** Services seen frozen cluster-wide at the last reconcile, and when each was last seen thawed. */
  private readonly frozenSeen = new Set<string>()
  private readonly thawedAt = new Map<string, number>()
  /** Services with a decision being carried out (acquire, then start). */
  private readonly pending = new Set<string>()
  /** The watchdog that stops the cluster services here if this agent stops renewing (./fence.ts). */
  private readonly fence: FenceControl

  constructor(private readonly deps: ClusterAgentDeps) {
    const settings = deps.session.settings
    this.me = settings.nodename
    this.ttl = settings.leaseTtl
    // a call never waits longer than half the TTL: the reconcile loop goes on, the keeper has its own deadlines
    this.client = new EtcdClient({
      endpoints: settings.etcd!,
      timeoutMs: Math.min(5000, Math.max(1000, (this.ttl * 1000) / 2)),
    })
    this.keeper = new LeaseKeeper({
      client: this.client,
      ttl: this.ttl,
      stateFile: agentPaths(settings.root).leaseFile,
    })
    const env: NodeJS.ProcessEnv = {...process.env, SVCMGR_ROOT: settings.root}
    if (settings.source && settings.source !== 'defaults' && path.isAbsolute(settings.source))
      env.SVCMGR_CONFIG = settings.source
    this.fence = new FenceControl({
      root: settings.root,
      script: deps.script,
      env,
      log: deps.log,
      marginMs: this.keeper.marginMs,
    })
    this.keeper.on('lost', (reason: string, id: string) => this.onLost(reason, id))
    this.keeper.on('granted', (s: LeaseState, resumed: boolean) => {
      deps.log.info(resumed ? `lease ${s.id} resumed (its keys are kept)` : `lease ${s.id} granted (TTL ${this.ttl}s)`)
      this.armFence(s)
    })
    // re-armed at each acknowledged renewal: the fence's deadline is the keeper's
    this.keeper.on('renewed', (s: LeaseState) => this.armFence(s))
  }

  /** The fence armed with the lease's deadline and every cluster service of this node (all of them stop on a lost lease). */
  private armFence(lease: LeaseState | undefined = this.keeper.lease): void {
    if (!lease) return
    try {
      const services = this.deps.session.store.list().filter(n => this.isClusterService(n))
      this.fence.arm(lease, services)
    } catch (error) {
      this.sayOnce('fence', `cannot arm the fence: ${(error as Error).message}`)
    }
  }

  /** The signal of the agent's actions: the agent's interrupt, or this lease's demotion. */
  get signal(): AbortSignal {
    return AbortSignal.any([this.deps.interrupt, this.demotion.signal])
  }

  /** Whether this is a cluster service (its local copy came from etcd). */
  isClusterService(name: string): boolean {
    const s = this.deps.session.settings
    return localCopyRevision({varDir: s.varDir}, name) !== undefined
  }

  /** For the local watcher: why it must not act on a service (a cluster service this node does not own now). */
  gate(name: string): string | undefined {
    if (!this.isClusterService(name)) return undefined
    if (!this.keeper.lease) return 'a cluster service and this node holds no lease'
    if (!this.owned.has(name)) return 'a cluster service this node does not own'
    return undefined
  }

  /** Runs until `stop` aborts; then hands over (handOver). */
  async run(stop: AbortSignal): Promise<void> {
    const period = Math.min(5000, Math.max(500, renewIntervalMs(this.ttl)))
    const onStop = () => this.wake?.()
    stop.addEventListener('abort', onStop, {once: true})
    try {
      while (!stop.aborted) {
        if (!this.keeper.lease) {
          try {
            await this.join()
          } catch (error) {
            this.sayOnce('join', `cannot join the cluster: ${(error as Error).message}; trying again`)
            await this.pause(1000)
            continue
          }
        }
        try {
          await this.reconcile()
          this.said.delete('reconcile')
        } catch (error) {
          this.sayOnce('reconcile', `cannot read the cluster: ${(error as Error).message}; nothing decided`)
        }
        await this.pause(period)
      }
    } finally {
      stop.removeEventListener('abort', onStop)
      this.watch?.close()
      const clean = await this.handOver()
      await this.demoting
      // stopped cleanly, nothing is left for the fence; else it stays armed and stops them at the deadline
      if (clean) await this.fence.disarm()
      else this.deps.log.warn('the fence stays armed: it stops the cluster services here at the deadline')
      this.client.close()
    }
  }

  /**
   * The agent stops (its first signal): a lease left to expire would let another node start
   * what still runs here, so, as Patroni does, it stops the cluster services here and, when
   * every stop succeeded, revokes its lease: its ownership, presence and records go at once and
   * the next node takes over without waiting for the TTL. A failed stop keeps the lease until
   * it expires (the service's state here is then unknown).
   */
  private async handOver(): Promise<boolean> {
    const lease = this.keeper.lease
    if (!lease) {
      await this.keeper.stop()
      return true
    }
    // frozen cluster-wide: nobody starts it elsewhere, so it is left running (no owner once the lease ends)
    const names = this.deps.session.store.list().filter(n => this.isClusterService(n) && !this.frozenSeen.has(n))
    const results = await Promise.all(
      names.map(name => this.act(name, 'stop', 'the agent stops', {waitlockMs: this.ttl * 1000, demote: true})),
    )
    const clean = results.every(r => r !== false)
    if (!clean) this.deps.log.error('a stop failed: the lease is left to expire (not revoked)')
    await this.keeper.stop({revoke: clean})
    this.deps.log.info(clean ? `lease ${lease.id} revoked: the other nodes take over` : `lease ${lease.id} kept`)
    return clean
  }

  private pause(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false
      return Promise.resolve()
    }
    return new Promise<void>(resolve => {
      const t = setTimeout(done, ms)
      function done() {
        clearTimeout(t)
        resolve()
      }
      this.wake = () => {
        this.wake = undefined
        done()
      }
    }).then(() => {
      this.woken = false
    })
  }

  private poke(): void {
    this.woken = true
    this.wake?.()
  }

  private sayOnce(key: string, message: string, level: 'info' | 'warn' = 'warn', service?: string): void {
    if (this.said.get(key) === message) return
    this.said.set(key, message)
    const e = this.deps.log.emit(level, message, service ? {service} : {})
    if (service) this.deps.noteEvent({time: e.time, service, message})
  }

  private async join(): Promise<void> {
    // a lease that cannot be resumed is lost: what ran under it here stops before a new one is asked for
    if (!this.keeper.resumable()) await this.stopAllHere('this node holds no lease')
    const state = await this.keeper.start()
    this.said.delete('join')
    await announcePresence(this.client, this.me, state.id)
    this.lastPresence = Date.now()
    this.published.clear()
    // any change but this node's own instance records (which it writes at least every TTL/2)
    const own = `/instances/${this.me}`
    const relevant = (events: readonly WatchEvent[]) => events.some(e => !e.kv.key.endsWith(own))
    this.watch ??= this.client.watch(
      SERVICES_PREFIX.slice(0, -'services/'.length),
      events => {
        if (relevant(events)) this.poke()
      },
      {
        prefix: true,
        onReconnect: () => this.poke(),
        onError: error => {
          this.deps.log.warn(`the watch of the cluster ended: ${error.message}; polling`)
          this.watch = undefined
        },
      },
    )
  }

  /** The keeper's deadline passed (or etcd lost the lease): stop every cluster service here, now. */
  private onLost(reason: string, id: string): void {
    this.deps.log.warn(
      `lease ${id} lost (${reason === 'deadline' ? 'its local deadline passed without an acknowledged keepalive' : reason}): stopping the cluster services here`,
    )
    this.owned.clear()
    this.published.clear()
    try {
      this.fence.noteDemoting(id)
    } catch {}
    this.demotion.abort()
    this.demotion = new AbortController()
    this.demoting = this.stopAllHere('the lease was lost', false)
    this.poke()
  }

  /** Stops every cluster service here (with `check`: only those that run or may run), all at once. */
  private async stopAllHere(why: string, check = true): Promise<void> {
    const {session} = this.deps
    const names = session.store.list().filter(n => this.isClusterService(n))
    await Promise.all(
      names.map(async name => {
        if (check && !mayRun(await serviceStatus(session, name).catch(() => undefined))) return
        await this.act(name, 'stop', why, {waitlockMs: this.ttl * 1000, demote: true})
      }),
    )
  }

  private async reconcile(): Promise<void> {
    const lease = this.keeper.lease
    if (!lease) return
    const [svcs, nodes] = await Promise.all([
      this.client.range(SERVICES_PREFIX, {prefix: true}),
      this.client.range(PRESENCE_PREFIX, {prefix: true}),
    ])
    if (this.keeper.lease?.id !== lease.id) return // lost meanwhile
    if (Date.now() - this.lastPresence > this.ttl * 1000) {
      await announcePresence(this.client, this.me, lease.id)
      this.lastPresence = Date.now()
    }
    const alive = new Set(nodes.kvs.map(kv => kv.key.slice(PRESENCE_PREFIX.length)))
    const byService = new Map<string, ServiceKeys>()
    for (const kv of svcs.kvs) {
      const [name, kind, sub] = kv.key.slice(SERVICES_PREFIX.length).split('/')
      if (!name || !kind) continue
      const keys: ServiceKeys = byService.get(name) ?? {instances: new Map<string, KeyValue>()}
      byService.set(name, keys)
      if (kind === 'instances' && sub) keys.instances.set(sub, kv)
      else if (!sub && (kind === 'config' || kind === 'owner' || kind === 'frozen' || kind === 'target'))
        (keys as Record<typeof kind, KeyValue | undefined>)[kind] = kv
    }
    this.syncConfigs(byService, svcs.revision)
    for (const [name, keys] of byService) {
      if (!keys.config) continue
      try {
        await this.reconcileService(name, keys, alive, lease.id)
      } catch (error) {
        this.sayOnce(`svc:${name}`, `cluster check failed: ${(error as Error).message}`, 'warn', name)
      }
    }
  }

  /** Every config in etcd written to the local copy when newer; a local copy whose config went is removed. */
  private syncConfigs(byService: Map<string, ServiceKeys>, readRevision: number): void {
    const {session, log} = this.deps
    const dirs = {etcDir: session.settings.etcDir, varDir: session.settings.varDir}
    for (const [name, keys] of byService) {
      if (!keys.config) continue
      const r = writeLocalCopy(dirs, {name, text: keys.config.value, revision: keys.config.modRevision})
      if (r === 'written') log.info(`config synced from etcd (revision ${keys.config.modRevision})`, {service: name})
    }
    for (const name of session.store.list()) {
      const have = localCopyRevision(dirs, name)
      // a copy newer than the read is a create on this node since: not a deletion
      if (have === undefined || byService.get(name)?.config || have >= readRevision) continue
      if (this.busy.has(name)) continue
      void this.removeLocal(name)
    }
  }

  private async removeLocal(name: string): Promise<void> {
    const {session, log} = this.deps
    const ok = await this.act(name, 'stop', 'deleted from the cluster', {waitlockMs: 10_000})
    if (!ok) return
    session.store.remove(name)
    this.published.delete(name)
    const lease = this.keeper.lease
    if (lease) {
      // what this node held of it goes with it: its ownership and its instance record
      await releaseOwnership(this.client, name, this.me, lease.id).catch(() => false)
      await this.client.delete(instanceKey(name, this.me)).catch(() => 0)
    }
    this.owned.delete(name)
    log.info('deleted from the cluster: local copy removed', {service: name})
  }

  private async reconcileService(name: string, keys: ServiceKeys, alive: Set<string>, leaseId: string) {
    const {session} = this.deps
    if (this.busy.has(name) || this.pending.has(name)) return
    const {service} = await session.loadLenient(name)
    if (service.kw.orchestrate !== 'ha') return
    const nodes = ((service.kw.nodes as string[] | undefined) ?? []).filter(Boolean)
    if (!nodes.includes(this.me)) return
    const varDir = session.store.varDir(name)

    const ownerMine = keys.owner?.lease === leaseId
    if (ownerMine) this.owned.add(name)
    else this.owned.delete(name)

    const report = await serviceStatus(session, name).catch(() => undefined)
    const runningHere = mayRun(report)
    const upHere = report?.avail === 'up'
    const monitor = readMonitorState(varDir)
    const failedHere = monitor.state === 'failed'
    const frozenHere = session.store.isFrozen(name)
    const clusterFrozen = keys.frozen !== undefined && parseFrozen(keys.frozen.value) !== undefined
    if (clusterFrozen) this.frozenSeen.add(name)
    else if (this.frozenSeen.delete(name)) this.thawedAt.set(name, Date.now())
    const thawedAt = this.thawedAt.get(name) ?? 0
    const frozenNodes = new Set<string>()
    const failedNodes = new Set<string>()
    const runningElsewhere: string[] = []
    for (const [node, kv] of keys.instances) {
      if (node === this.me) continue
      const rec = parseInstance(kv.value)
      // a record's frozen flag includes the cluster-wide freeze: one published before the thaw is stale
      if (rec?.frozen && !clusterFrozen && Date.parse(rec.updated) >= thawedAt) frozenNodes.add(node)
      if (rec?.failed) failedNodes.add(node)
      // a record is on its node's lease: it exists only while that agent lives
      if (rec && (rec.avail === 'up' || rec.avail === 'warn') && alive.has(node)) runningElsewhere.push(node)
    }
    if (frozenHere) frozenNodes.add(this.me)
    if (failedHere) failedNodes.add(this.me)
    const target = keys.target ? parseTarget(keys.target.value) : undefined
    const ownerNode = keys.owner ? (readOwnerNode(keys.owner) ?? '?') : undefined
    const intent = readIntent(varDir)
    const decision = decideCluster({
      me: this.me,
      nodes,
      alive,
      frozenNodes,
      failedNodes,
      clusterFrozen,
      target: target ? {node: target.node, id: target.id} : undefined,
      owner: ownerNode !== undefined ? {node: ownerNode, mine: ownerMine} : undefined,
      runningElsewhere,
      runningHere,
      upHere,
      intent: intent ? {intent: intent.intent, by: intent.by} : undefined,
    })
    const avail = report ? report.avail : 'unknown'
    await this.publish(name, leaseId, {
      avail,
      frozen: frozenHere || clusterFrozen,
      failed: failedHere,
      reason: failedHere ? (monitor.reason ?? decision.reason) : decision.reason,
    })
    if (decision.kind !== 'none') {
      this.pending.add(name)
      void this.carryOut(name, decision, leaseId)
        .catch((error: Error) => this.deps.log.error(`${decision.kind}: ${error.message}`, {service: name}))
        .finally(() => {
          this.pending.delete(name)
          this.poke()
        })
    } else this.sayOnce(`svc:${name}`, decision.reason, 'info', name)
  }

  private async carryOut(name: string, d: ClusterDecision, leaseId: string): Promise<void> {
    const {log} = this.deps
    this.sayOnce(`svc:${name}`, d.reason, 'info', name)
    switch (d.kind) {
      case 'acquire': {
        if (this.keeper.lease?.id !== leaseId) return // lost since the decision: nothing is acquired on it
        const r = await acquireOwnership(this.client, name, this.me, leaseId, d.reason)
        if (!r.acquired) return void log.info(`not acquired: ${r.owner?.node ?? 'nobody'} owns it`, {service: name})
        this.owned.add(name)
        log.info(`acquired the ownership (revision ${r.owner?.revision})`, {service: name})
        return void (await this.startOwned(name, leaseId, true))
      }
      case 'start':
        return void (await this.startOwned(name, leaseId, false))
      case 'stop':
        return void (await this.act(name, 'stop', d.reason, {waitlockMs: 5000}))
      case 'stop-release': {
        const stopped = await this.act(name, 'stop', d.reason, {waitlockMs: 5000})
        if (!stopped) {
          log.error('the stop failed: the ownership is kept (it passes only after a successful stop)', {service: name})
          return
        }
        const released = await releaseOwnership(this.client, name, this.me, leaseId)
        this.owned.delete(name)
        log.info(released ? 'stopped; ownership released' : 'stopped; the ownership was not ours any more', {
          service: name,
        })
        this.poke()
        return
      }
      case 'delete-target': {
        if (await deleteTarget(this.client, name, d.id)) log.info('the move is done: target deleted', {service: name})
        return
      }
      case 'none':
        return
    }
  }

  /** The owner's start; a failed one fails the instance here (the next node takes it over). */
  private async startOwned(name: string, leaseId: string, fresh: boolean): Promise<void> {
    // the fence covers it before it runs (its first arm may be a renewal away)
    this.armFence()
    const ok = await this.act(name, 'start', 'owner', {
      waitlockMs: 0,
      resetMonitor: fresh,
      // under the lock: still this lease, still the owner key on it (a fencing check right before the start)
      precondition: async () => {
        if (this.keeper.lease?.id !== leaseId) return 'the lease was lost meanwhile'
        const owner = await readOwnerOnly(this.client, name)
        return owner?.lease === leaseId ? undefined : `${owner?.node ?? 'nobody'} owns it now`
      },
    })
    if (ok === false && this.keeper.lease?.id === leaseId && !this.deps.interrupt.aborted) {
      const varDir = this.deps.session.store.varDir(name)
      writeMonitorState(varDir, {...readMonitorState(varDir), state: 'failed', reason: 'the start failed on this node'})
      this.deps.log.error('the start failed: instance failed here (the next node takes over)', {service: name})
    }
    this.poke()
  }

  /**
   * A start or stop through runServiceAction (the service lock, the agent as the actor, the
   * intent recorded). Returns true when it ran and succeeded (or was not needed), false when it
   * failed, undefined when it did not run (lock held, precondition).
   */
  private async act(
    name: string,
    action: Extract<ServiceAction, 'start' | 'stop'>,
    why: string,
    o: {waitlockMs: number; resetMonitor?: boolean; precondition?: () => Promise<string | undefined>; demote?: boolean},
  ): Promise<boolean | undefined> {
    const {session, log} = this.deps
    if (this.busy.has(name) && !o.demote) return undefined
    this.busy.add(name)
    try {
      log.info(`${action}: ${why}`, {service: name})
      const outcome = await runServiceAction(session, {
        service: name,
        action,
        selection: {},
        actor: 'agent',
        view: this.deps.view(name, action),
        // a demotion's stop is never aborted by the next demotion: only by the agent's second signal
        signals: o.demote
          ? {abort: this.deps.interrupt, cut: this.deps.interrupt}
          : {abort: this.signal, cut: this.signal},
        waitlockMs: o.waitlockMs,
        recordIntent: true,
        resetMonitor: o.resetMonitor ?? false,
        precondition: o.precondition,
      })
      if (outcome.skipped) {
        log.info(`${action} not run: ${outcome.skipped}`, {service: name})
        return undefined
      }
      const e = outcome.ok
        ? log.info(`${action} done (${why})`, {service: name})
        : log.error(`${action} failed (${why}): ${outcome.result?.error ?? 'interrupted'}`, {service: name})
      this.deps.noteEvent({time: e.time, service: name, message: e.message})
      return outcome.ok
    } catch (error) {
      if (error instanceof LockError) {
        log.info(`${action} deferred: ${(error as Error).message}`, {service: name})
        return undefined
      }
      log.error(`${action} failed (${why}): ${(error as Error).message}`, {service: name})
      return false
    } finally {
      this.busy.delete(name)
      this.poke()
    }
  }

  /** The instance record, on the lease, when it changed or is older than TTL/2. */
  private async publish(
    name: string,
    leaseId: string,
    r: {avail: InstanceRecord['avail']; frozen: boolean; failed: boolean; reason: string},
  ): Promise<void> {
    const last = this.lastAvail.get(name)
    let transition = last?.transition
    if (last && last.avail !== r.avail)
      transition = {time: new Date().toISOString(), from: last.avail, to: r.avail, reason: r.reason}
    this.lastAvail.set(name, {avail: r.avail, transition})
    const body = {version: 1 as const, node: this.me, ...r, ...(transition ? {transition} : {})}
    const text = JSON.stringify(body)
    const prev = this.published.get(name)
    if (prev && prev.text === text && Date.now() - prev.at < (this.ttl * 1000) / 2) return
    await publishInstance(this.client, name, {...body, updated: new Date().toISOString()}, leaseId)
    this.published.set(name, {text, at: Date.now()})
  }
}

/** Some counted, non-standby resource is up or unknown (warn), or the status could not be read. */
function mayRun(report: ServiceStatusReport | undefined): boolean {
  if (!report) return true
  return Object.values(report.resources).some(
    r => !r.disabled && !r.standby && (r.status === 'up' || r.status === 'warn'),
  )
}

function readOwnerNode(kv: KeyValue): string | undefined {
  try {
    const v = JSON.parse(kv.value) as {node?: unknown}
    return typeof v.node === 'string' ? v.node : undefined
  } catch {
    return undefined
  }
}
