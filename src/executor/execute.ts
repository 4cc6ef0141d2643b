/**
 * Runs a Plan with listr2: stages in order, the members of a parallel stage concurrently,
 * each task after the tasks it depends on. No decisions are left here: what runs and in
 * which order is the plan's; this module only runs it, records undo steps, and rolls back.
 */
import type {ChangeResult, DriverSettings, StepAction} from '../drivers/api.js'
import {createActionContext, createLogger, type ContextShared} from '../drivers/context.js'
import type {EventSink, TaskState} from '../log/events.js'
import {secretMasker} from '../log/mask.js'
import {LinePrinterSink} from '../render/renderer.js'
import type {Service, ServiceResource} from '../model/service.js'
import type {Plan, PlanTask} from '../planner/types.js'
import {RollbackJournal, type UndoOutcome} from './journal.js'

export type RendererChoice = 'tty' | 'lines' | 'silent'

export interface ExecuteOptions {
  readonly service: Service
  readonly settings: DriverSettings
  readonly sink: EventSink
  readonly renderer: RendererChoice
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
}

export interface ExecutionResult {
  /** Every task done, unchanged, or skipped by the plan itself. */
  readonly ok: boolean
  readonly tasks: TaskOutcome[]
  /** The tasks that should have run and did not complete: failed or not run. */
  readonly notDone: TaskOutcome[]
  readonly rollback: UndoOutcome[]
  readonly error?: string
  /** Set when the action was interrupted: why ("interrupted by SIGTERM"). */
  readonly interrupted?: string
}

const COMPLETE: ReadonlySet<TaskState> = new Set(['done', 'unchanged', 'skipped'])

function reasonOf(signal: AbortSignal, fallback: string): string {
  return typeof signal.reason === 'string' ? signal.reason : fallback
}

async function runOp(r: ServiceResource, op: StepAction, ctx: ReturnType<typeof createActionContext>): Promise<ChangeResult> {
  const d = r.driver
  switch (op) {
    case 'start':
      return d.start(ctx)
    case 'stop':
      return d.stop(ctx)
    case 'provision': {
      const p = d.provision ? await d.provision(ctx) : 'unchanged'
      const s = await d.start(ctx)
      return p === 'changed' || s === 'changed' ? 'changed' : 'unchanged'
    }
    case 'unprovision': {
      const s = await d.stop(ctx)
      const u = d.unprovision ? await d.unprovision(ctx) : 'unchanged'
      return u === 'changed' || s === 'changed' ? 'changed' : 'unchanged'
    }
  }
}

const UNCHANGED: Record<StepAction, string> = {start: 'already up', stop: 'already down', provision: 'already provisioned and up', unprovision: 'already unprovisioned'}

export async function executePlan(plan: Plan, options: ExecuteOptions): Promise<ExecutionResult> {
  const {service} = options
  const mask = secretMasker(service)
  const controller = new AbortController()
  const rollbackController = new AbortController()
  const follow = (from: AbortSignal | undefined, to: AbortController, fallback: string) => {
    if (!from) return
    // a signal aborted before the action began never fires its event again
    if (from.aborted) to.abort(reasonOf(from, fallback))
    else from.addEventListener('abort', () => to.abort(reasonOf(from, fallback)), {once: true})
  }
  follow(options.signal, controller, 'interrupted')
  follow(options.rollbackCut, rollbackController, 'skipped')
  // while the TTY renderer owns the terminal, a resource's messages show as its task's output;
  // once it has ended (the rollback) they show as lines: a finished listr task takes no output
  const taskOutputs = new Map<string, (message: string) => void>()
  let afterList: EventSink | undefined
  const sink: EventSink = options.renderer !== 'tty' ? options.sink : {
    emit(e) {
      options.sink.emit(e)
      if (afterList) afterList.emit(e)
      else if (e.rid && e.level !== 'debug') taskOutputs.get(e.rid)?.(e.message)
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
  const done = new Map<number, Promise<void>>()
  let firstError: string | undefined
  const interruption = () => (controller.signal.aborted ? reasonOf(controller.signal, 'interrupted') : undefined)

  const record = (t: PlanTask, state: TaskState, message?: string) => {
    const text = message === undefined ? undefined : mask(message)
    outcomes.set(t.id, {id: t.id, rid: t.rid, op: t.op, state, ...(text ? {message: text} : {})})
    const level = state === 'failed' ? 'error' : state === 'not-run' ? 'warn' : 'info'
    sink.emit({time: new Date().toISOString(), level, node: service.nodename, service: service.name, rid: t.rid, action: plan.action, state, message: text ?? state})
  }

  const runTask = async (t: PlanTask): Promise<void> => {
    const r = service.resource(t.rid)!
    await Promise.all(t.after.map(id => done.get(id)))
    if (t.skip) return record(t, 'skipped', t.skip)
    const blocked = t.after.map(id => outcomes.get(id)).find(o => o?.state === 'failed')
    if (blocked) {
      record(t, 'not-run', `not run: ${blocked.rid} failed`)
      throw new Error(`${t.rid}: not run because ${blocked.rid} failed`)
    }
    const stop = interruption()
    if (stop) return record(t, 'not-run', `not run: ${stop}`)
    const ctx = createActionContext(shared, r, t.op, options.force ?? false, journal.forResource(t.rid))
    try {
      const change = await runOp(r, t.op, ctx)
      record(t, change === 'unchanged' ? 'unchanged' : 'done', change === 'unchanged' ? UNCHANGED[t.op] : undefined)
    } catch (error) {
      const message = mask((error as Error).message)
      if (r.optional) {
        record(t, 'done', `optional resource failed: ${message}`)
        return
      }
      record(t, 'failed', message)
      firstError ??= `${t.rid}: ${message}`
      throw error
    }
  }

  for (const a of plan.added) svcLog.info(`add rid ${a.rid} to satisfy dependencies`)

  const {Listr} = await import('listr2')
  const list = new Listr(
    plan.stages.map(stage => ({
      title: `${stage.phase === 'stop' ? 'stop' : plan.action === 'restart' ? 'start' : plan.action} ${stage.group}${stage.subset !== undefined ? `:${stage.subset}` : ''}${stage.parallel ? ' (parallel)' : ''}`,
      // a failure in a parallel stage does not throw through listr (its siblings finish first): later stages skip
      skip: () => (firstError !== undefined ? 'not run: an earlier task failed' : (interruption() ?? false)),
      task: async (_ctx: unknown, stageTask: any) => {
        if (plan.action === 'restart' && stage.phase === 'start' && stage === plan.stages.find(s => s.phase === 'start')) svcLog.info('instance stopped, ready for restart.')
        return stageTask.newListr(
          stage.tasks.map(id => {
            const t = plan.tasks[id - 1]
            let resolve!: () => void
            done.set(t.id, new Promise<void>(res => (resolve = res)))
            return {
              title: `${t.rid} ${t.op}`,
              task: async (_c: unknown, task: any) => {
                const route = (message: string) => {
                  // display only: a task listr has let go of may refuse output, the event itself is already delivered
                  try {
                    task.output = message
                  } catch {}
                }
                if (options.renderer === 'tty') taskOutputs.set(t.rid, route)
                try {
                  await runTask(t)
                  const o = outcomes.get(t.id)
                  if (o?.state === 'unchanged' || o?.state === 'skipped' || o?.state === 'not-run') task.title = `${t.rid} ${t.op}: ${o.message}`
                } finally {
                  resolve()
                }
              },
            }
          }),
          // a parallel stage lets its running members finish before the failure stops the action
          {concurrent: stage.parallel, exitOnError: !stage.parallel},
        )
      },
    })),
    {
      concurrent: false,
      exitOnError: true,
      renderer: options.renderer === 'tty' ? 'default' : 'silent',
      rendererOptions: {collapseSubtasks: false, showErrorMessage: false},
      collectErrors: false,
      // listr's own SIGINT handler calls process.exit(127): no rollback, no lock release, no report
      registerSignalListeners: false,
    } as any,
  )
  try {
    await list.run()
  } catch (error) {
    firstError ??= mask((error as Error).message)
  }
  if (options.renderer === 'tty') afterList = new LinePrinterSink()

  const stopped = interruption()
  const tasks = plan.tasks.map(t => outcomes.get(t.id) ?? (t.skip
    ? {id: t.id, rid: t.rid, op: t.op, state: 'skipped' as TaskState, message: t.skip}
    : {id: t.id, rid: t.rid, op: t.op, state: 'not-run' as TaskState, message: `not run: ${stopped ?? (firstError !== undefined ? 'an earlier task failed' : 'not reached')}`}))
  const notDone = tasks.filter(t => !COMPLETE.has(t.state))
  const ok = notDone.length === 0 && firstError === undefined
  // an interruption is the cause of whatever it left undone, even of a task it made fail
  const error = ok ? undefined : (stopped ?? firstError ?? `${notDone.length} task(s) not done`)

  let rollback: UndoOutcome[] = []
  if (!ok && plan.rollback && journal.size > 0) {
    phaseSignal = rollbackController.signal
    if (rollbackController.signal.aborted) svcLog.warn(`rollback ${reasonOf(rollbackController.signal, 'skipped')}: ${journal.size} change(s) made by this ${plan.action} left in place`)
    else svcLog.warn(`rollback: undo ${journal.size} change(s) made by this ${plan.action}, in reverse order`)
    rollback = await journal.rollback((entry, failure, skipped) => {
      const message = mask(skipped ? `rollback of ${entry.description} ${skipped}: left in place` : failure ? `rollback ${entry.description} failed: ${failure.message}` : `rolled back: ${entry.description}`)
      sink.emit({time: new Date().toISOString(), level: failure || skipped ? 'error' : 'info', node: service.nodename, service: service.name, rid: entry.rid, action: plan.action, state: failure ? 'failed' : skipped ? 'not-run' : 'rolled-back', message})
    }, rollbackController.signal)
    rollback = rollback.map(u => ({...u, description: mask(u.description), ...(u.error ? {error: mask(u.error)} : {})}))
  } else if (!ok && journal.size > 0 && plan.tasks.some(t => t.phase === 'start')) {
    svcLog.warn(`rollback disabled: ${journal.size} change(s) left in place`)
  }
  // a signal during the rollback of a failure also counts: it decides the exit code
  const interrupted = interruption()
  return {ok, tasks, notDone, rollback, ...(error ? {error} : {}), ...(interrupted ? {interrupted} : {})}
}
