/**
 * Runs a Plan with listr2: stages in order, the members of a parallel stage concurrently,
 * each task after the tasks it depends on. No decisions are left here: what runs and in
 * which order is the plan's; this module only runs it, records undo steps, and rolls back.
 */
import type {ChangeResult, DriverSettings, StepAction} from '../drivers/api.js'
import {createActionContext, createLogger, type ContextShared} from '../drivers/context.js'
import type {EventSink, TaskState} from '../log/events.js'
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
  readonly signal?: AbortSignal
}

export interface TaskOutcome {
  readonly id: number
  readonly rid: string
  readonly op: StepAction
  readonly state: TaskState
  readonly message?: string
}

export interface ExecutionResult {
  readonly ok: boolean
  readonly tasks: TaskOutcome[]
  readonly rollback: UndoOutcome[]
  readonly error?: string
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
  const controller = new AbortController()
  options.signal?.addEventListener('abort', () => controller.abort(), {once: true})
  // while the TTY renderer owns the terminal, a resource's messages show as its task's output
  const taskOutputs = new Map<string, (message: string) => void>()
  const sink: EventSink = options.renderer !== 'tty' ? options.sink : {
    emit(e) {
      options.sink.emit(e)
      if (e.rid && e.level !== 'debug') taskOutputs.get(e.rid)?.(e.message)
    },
  }
  const shared: ContextShared = {service, settings: options.settings, sink, signal: controller.signal, cache: new Map(), action: plan.action}
  const svcLog = createLogger(shared)
  const journal = new RollbackJournal()
  const outcomes = new Map<number, TaskOutcome>()
  const done = new Map<number, Promise<void>>()
  let firstError: string | undefined

  const record = (t: PlanTask, state: TaskState, message?: string) => {
    outcomes.set(t.id, {id: t.id, rid: t.rid, op: t.op, state, ...(message ? {message} : {})})
    const level = state === 'failed' ? 'error' : 'info'
    sink.emit({time: new Date().toISOString(), level, node: service.nodename, service: service.name, rid: t.rid, action: plan.action, state, message: message ?? state})
  }

  const runTask = async (t: PlanTask): Promise<void> => {
    const r = service.resource(t.rid)!
    await Promise.all(t.after.map(id => done.get(id)))
    if (t.skip) return record(t, 'skipped', t.skip)
    const blocked = t.after.map(id => outcomes.get(id)).find(o => o?.state === 'failed')
    if (blocked) {
      record(t, 'skipped', `not run: ${blocked.rid} failed`)
      throw new Error(`${t.rid}: not run because ${blocked.rid} failed`)
    }
    if (controller.signal.aborted) return record(t, 'skipped', 'interrupted')
    const ctx = createActionContext(shared, r, t.op, options.force ?? false, journal.forResource(t.rid))
    try {
      const change = await runOp(r, t.op, ctx)
      record(t, change === 'unchanged' ? 'unchanged' : 'done', change === 'unchanged' ? UNCHANGED[t.op] : undefined)
    } catch (error) {
      const message = (error as Error).message
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
      skip: () => (firstError !== undefined ? 'not run: an earlier task failed' : false),
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
                const route = (message: string) => (task.output = message)
                if (options.renderer === 'tty') taskOutputs.set(t.rid, route)
                try {
                  await runTask(t)
                  const o = outcomes.get(t.id)
                  if (o?.state === 'unchanged' || o?.state === 'skipped') task.title = `${t.rid} ${t.op}: ${o.message}`
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
    } as any,
  )
  let ok = true
  try {
    await list.run()
    if (firstError) ok = false
  } catch {
    ok = false
  }
  if (!ok) firstError ??= 'interrupted'

  let rollback: UndoOutcome[] = []
  if (!ok && plan.rollback && journal.size > 0) {
    svcLog.warn(`rollback: undo ${journal.size} change(s) made by this ${plan.action}, in reverse order`)
    rollback = await journal.rollback((entry, error) => {
      const message = error ? `rollback ${entry.description} failed: ${error.message}` : `rolled back: ${entry.description}`
      options.sink.emit({time: new Date().toISOString(), level: error ? 'error' : 'info', node: service.nodename, service: service.name, rid: entry.rid, action: plan.action, state: error ? 'failed' : 'rolled-back', message})
    })
  } else if (!ok && journal.size > 0) {
    svcLog.warn(`rollback disabled: ${journal.size} change(s) left in place`)
  }
  const tasks = plan.tasks.map(t => outcomes.get(t.id) ?? {id: t.id, rid: t.rid, op: t.op, state: 'skipped' as TaskState, message: 'not run'})
  return {ok, tasks, rollback, ...(firstError && !ok ? {error: firstError} : {})}
}
