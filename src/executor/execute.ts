/**
 * Runs a Plan: stages in order, the members of a parallel stage concurrently, each task after
 * the tasks it depends on; records undo steps and rolls back. Every decision is the plan's (which
 * driver calls a task makes, what its failure means, what is skipped); this module schedules,
 * runs, journals and reports to an ExecutionObserver (./observer.ts), which renders nothing here.
 */
import {setMaxListeners} from 'node:events'
import type {ChangeResult, DriverSettings, StepAction} from '../drivers/api.js'
import {createActionContext, createLogger, type ContextShared} from '../drivers/context.js'
import type {ActionEvent, EventLevel, EventSink, TaskState} from '../log/events.js'
import {secretMasker} from '../log/mask.js'
import type {Service, ServiceResource} from '../model/service.js'
import type {Plan, PlanStage, PlanTask} from '../planner/types.js'
import {RollbackJournal, type UndoOutcome} from './journal.js'
import {guardObserver, type ExecutionObserver} from './observer.js'
import {awaitReadiness} from '../readiness/gate.js'
import {plannedStep} from '../planner/observe.js'

export interface ExecuteOptions {
  readonly service: Service
  readonly settings: DriverSettings
  /** Every event of the action: the log file, the JSON result. */
  readonly sink: EventSink
  /** The progress view; none is silent. */
  readonly observer?: ExecutionObserver
  readonly force?: boolean
  /** Aborting it interrupts the action: no new task starts, a start rolls back. Its reason (a string) names why. */
  readonly signal?: AbortSignal
  /** Aborting it skips the rest of the rollback (a second interrupt). */
  readonly rollbackCut?: AbortSignal
}

export interface TaskOutcome {
  readonly id: number
  readonly rid: string
  readonly op: StepAction
  readonly state: TaskState
  readonly message?: string
  /** Why a failed task failed, below its message, when the error said (Error.cause, an engine's reason, a command's stderr). */
  readonly cause?: string
  /** A failure the plan tolerates (an optional resource): the task counts as done. */
  readonly tolerated?: true
}

export interface ExecutionResult {
  /** Every task done, unchanged, or skipped by the plan itself. */
  readonly ok: boolean
  readonly tasks: TaskOutcome[]
  /** The tasks that should have run and did not complete: failed or not run. */
  readonly notDone: TaskOutcome[]
  /** Tasks whose failure the plan tolerates (optional resources): reported 'done' with the failure, counted here. */
  readonly optionalFailed: TaskOutcome[]
  readonly rollback: UndoOutcome[]
  readonly error?: string
  /** Set when the action was interrupted: why ("interrupted by SIGTERM"). */
  readonly interrupted?: string
}

const COMPLETE: ReadonlySet<TaskState> = new Set(['done', 'unchanged', 'skipped'])

function reasonOf(signal: AbortSignal, fallback: string): string {
  return typeof signal.reason === 'string' ? signal.reason : fallback
}

/** The task's calls in the plan's order; the first that throws fails the task. */
async function runCalls(
  r: ServiceResource,
  calls: readonly StepAction[],
  ctx: ReturnType<typeof createActionContext>,
): Promise<ChangeResult> {
  let changed = false
  for (const call of calls) {
    const method = r.driver[call]
    if (!method) throw new Error(`internal: the plan calls ${call} of ${r.group}.${r.type}, which has none`)
    if ((await method.call(r.driver, ctx)) === 'changed') changed = true
  }
  return changed ? 'changed' : 'unchanged'
}

/** What an error says of its cause beyond its message: Error.cause, an engine error's reason, a command's stderr. */
export function causeOf(error: unknown): string | undefined {
  const e = error as {cause?: unknown; reason?: unknown; result?: {stderr?: unknown}; message?: string}
  const said =
    e.cause instanceof Error
      ? e.cause.message
      : typeof e.cause === 'string'
        ? e.cause
        : typeof e.reason === 'string'
          ? e.reason
          : typeof e.result?.stderr === 'string'
            ? e.result.stderr.trim().split('\n').at(-1)
            : undefined
  return said && said !== e.message ? said : undefined
}

const UNCHANGED: Record<StepAction, string> = {
  start: 'already up',
  stop: 'already down',
  provision: 'already provisioned and up',
  unprovision: 'already unprovisioned',
}

export async function executePlan(plan: Plan, options: ExecuteOptions): Promise<ExecutionResult> {
  const {service} = options
  const mask = secretMasker(service)
  const observer = guardObserver(options.observer)
  const controller = new AbortController()
  const rollbackController = new AbortController()
  // every task of a parallel stage (and each of its engine calls) listens to these two: 20
  // containers passed Node's leak warning of 10 listeners; they live for one action only
  setMaxListeners(0, controller.signal, rollbackController.signal)
  const follow = (from: AbortSignal | undefined, to: AbortController, fallback: string) => {
    if (!from) return
    // a signal aborted before the action began never fires its event again
    if (from.aborted) to.abort(reasonOf(from, fallback))
    else from.addEventListener('abort', () => to.abort(reasonOf(from, fallback)), {once: true})
  }
  controller.signal.addEventListener(
    'abort',
    () => observer.interrupted?.(reasonOf(controller.signal, 'interrupted')),
    {once: true},
  )
  follow(options.signal, controller, 'interrupted')
  follow(options.rollbackCut, rollbackController, 'skipped')
  // an event of a resource whose task runs is that task's output; the others are the action's own
  const running = new Map<string, PlanTask>()
  const sink: EventSink = {
    emit(e) {
      options.sink.emit(e)
      const task = e.rid === undefined ? undefined : running.get(e.rid)
      if (task) observer.taskOutput?.(task, e)
      else observer.event?.(e)
    },
  }
  // the tasks run under the action's signal, the undo steps (journaled during the tasks) under the rollback's
  let phaseSignal = controller.signal
  const shared: ContextShared = {
    service,
    settings: options.settings,
    sink,
    get signal() {
      return phaseSignal
    },
    cache: new Map(),
    action: plan.action,
  }
  const svcLog = createLogger(shared)
  const journal = new RollbackJournal()
  const outcomes = new Map<number, TaskOutcome>()
  const optionalFailed: TaskOutcome[] = []
  let firstError: string | undefined
  const interruption = () => (controller.signal.aborted ? reasonOf(controller.signal, 'interrupted') : undefined)
  const event = (level: EventLevel, fields: Pick<ActionEvent, 'rid' | 'state' | 'message'>): ActionEvent => ({
    time: new Date().toISOString(),
    level,
    node: service.nodename,
    service: service.name,
    action: plan.action,
    ...fields,
  })

  const record = (
    t: PlanTask,
    state: TaskState,
    message?: string,
    level: EventLevel = state === 'failed' ? 'error' : state === 'not-run' ? 'warn' : 'info',
    failure?: Pick<TaskOutcome, 'cause' | 'tolerated'>,
  ): TaskOutcome => {
    const text = message === undefined ? undefined : mask(message)
    const cause = failure?.cause === undefined ? undefined : mask(failure.cause)
    const outcome: TaskOutcome = {
      id: t.id,
      rid: t.rid,
      op: t.op,
      state,
      ...(text ? {message: text} : {}),
      ...(cause ? {cause} : {}),
      ...(failure?.tolerated ? {tolerated: true as const} : {}),
    }
    outcomes.set(t.id, outcome)
    sink.emit(event(level, {rid: t.rid, state, message: text ?? state}))
    return outcome
  }

  /**
   * Runs one task; false when its stage must not go on (a failure the plan does not tolerate).
   * `started` is told once the task's calls are done (true) or that they will not be (false):
   * a dependent that needs it only started goes on then, before its readiness wait ends.
   * `predsOk` is false when what the task waits for did not complete (a readiness failure of a
   * task its predecessor needed only started).
   */
  const runTask = async (
    t: PlanTask,
    started: (ok: boolean) => void = () => undefined,
    predsOk = true,
  ): Promise<boolean> => {
    const finish = (state: TaskState, message: string) => observer.taskFinished?.(t, record(t, state, message))
    if (t.skip) return (finish('skipped', t.skip), true)
    const failed = t.after.map(id => outcomes.get(id)).find(o => o?.state === 'failed')
    if (failed) return (finish('not-run', `not run: ${failed.rid} failed`), false)
    const stop = interruption()
    if (stop) return (finish('not-run', `not run: ${stop}`), true)
    const unmet = t.after.map(id => outcomes.get(id)).find(o => o !== undefined && !COMPLETE.has(o.state))
    if (unmet) return (finish('not-run', `not run: ${unmet.rid} did not run`), false)
    if (!predsOk) return (finish('not-run', 'not run: an earlier task failed'), false)
    const r = service.resource(t.rid)!
    const ctx = createActionContext(
      shared,
      r,
      t.op,
      options.force ?? false,
      journal.forResource(t.rid),
      plannedStep(plan, t),
    )
    running.set(t.rid, t)
    observer.taskStarted?.(t)
    let outcome: TaskOutcome
    try {
      // an observed plan's 'none' is already done: no driver call (its readiness is still checked)
      const change = plan.observed && t.change === 'none' ? 'unchanged' : await runCalls(r, t.calls, ctx)
      started(true)
      if (t.readiness) await awaitReadiness(r, t.readiness, ctx, controller.signal)
      outcome = record(
        t,
        change === 'unchanged' ? 'unchanged' : 'done',
        change === 'unchanged' ? UNCHANGED[t.op] : undefined,
      )
    } catch (error) {
      const message = mask((error as Error).message)
      const cause = causeOf(error)
      if (t.onFailure === 'continue') {
        outcome = record(t, 'done', `optional resource failed: ${message}`, 'warn', {cause, tolerated: true})
        optionalFailed.push(outcome)
      } else {
        outcome = record(t, 'failed', message, 'error', {cause})
        firstError ??= `${t.rid}: ${message}`
      }
    } finally {
      running.delete(t.rid)
    }
    observer.taskFinished?.(t, outcome)
    return outcome.state !== 'failed'
  }

  // each task's promises: its start (calls done), and its gate: done and ready, with the
  // readiness of the tasks it needed only started (what waits for it waits for those too)
  const started = new Map<number, Promise<boolean>>()
  const gates = new Map<number, Promise<boolean>>()
  const launch = (t: PlanTask): Promise<boolean> => {
    const weak = new Set(t.startedOnly ?? [])
    const preds = t.after.map(id => (weak.has(id) ? started.get(id) : gates.get(id)) ?? Promise.resolve(true))
    let tell: (ok: boolean) => void = () => undefined
    started.set(t.id, new Promise<boolean>(resolve => (tell = resolve)))
    // a task that ends before its calls (skipped, not run) tells its start by its result
    const own = Promise.all(preds)
      .then(oks => runTask(t, tell, oks.every(Boolean)))
      .then(ok => (tell(ok), ok))
      .finally(() => tell(false))
    const gate = Promise.all([own, ...[...weak].map(id => gates.get(id) ?? Promise.resolve(true))]).then(oks =>
      oks.every(Boolean),
    )
    gates.set(t.id, gate)
    return gate
  }

  const runStage = async (stage: PlanStage): Promise<void> => {
    const tasks = stage.tasks.map(id => plan.tasks[id - 1])
    if (!stage.parallel) {
      // each after the previous: its readiness, or only its start when the next needs no more
      const launched: Promise<boolean>[] = []
      for (const [i, t] of tasks.entries()) {
        launched.push(launch(t))
        const next = tasks[i + 1]
        const ok = await (next?.startedOnly?.includes(t.id) ? started.get(t.id)! : gates.get(t.id)!)
        if (!ok) break
      }
      await Promise.all(launched)
      return
    }
    // a failure in a parallel stage lets its running members finish; what depends on it does not run
    await Promise.all(tasks.map(launch))
  }

  for (const a of plan.added) svcLog.info(`add rid ${a.rid} to satisfy dependencies`)
  observer.actionStarted?.(plan)
  try {
    for (const [i, stage] of plan.stages.entries()) {
      const skip = firstError !== undefined ? 'not run: an earlier task failed' : interruption()
      if (skip) {
        observer.stageFinished?.(stage, {state: 'skipped', reason: skip})
        continue
      }
      observer.stageStarted?.(stage)
      if (stage.phase === 'start' && plan.stages[i - 1]?.phase === 'stop')
        svcLog.info('instance stopped, ready for restart.')
      await runStage(stage)
      observer.stageFinished?.(stage, {state: 'done'})
    }
  } catch (error) {
    // not a task's failure (those are recorded): a defect, reported as the action's error
    firstError ??= mask((error as Error).message)
  }

  const stopped = interruption()
  const tasks = plan.tasks.map(
    (t): TaskOutcome =>
      outcomes.get(t.id) ??
      (t.skip
        ? {id: t.id, rid: t.rid, op: t.op, state: 'skipped', message: t.skip}
        : {
            id: t.id,
            rid: t.rid,
            op: t.op,
            state: 'not-run',
            message: `not run: ${stopped ?? (firstError !== undefined ? 'an earlier task failed' : 'not reached')}`,
          }),
  )
  const notDone = tasks.filter(t => !COMPLETE.has(t.state))
  const ok = notDone.length === 0 && firstError === undefined
  // an interruption is the cause of whatever it left undone, even of a task it made fail
  const error = ok ? undefined : (stopped ?? firstError ?? `${notDone.length} task(s) not done`)
  // a view that owns the terminal lets go of it before the rollback's lines
  await observer.tasksEnded?.(tasks)

  let rollback: UndoOutcome[] = []
  if (!ok && plan.rollback && journal.size > 0) {
    phaseSignal = rollbackController.signal
    if (rollbackController.signal.aborted)
      svcLog.warn(
        `rollback ${reasonOf(rollbackController.signal, 'skipped')}: ${journal.size} change(s) made by this ${plan.action} left in place`,
      )
    else svcLog.warn(`rollback: undo ${journal.size} change(s) made by this ${plan.action}, in reverse order`)
    rollback = await journal.rollback((entry, failure, skipped) => {
      const description = mask(entry.description)
      const message = mask(
        skipped
          ? `rollback of ${entry.description} ${skipped}: left in place`
          : failure
            ? `rollback ${entry.description} failed: ${failure.message}`
            : `rolled back: ${entry.description}`,
      )
      sink.emit(
        event(failure || skipped ? 'error' : 'info', {
          rid: entry.rid,
          state: failure ? 'failed' : skipped ? 'not-run' : 'rolled-back',
          message,
        }),
      )
      const why = skipped ?? (failure ? mask(failure.message) : undefined)
      observer.rollbackStep?.({
        rid: entry.rid,
        description,
        ok: !failure && !skipped,
        ...(why ? {error: why} : {}),
        ...(skipped ? {skipped: true} : {}),
      })
    }, rollbackController.signal)
    rollback = rollback.map(u => ({...u, description: mask(u.description), ...(u.error ? {error: mask(u.error)} : {})}))
  } else if (!ok && journal.size > 0 && plan.tasks.some(t => t.phase === 'start')) {
    svcLog.warn(`rollback disabled: ${journal.size} change(s) left in place`)
  }
  // a signal during the rollback of a failure also counts: it decides the exit code
  const interrupted = interruption()
  const result: ExecutionResult = {
    ok,
    tasks,
    notDone,
    optionalFailed,
    rollback,
    ...(error ? {error} : {}),
    ...(interrupted ? {interrupted} : {}),
  }
  observer.actionFinished?.(result)
  return result
}
