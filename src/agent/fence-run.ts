/**
 * The fence process (`svcmgr daemon fence`, hidden; ./fence.ts): spawned detached by the
 * cluster agent, in its own session, its output appended to <root>/agent/agent.log. It waits
 * for the armed deadline; re-armed, it waits again; disarmed (the arm file gone, or SIGTERM
 * before it fires), it exits. When the deadline passes without a re-arm it stops the armed
 * services through runServiceAction (the service lock, actor `fence`, the intent recorded, as
 * the agent's demotion), each with a deadline, says so in the agent log and the services'
 * logs, and exits: a new agent spawns a new fence once it holds a new lease.
 */
import {monotonicClock, readLeaseFile} from '../cluster/lease.js'
import {pidAlive, processStartTime} from '../drivers/host.js'
import {RunEventHub} from '../log/run-events.js'
import {LinesView} from '../render/renderer.js'
import {runServiceAction} from '../services/actions.js'
import type {Session} from '../services/session.js'
import {
  type FenceArm,
  FenceWatch,
  bootId,
  fenceTakesLock,
  isStopped,
  liveFence,
  readFenceArm,
  removeFencePid,
  writeFencePid,
} from './fence.js'
import {AgentLog} from './log.js'
import {agentPaths} from './state.js'

/** How long one stop of the fence may take: a stop past it is interrupted (and said failed). */
export function fenceStopDeadlineMs(ttlSeconds: number): number {
  return Math.max(30_000, 2 * ttlSeconds * 1000)
}

export async function runFence(session: Session): Promise<void> {
  const {settings} = session
  const root = settings.root
  const log = new AgentLog({
    node: settings.nodename,
    minLevel: settings.logLevel,
    logFile: name => session.store.logFile(name),
    actor: 'fence',
  })
  const me = {pid: process.pid, startTime: processStartTime(process.pid) ?? ''}
  // the agent wrote this pid file when it spawned this process: another live fence is the one
  const other = liveFence(root)
  if (other && other.pid !== me.pid) {
    log.info(`fence: another fence runs for ${root} (pid ${other.pid}): this one exits`)
    return
  }
  writeFencePid(root, me)
  process.on('exit', () => removeFencePid(root, me.pid))
  const watch = new FenceWatch({
    read: () => readFenceArm(root),
    readLease: () => readLeaseFile(agentPaths(root).leaseFile),
    clock: monotonicClock,
    bootId: bootId(),
    fire: arm => {
      // from here the agent's disarm waits for it instead of signalling it: its stops are not cut short
      writeFencePid(root, {...me, firing: true})
      return fire(session, log, arm)
    },
  })
  const first = readFenceArm(root)
  if (first)
    log.info(
      `fence: armed by the agent (pid ${first.agent.pid}, lease ${first.lease}): it stops the cluster services here if the lease's local deadline passes without a renewal`,
    )
  const outcome = await watch.run()
  // no longer watching: an agent must not take this process for a live fence while it ends
  removeFencePid(root, me.pid)
  log.info(
    outcome === 'disarmed'
      ? 'fence: disarmed: exits'
      : 'fence: done: exits (the next agent with a lease starts a new one)',
  )
}

async function fire(session: Session, log: AgentLog, arm: FenceArm): Promise<void> {
  const root = session.settings.root
  const agent = pidAlive(arm.agent.pid, arm.agent.startTime || undefined)
    ? isStopped(arm.agent.pid)
      ? 'stopped (SIGSTOP)'
      : 'alive, not renewing'
    : 'gone'
  const names = arm.services.filter(n => session.store.exists(n))
  log.warn(
    `fence: lease ${arm.lease} passed its local deadline without a renewal (the agent pid ${arm.agent.pid}: ${agent}): stopping the cluster services here${names.length ? `: ${names.join(', ')}` : ' (none)'}`,
  )
  const deadlineMs = fenceStopDeadlineMs(arm.ttl)
  const takeOver = fenceTakesLock({
    marginMs: arm.marginMs,
    demotingAgent: () => {
      const now = readFenceArm(root)
      return now?.demoting && now.lease === arm.lease ? now.agent : undefined
    },
  })
  const lines = new LinesView(session.settings.logLevel, line => process.stderr.write(line + '\n'))
  await Promise.all(
    names.map(async name => {
      const signal = AbortSignal.timeout(deadlineMs)
      log.warn(`fence: stop: the lease was lost and the agent did not renew it`, {service: name})
      try {
        const outcome = await runServiceAction(session, {
          service: name,
          action: 'stop',
          selection: {},
          actor: 'fence',
          view: new RunEventHub({node: session.settings.nodename, service: name, action: 'stop'}).subscribe(lines),
          signals: {abort: signal, cut: signal},
          waitlockMs: deadlineMs,
          lockTakeOver: takeOver,
          recordIntent: true,
          resetMonitor: false,
        })
        if (outcome.skipped) log.warn(`fence: stop not run: ${outcome.skipped}`, {service: name})
        else if (outcome.ok) log.info('fence: stop done (the lease was lost)', {service: name})
        else
          log.error(`fence: stop failed: ${outcome.result?.error ?? `interrupted (${deadlineMs / 1000}s deadline)`}`, {
            service: name,
          })
      } catch (error) {
        log.error(`fence: stop failed: ${(error as Error).message}`, {service: name})
      }
    }),
  )
}
