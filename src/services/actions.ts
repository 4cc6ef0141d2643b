/** Runs a service action: plan, lock, execute, log, result. Commands call this and format the result. */
import {executePlan, type ExecutionResult} from '../executor/execute.js'
import {acquireServiceLock} from '../executor/lock.js'
import {guardObserver, type ExecutionObserver} from '../executor/observer.js'
import {EventBus, EventCollector, type ActionEvent, type EventSink} from '../log/events.js'
import {LogFileSink} from '../log/log-file.js'
import {maskPlan, secretMasker} from '../log/mask.js'
import {buildPlan} from '../planner/plan.js'
import {observePlan} from '../planner/observe.js'
import type {Plan, Selection, ServiceAction} from '../planner/types.js'
import {assertConfigUnchanged, loadForAction, withUnusable} from './action-config.js'
import {formatActionSummary} from '../render/action-summary.js'
import {enterInterruptScope, receivedInterrupt, type InterruptSignal} from './interrupts.js'
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
  /** start --no-wait: no readiness gate (src/readiness): done once everything is started. */
  readonly noWait?: boolean
  /** The progress view (src/render/action-view.ts): it sees every event of the action, the log file keeps them. */
  readonly view?: ExecutionObserver
}

export interface ActionOutcome {
  readonly version: number
  readonly service: string
  readonly action: ServiceAction
  readonly dryRun: boolean
  readonly ok: boolean
  /** The plan, secrets masked in its steps. */
  readonly plan: Plan
  readonly result?: ExecutionResult
  /** The signal that interrupted the action: the exit code is 128 + its number. */
  readonly signal?: InterruptSignal
  readonly events: readonly ActionEvent[]
}

export async function runServiceAction(session: Session, request: ActionRequest): Promise<ActionOutcome> {
  const {service, doc, selection, unusable} = await loadForAction(
    session,
    request.service,
    request.action,
    request.selection,
  )
  const planned = buildPlan(service, request.action, selection, {
    force: request.force,
    disableRollback: request.disableRollback,
    noWait: request.noWait,
  })
  // the plan as the drivers see the host now (read-only probes: src/planner/observe.ts)
  const observe = (sink?: EventSink) =>
    observePlan(planned, service, {settings: session.driverSettings, ...(sink ? {sink} : {})}).then(p =>
      maskPlan(p, secretMasker(service)),
    )
  const view = guardObserver(request.view)
  if (request.dryRun) {
    const plan = await observe()
    view.planned?.(plan, true)
    return {
      version: ACTION_RESULT_VERSION,
      service: service.name,
      action: request.action,
      dryRun: true,
      ok: true,
      plan,
      events: [],
    }
  }

  const collector = new EventCollector()
  const logFile = new LogFileSink(session.store.logFile(service.name))
  const bus = new EventBus(collector, logFile)
  const lock = await acquireServiceLock(service.varDir, service.name, request.action, {
    waitMs: request.waitlockMs ?? 0,
    onWait: tellWaiting(service.name),
  })
  // from here to the lock's release a signal interrupts the action instead of ending the process
  const interrupts = enterInterruptScope()
  try {
    assertConfigUnchanged(session, service.name, request.action, doc)
    // observed under the lock: what the executor runs is what was seen with nobody else acting
    const plan = await observe(bus)
    view.planned?.(plan, false)
    const emit = (message: string, level: ActionEvent['level'] = 'info') => {
      const e: ActionEvent = {
        time: new Date().toISOString(),
        level,
        node: service.nodename,
        service: service.name,
        action: request.action,
        message,
      }
      bus.emit(e)
      view.event?.(e)
    }
    emit(
      `${request.action} begins (${plan.tasks.length} task(s)${request.selection.rids?.length ? `, --rid ${request.selection.rids.join(',')}` : ''})`,
      'debug',
    )
    const result = withUnusable(
      await executePlan(plan, {
        service,
        settings: session.driverSettings,
        sink: bus,
        observer: view,
        force: request.force,
        signal: interrupts.abort,
        rollbackCut: interrupts.cut,
      }),
      unusable,
    )
    if (result.ok && !result.interrupted) emit(`${request.action} done`)
    else emit(formatActionSummary(request.action, service.name, result), result.ok ? 'warn' : 'error')
    const signal = receivedInterrupt()
    return {
      version: ACTION_RESULT_VERSION,
      service: service.name,
      action: request.action,
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
