/** Runs a service action: plan, lock, execute, log, result. Commands call this and format the result. */
import {executePlan, type ExecutionResult, type RendererChoice} from '../executor/execute.js'
import {acquireServiceLock} from '../executor/lock.js'
import {EventBus, EventCollector, type ActionEvent, type EventSink} from '../log/events.js'
import {LogFileSink} from '../log/log-file.js'
import {buildPlan} from '../planner/plan.js'
import type {Plan, Selection, ServiceAction} from '../planner/types.js'
import {assertConfigUnchanged, loadForAction, withUnusable} from './action-config.js'
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
  readonly renderer: RendererChoice
  /** Where progress lines go (the line printer), besides the log file. */
  readonly progress?: EventSink
}

export interface ActionOutcome {
  readonly version: number
  readonly service: string
  readonly action: ServiceAction
  readonly dryRun: boolean
  readonly ok: boolean
  readonly plan: Plan
  readonly result?: ExecutionResult
  readonly events: readonly ActionEvent[]
}

export async function runServiceAction(session: Session, request: ActionRequest): Promise<ActionOutcome> {
  const {service, doc, selection, unusable} = await loadForAction(session, request.service, request.action, request.selection)
  const plan = buildPlan(service, request.action, selection, {force: request.force, disableRollback: request.disableRollback})
  if (request.dryRun) return {version: ACTION_RESULT_VERSION, service: service.name, action: request.action, dryRun: true, ok: true, plan, events: []}

  const collector = new EventCollector()
  const logFile = new LogFileSink(session.store.logFile(service.name))
  const bus = new EventBus(collector, logFile)
  if (request.progress) bus.add(request.progress)
  const lock = await acquireServiceLock(service.varDir, service.name, request.action, request.waitlockMs ?? 0)
  const controller = new AbortController()
  const onSignal = () => controller.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    assertConfigUnchanged(session, service.name, request.action, doc)
    const emit = (message: string, level: ActionEvent['level'] = 'info') =>
      bus.emit({time: new Date().toISOString(), level, node: service.nodename, service: service.name, action: request.action, message})
    emit(`${request.action} begins (${plan.tasks.length} task(s)${request.selection.rids?.length ? `, --rid ${request.selection.rids.join(',')}` : ''})`, 'debug')
    const result = withUnusable(await executePlan(plan, {service, settings: session.driverSettings, sink: bus, renderer: request.renderer, force: request.force, signal: controller.signal}), unusable)
    emit(result.ok ? `${request.action} done` : `${request.action} failed: ${result.error}${result.rollback.length > 0 ? `; rolled back ${result.rollback.filter(r => r.ok).length} change(s)` : ''}`, result.ok ? 'info' : 'error')
    return {version: ACTION_RESULT_VERSION, service: service.name, action: request.action, dryRun: false, ok: result.ok, plan, result, events: collector.events}
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    lock.release()
    logFile.close()
  }
}
