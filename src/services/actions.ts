/** Runs a service action: plan, lock, execute, log, result. Commands call this and format the result. */
import {type Actor, IDLE_MONITOR_STATE, writeIntent, writeMonitorState} from '../agent/state.js'
import {executePlan, type ExecutionResult} from '../executor/execute.js'
import {acquireServiceLock, type LockOptions} from '../executor/lock.js'
import {guardObserver, type ExecutionObserver} from '../executor/observer.js'
import {EventBus, EventCollector, type ActionEvent, type EventSink} from '../log/events.js'
import {LogFileSink} from '../log/log-file.js'
import {maskPlan, secretMasker} from '../log/mask.js'
import {buildPlan, describePlan} from '../planner/plan.js'
import {observePlan} from '../planner/observe.js'
import type {Service} from '../model/service.js'
import type {Plan, Selection, ServiceAction} from '../planner/types.js'
import type {UnusableSection} from '../config/compile.js'
import {assertConfigUnchanged, loadForAction, withUnusable} from './action-config.js'
import {formatActionSummary} from '../render/action-summary.js'
import {enterInterruptScope, type InterruptScope, receivedInterrupt, type InterruptSignal} from './interrupts.js'
import {tellWaiting} from './lock-wait.js'
import type {Session} from './session.js'

export const ACTION_RESULT_VERSION = 1

export interface ActionRequest {
  readonly service: string
  readonly action: ServiceAction
  readonly selection: Selection
  readonly dryRun?: boolean
  readonly force?: boolean
  readonly disableRollback?: boolean
  readonly waitlockMs?: number
  /** Takes the lock from a live holder when it says so (src/executor/lock.ts LockOptions.takeOver): the fence's stop only. */
  readonly lockTakeOver?: LockOptions['takeOver']
  /** start --no-wait: no readiness gate (src/readiness): done once everything is started. */
  readonly noWait?: boolean
  /** The progress view (src/render/action-view.ts): it sees every event of the action, the log file keeps them. */
  readonly view?: ExecutionObserver
  /** Who acts: 'user' (the CLI, the default) or 'agent' (svcmgr daemon); every event and log line carries it. */
  readonly actor?: Actor
  /**
   * What the action's signals are, instead of the process's interrupt scope (./interrupts.ts): the
   * agent runs actions of several services at once and decides itself what a signal does to them.
   */
  readonly signals?: Pick<InterruptScope, 'abort' | 'cut'>
  /**
   * Record the intent (src/agent/state.ts intent.json) once the action succeeded, and, for a user,
   * reset the agent's monitor state. Default: true for a user, false for the agent.
   */
  readonly recordIntent?: boolean
  /** With recordIntent: also reset the monitor state (default: for a user). The agent's start at boot does. */
  readonly resetMonitor?: boolean
  /**
   * Checked once the lock is taken, before anything runs: a sentence says why the action is no
   * longer wanted (the agent's restart of a resource a user meanwhile stopped or brought back),
   * and the action ends there, unrun (the outcome's `skipped`).
   */
  readonly precondition?: () => Promise<string | undefined>
  /** Plans made by the caller (apply: src/services/apply.ts), run instead of the stored config's plan of `action`. */
  readonly prepared?: PreparedAction
}

/** One plan of a prepared action, run on its service (apply: the removal on the stored config, then the new config's). */
export interface PreparedPart {
  readonly service: Service
  readonly plan: Plan
  /** Holding the lock, right before this part runs (apply: store the new config before converging to it). */
  readonly before?: () => void
}

/** Plans run in order under one lock; a part that fails ends the action (later parts do not run). */
export interface PreparedAction {
  /** What the lock, the log and the result call the action. */
  readonly name: ServiceAction | 'apply'
  /** The service the action locks and reports on. */
  readonly service: Service
  /**
   * The plans, made again holding the lock (observed then: what the executor runs is what was
   * seen with nobody else acting); `sink` takes the drivers' log lines of that observation.
   * Without a sink (a dry run): the plans as they are now. `signal` cancels the probes in flight.
   */
  readonly parts: (sink?: EventSink, signal?: AbortSignal) => Promise<readonly PreparedPart[]>
  /** The plan before any probe, when there is one (what a skipped action reports). */
  readonly planned?: () => Plan
  /** Holding the lock, before anything runs: throws when what the plans were made from changed (nothing was done). */
  readonly verify: () => void | Promise<void>
  /** Told once verified, with the plans about to run (apply prints its config diff then). */
  readonly verified?: (parts: readonly PreparedPart[]) => void
}

/** A part not run because an earlier one failed: each of its tasks not done. */
function notRun(plan: Plan): ExecutionResult {
  const tasks = plan.tasks.map(t => ({
    id: t.id,
    rid: t.rid,
    op: t.op,
    state: t.skip ? ('skipped' as const) : ('not-run' as const),
    message: t.skip ?? 'not run: an earlier task failed',
  }))
  return {ok: false, tasks, notDone: tasks.filter(t => t.state === 'not-run'), optionalFailed: [], rollback: []}
}

/** The results of consecutive plans as one: every task, the first error; ok when all are. */
export function mergeResults(results: readonly ExecutionResult[]): ExecutionResult {
  if (results.length === 1) return results[0]
  const error = results.find(r => r.error)?.error
  const interrupted = results.find(r => r.interrupted)?.interrupted
  return {
    ok: results.every(r => r.ok),
    tasks: results.flatMap(r => r.tasks),
    notDone: results.flatMap(r => r.notDone),
    optionalFailed: results.flatMap(r => r.optionalFailed),
    rollback: results.flatMap(r => r.rollback),
    ...(error ? {error} : {}),
    ...(interrupted ? {interrupted} : {}),
  }
}

/** The service's intent after a successful action: started or stopped. */
export function intentOf(action: ServiceAction | 'apply'): 'started' | 'stopped' {
  return action === 'stop' || action === 'unprovision' ? 'stopped' : 'started'
}

/** Every event through `sink` carries the actor. */
function withActor(sink: EventSink, actor: Actor): EventSink {
  return {emit: e => sink.emit({...e, actor})}
}

export interface ActionOutcome {
  readonly version: number
  readonly service: string
  /** The request's action, or the prepared action's name ('apply'). */
  readonly action: ServiceAction | 'apply'
  readonly dryRun: boolean
  readonly ok: boolean
  /** The plan, secrets masked in its steps. */
  readonly plan: Plan
  readonly result?: ExecutionResult
  /** The signal that interrupted the action: the exit code is 128 + its number. */
  readonly signal?: InterruptSignal
  readonly events: readonly ActionEvent[]
  /** The precondition's sentence: the action did not run. */
  readonly skipped?: string
}

/** The stored config's plan of the request's action, checked again holding the lock. */
async function plannedFromStore(
  session: Session,
  request: ActionRequest,
): Promise<{prepared: PreparedAction; unusable: readonly UnusableSection[]}> {
  const {service, doc, selection, unusable} = await loadForAction(
    session,
    request.service,
    request.action,
    request.selection,
  )
  // the steps are described only where the observation does not answer them
  const planned = buildPlan(service, request.action, selection, {
    force: request.force,
    disableRollback: request.disableRollback,
    noWait: request.noWait,
    describe: false,
  })
  // the plan as the drivers see the host now (read-only probes: src/planner/observe.ts)
  const observe = (sink?: EventSink, signal?: AbortSignal) =>
    observePlan(planned, service, {
      settings: session.driverSettings,
      describeUnobserved: true,
      ...(sink ? {sink} : {}),
      ...(signal ? {signal} : {}),
    }).then(p => maskPlan(p, secretMasker(service)))
  return {
    prepared: {
      name: request.action,
      service,
      planned: () => maskPlan(describePlan(planned, service), secretMasker(service)),
      parts: async (sink, signal) => [{service, plan: await observe(sink, signal)}],
      verify: () => assertConfigUnchanged(session, service.name, request.action, doc),
    },
    unusable,
  }
}

export async function runServiceAction(session: Session, request: ActionRequest): Promise<ActionOutcome> {
  const {prepared, unusable} = request.prepared
    ? {prepared: request.prepared, unusable: []}
    : await plannedFromStore(session, request)
  const {service} = prepared
  const view = guardObserver(request.view)
  if (request.dryRun) {
    const parts = await prepared.parts()
    view.planned?.(parts[parts.length - 1].plan, true)
    return {
      version: ACTION_RESULT_VERSION,
      service: service.name,
      action: prepared.name,
      dryRun: true,
      ok: true,
      plan: parts[parts.length - 1].plan,
      events: [],
    }
  }

  const actor = request.actor ?? 'user'
  const collector = new EventCollector()
  const logFile = new LogFileSink(session.store.logFile(service.name))
  const bus = new EventBus(withActor(collector, actor), withActor(logFile, actor))
  const lock = await acquireServiceLock(service.varDir, service.name, prepared.name, {
    waitMs: request.waitlockMs ?? 0,
    onWait: tellWaiting(service.name),
    ...(request.lockTakeOver ? {takeOver: request.lockTakeOver} : {}),
  })
  // from here to the lock's release a signal interrupts the action instead of ending the process
  const interrupts = request.signals ? {...request.signals, close() {}} : enterInterruptScope()
  try {
    const skipped = await request.precondition?.()
    if (skipped !== undefined)
      return {
        version: ACTION_RESULT_VERSION,
        service: service.name,
        action: prepared.name,
        dryRun: false,
        ok: true,
        // not observed: the precondition stopped the action before any probe
        plan: prepared.planned?.() ?? (await prepared.parts()).at(-1)!.plan,
        events: [],
        skipped,
      }
    await prepared.verify()
    // observed under the lock: what the executor runs is what was seen with nobody else acting;
    // an interrupt cancels the probes in flight (the executor then reports every task not run)
    const parts = await prepared.parts(bus, interrupts.abort)
    const plan = parts[parts.length - 1].plan
    prepared.verified?.(parts)
    view.planned?.(plan, false)
    const emit = (message: string, level: ActionEvent['level'] = 'info') => {
      const e: ActionEvent = {
        time: new Date().toISOString(),
        level,
        node: service.nodename,
        service: service.name,
        action: prepared.name,
        actor,
        message,
      }
      bus.emit(e)
      view.event?.(e)
    }
    const taskCount = parts.reduce((n, p) => n + p.plan.tasks.length, 0)
    emit(
      `${prepared.name} begins (${taskCount} task(s)${request.selection.rids?.length ? `, --rid ${request.selection.rids.join(',')}` : ''})`,
      'debug',
    )
    const results: ExecutionResult[] = []
    for (const part of parts) {
      // a part that failed or was interrupted ends the action: what follows it assumed it done
      if (results.some(r => !r.ok || r.interrupted)) {
        results.push(notRun(part.plan))
        continue
      }
      part.before?.()
      results.push(
        await executePlan(part.plan, {
          service: part.service,
          settings: session.driverSettings,
          sink: bus,
          observer: view,
          force: request.force,
          signal: interrupts.abort,
          rollbackCut: interrupts.cut,
        }),
      )
    }
    const result = withUnusable(mergeResults(results), unusable)
    const done = result.ok && !result.interrupted
    // a stop that failed or was interrupted still says what the user wants: the agent must not undo it
    if ((done || intentOf(prepared.name) === 'stopped') && (request.recordIntent ?? actor === 'user'))
      recordIntent(service.varDir, prepared.name, actor, request.resetMonitor ?? actor === 'user', emit)
    if (done) emit(`${prepared.name} done`)
    else emit(formatActionSummary(prepared.name, service.name, result), result.ok ? 'warn' : 'error')
    const signal = receivedInterrupt()
    return {
      version: ACTION_RESULT_VERSION,
      service: service.name,
      action: prepared.name,
      dryRun: false,
      ok: result.ok,
      plan,
      result,
      ...(signal ? {signal} : {}),
      events: collector.events,
    }
  } finally {
    lock.release()
    interrupts.close()
    logFile.close()
  }
}

/**
 * What the agent reads (src/agent/state.ts): the intent the action leaves, and for a user's
 * action the monitor state reset (the restarts counted again from zero, a failed state cleared).
 * Written once a start-like action succeeded, and after any stop or unprovision, done or not.
 * A state file that cannot be written is a warning: the action itself is done.
 */
function recordIntent(
  varDir: string,
  action: ServiceAction | 'apply',
  actor: Actor,
  resetMonitor: boolean,
  emit: (message: string, level?: ActionEvent['level']) => void,
): void {
  try {
    writeIntent(varDir, {intent: intentOf(action), by: actor})
    if (resetMonitor) writeMonitorState(varDir, IDLE_MONITOR_STATE)
  } catch (error) {
    emit(`cannot record the service's intent for the node agent: ${(error as Error).message}`, 'warn')
  }
}
