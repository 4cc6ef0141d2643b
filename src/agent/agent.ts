/**
 * The node agent (`svcmgr daemon run`): one process per state root that watches every local
 * service a user started (./watcher.ts), starts the `orchestrate = start` ones when it starts,
 * and keeps <root>/agent/agent.pid and agent.json (./state.ts) for `daemon status` and print
 * status. It runs until its signal aborts (the first SIGTERM/SIGINT/SIGHUP): it then stops
 * watching, lets an action in progress finish (a second signal interrupts it), removes its
 * pid file and returns.
 */
import {setMaxListeners} from 'node:events'
import {processStartTime} from '../drivers/host.js'
import type {ExecutionObserver} from '../executor/observer.js'
import {runServiceAction} from '../services/actions.js'
import type {Session} from '../services/session.js'
import {LockError} from '../errors.js'
import {AgentLog} from './log.js'
import {
  type AgentEvent,
  type AgentInfo,
  agentLiveness,
  agentPaths,
  readIntent,
  removeAgentPid,
  writeAgentInfo,
  writeAgentPid,
} from './state.js'
import {isWatched, ServiceWatcher} from './watcher.js'

/** How often the agent rewrites agent.json (the contract: at least every 5 s) and looks for services to watch or drop. */
export const AGENT_TICK_MS = 2_000
/** How long the start at boot of an `orchestrate = start` service waits for a user's action holding its lock. */
const BOOT_START_WAITLOCK_MS = 60_000

export interface AgentOptions {
  /** Aborted: the agent stops (first signal). */
  readonly stop: AbortSignal
  /** Aborted: actions in progress are interrupted (second signal). */
  readonly interrupt: AbortSignal
  /** The view of one action of the agent's (its lines on stderr): one per action, as each CLI run has its own. */
  readonly view: (service: string, action: string) => ExecutionObserver
  /** svcmgr's bin/run.js, absolute: a cluster agent spawns its fence from it. */
  readonly script: string
}

export class AlreadyRunningError extends LockError {}

export async function runAgent(session: Session, options: AgentOptions): Promise<void> {
  const root = session.settings.root
  const running = agentLiveness(root)
  if (running.state === 'running' && running.pid?.pid !== process.pid)
    throw new AlreadyRunningError(
      `an agent already runs for ${root}: pid ${running.pid?.pid} (${agentPaths(root).pidFile}); \`svcmgr daemon stop\` stops it`,
    )
  const log = new AgentLog({
    node: session.settings.nodename,
    minLevel: session.settings.logLevel,
    logFile: name => session.store.logFile(name),
  })
  // a stored config's problems and a stale lock would be said at every poll: once is enough
  const said = new Set<string>()
  session.warn = line => {
    if (said.has(line)) return
    said.add(line)
    process.stderr.write(line)
  }
  await session.registry()
  const startTime = processStartTime(process.pid) ?? ''
  const startedAt = new Date().toISOString()
  let lastEvent: AgentEvent | undefined
  const watchers = new Map<string, ServiceWatcher>()
  const heartbeat = () => {
    const info: AgentInfo = {
      version: 1,
      pid: process.pid,
      startTime,
      startedAt,
      heartbeat: new Date().toISOString(),
      watched: [...watchers.keys()].sort(),
      ...(lastEvent ? {lastEvent} : {}),
    }
    try {
      writeAgentInfo(root, info)
    } catch (error) {
      log.warn(`cannot write ${agentPaths(root).infoFile}: ${(error as Error).message}`)
    }
  }
  writeAgentPid(root, {pid: process.pid, startTime})
  heartbeat()
  // every action of the agent and each of its engine calls follow these two signals
  setMaxListeners(0, options.interrupt)
  // with `etcd`: the cluster side (lease, ownership, failover), loaded only then
  const cluster = session.settings.etcd
    ? new (await import('./cluster.js')).ClusterAgent({
        session,
        log,
        view: options.view,
        interrupt: options.interrupt,
        script: options.script,
        noteEvent: e => {
          lastEvent = e
        },
      })
    : undefined
  const deps = {
    session,
    log,
    // a cluster agent's demotion also aborts the local restarts in progress
    signals: cluster
      ? {
          get abort() {
            return cluster.signal
          },
          get cut() {
            return cluster.signal
          },
        }
      : {abort: options.interrupt, cut: options.interrupt},
    gate: cluster ? (name: string) => cluster.gate(name) : undefined,
    view: options.view,
    noteEvent: (e: AgentEvent) => {
      lastEvent = e
    },
  }
  log.info(`agent started (pid ${process.pid}, state root ${root})`)
  try {
    await bootStarts(session, log, deps, options)
    const clusterRun = cluster?.run(options.stop)
    const rescan = () => {
      for (const name of session.store.list()) {
        const watched = isWatched(session, name)
        const w = watchers.get(name)
        if (watched && !w) {
          const made = new ServiceWatcher(name, deps)
          watchers.set(name, made)
          log.info('watching', {service: name})
          made.start()
        } else if (!watched && w) {
          watchers.delete(name)
          log.info('no longer watched (stopped, frozen or deleted)', {service: name})
          void w.stop()
        }
      }
      for (const w of watchers.values()) w.tick()
      for (const [name, w] of watchers)
        if (!session.store.exists(name)) {
          watchers.delete(name)
          log.info('no longer watched (deleted)', {service: name})
          void w.stop()
        }
    }
    rescan()
    heartbeat()
    await new Promise<void>(resolve => {
      const timer = setInterval(() => {
        try {
          rescan()
        } catch (error) {
          log.error(`rescan of the services failed: ${(error as Error).message}`)
        }
        heartbeat()
      }, AGENT_TICK_MS)
      const done = () => {
        clearInterval(timer)
        resolve()
      }
      if (options.stop.aborted) done()
      else options.stop.addEventListener('abort', done, {once: true})
    })
    log.info('agent stopping: no new action; waiting for the one in progress, if any')
    await clusterRun
  } finally {
    await Promise.all([...watchers.values()].map(w => w.stop()))
    watchers.clear()
    heartbeat()
    removeAgentPid(root, process.pid)
    log.info('agent stopped')
  }
}

/**
 * `orchestrate = start`: the agent starts the service when it starts (node boot), unless it is
 * frozen or a user stopped it since. An already started one is left as it is (start is
 * idempotent: it finds everything up). The agent's start is a start of the service: its restart
 * counts begin again.
 */
async function bootStarts(
  session: Session,
  log: AgentLog,
  deps: {signals: {abort: AbortSignal; cut: AbortSignal}; noteEvent: (e: AgentEvent) => void},
  options: AgentOptions,
): Promise<void> {
  const wanted: string[] = []
  for (const name of session.store.list()) {
    if (session.store.isFrozen(name)) continue
    if (readIntent(session.store.varDir(name))?.intent === 'stopped') continue
    try {
      const {service} = await session.loadLenient(name)
      if (service.kw.orchestrate === 'start') wanted.push(name)
    } catch (error) {
      log.warn(`orchestrate: cannot read its config: ${(error as Error).message}`, {service: name})
    }
  }
  await Promise.all(
    wanted.map(async name => {
      if (options.stop.aborted) return
      log.info('orchestrate = start: starting the service', {service: name})
      try {
        const outcome = await runServiceAction(session, {
          service: name,
          action: 'start',
          selection: {},
          actor: 'agent',
          view: options.view(name, 'start'),
          signals: deps.signals,
          waitlockMs: BOOT_START_WAITLOCK_MS,
          recordIntent: true,
          resetMonitor: true,
          // a user may have stopped or frozen it while the agent waited for the lock
          precondition: async () =>
            session.store.isFrozen(name)
              ? 'frozen meanwhile'
              : readIntent(session.store.varDir(name))?.intent === 'stopped'
                ? 'stopped by a user meanwhile'
                : undefined,
        })
        const e = outcome.skipped
          ? log.info(`orchestrate = start: not started: ${outcome.skipped}`, {service: name})
          : outcome.ok
            ? log.info('orchestrate = start: started', {service: name})
            : log.error(`orchestrate = start: the start failed: ${outcome.result?.error ?? 'interrupted'}`, {
                service: name,
              })
        deps.noteEvent({time: e.time, service: name, message: e.message})
      } catch (error) {
        log.error(`orchestrate = start: ${(error as Error).message}`, {service: name})
      }
    }),
  )
}
