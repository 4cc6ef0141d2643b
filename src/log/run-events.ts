/**
 * The run-event model: what an action's views and the CI event stream are made of. The
 * executor reports to an ExecutionObserver (../executor/observer.ts); RunEventHub is that
 * observer: it turns each report into one RunEvent (numbered, timestamped, stamped with the run
 * id and the plan digest, a task's duration) and hands it to every consumer: the TTY tree and
 * the line printer (src/render) and the JSON-lines writer (src/render/event-stream.ts). One
 * model, one order: the views and `--format jsonl` / `--events-file` see the same events.
 */
import {randomUUID} from 'node:crypto'
import type {ExecutionResult, TaskOutcome} from '../executor/execute.js'
import type {ExecutionObserver, StageOutcome} from '../executor/observer.js'
import type {UndoOutcome} from '../executor/journal.js'
import {planDigest} from '../planner/digest.js'
import type {Plan, PlanStage, PlanTask} from '../planner/types.js'
import type {ActionEvent, EventLevel, TaskState} from './events.js'

/** The stream's version (`v` of every event): a new field is additive; a changed or removed one bumps it. */
export const RUN_EVENTS_VERSION = 1

/**
 * A task's phase: planned (the plan has it), started (its driver calls begin), then changed,
 * unchanged (already in the wanted state), failed, skipped (the plan runs nothing there) or
 * not-run (it should have run and did not); a rollback step: rolled-back, failed or skipped.
 */
export type RunPhase =
  'planned' | 'started' | 'changed' | 'unchanged' | 'failed' | 'rolled-back' | 'skipped' | 'not-run'

export type RunEventKind =
  /** phase planned (the plan is made), started (the executor begins: the lock is held), finished */
  | 'run'
  /** phase started, finished or skipped (with why) */
  | 'stage'
  | 'task'
  /** a line of the action: a driver's message, the service's own (level, rid, the task it belongs to) */
  | 'log'
  /** the first signal: no new task starts */
  | 'interrupted'
  /** every task has its final phase; a rollback, if any, comes next */
  | 'tasks-ended'
  | 'rollback'
  /** an error outside the tasks: a config error, a lock refused, a plan that cannot be made */
  | 'error'
  /** the last event: the result and the exit code */
  | 'summary'

export interface RunError {
  readonly message: string
  readonly cause?: string
  /** The error's class (ConfigError, LockError, ...) for errors outside the tasks. */
  readonly type?: string
  readonly problems?: readonly string[]
}

export interface RunEvent {
  readonly v: number
  readonly seq: number
  readonly ts: string
  readonly run: string
  /** planDigest of the plan (null before one is made: a config error). */
  readonly plan: string | null
  readonly node: string
  readonly service: string
  readonly action: string
  readonly kind: RunEventKind
  readonly phase?: RunPhase | 'finished'
  readonly stage?: number
  readonly task?: number
  readonly rid?: string
  /** A task's change (create, start, none, ...), from the plan. */
  readonly change?: string
  readonly cause?: string
  readonly level?: EventLevel
  /** A log event's task state (the log file's form of a task's end: the task event says it too). */
  readonly state?: TaskState
  readonly message?: string
  readonly duration_ms?: number
  readonly error?: RunError
  /** a tolerated failure (an optional resource): the task counts as done */
  readonly tolerated?: true
  // run (planned): the plan's size; summary: the result
  readonly tasks?: number
  /** run (planned): how many tasks plan each change (the plan's summary) */
  readonly changes?: Readonly<Record<string, number>>
  readonly dry_run?: boolean
  readonly ok?: boolean
  readonly exit_code?: number
  readonly result?: 'done' | 'failed' | 'interrupted' | 'error' | 'planned'
  readonly counts?: Readonly<Record<string, number>>
  readonly signal?: string
}

/** What a consumer may need beyond the event: the plan itself (the TTY tree draws it). */
export interface RunContext {
  readonly plan?: Plan
}

export interface RunEventConsumer {
  /** A consumer that returns a promise on `tasks-ended` holds the action until it settles (a view letting go of the terminal). */
  see(event: RunEvent, run: RunContext): void | Promise<void>
}

export interface RunIdentity {
  readonly node: string
  readonly service: string
  readonly action: string
  readonly run?: string
}

const PHASE_OF: Record<TaskState, RunPhase> = {
  running: 'started',
  done: 'changed',
  unchanged: 'unchanged',
  failed: 'failed',
  skipped: 'skipped',
  'not-run': 'not-run',
  'rolled-back': 'rolled-back',
}

/** The summary's exit code and result, as the command ends. */
export interface RunEnd {
  readonly exitCode: number
  readonly ok: boolean
  readonly dryRun?: boolean
  readonly signal?: string
  readonly error?: unknown
  readonly result?: ExecutionResult
}

const NOTHING_TO_WAIT_FOR = Promise.resolve()

export class RunEventHub implements ExecutionObserver {
  readonly run: string
  private readonly consumers: RunEventConsumer[] = []
  private seq = 0
  /** null before a plan is made; undefined once it is, until an event needs it (see stamp) */
  private digest: string | null | undefined = null
  private plan?: Plan
  private readonly began = performance.now()
  private readonly taskBegan = new Map<number, number>()
  private readonly reported = new Set<number>()
  private readonly counts: Record<string, number> = {}
  private ended = false

  constructor(
    private readonly id: RunIdentity,
    private readonly onConsumerError: (error: Error) => void = warnConsumerFailed,
  ) {
    this.run = id.run ?? randomUUID()
  }

  subscribe(consumer: RunEventConsumer | undefined): this {
    if (consumer) this.consumers.push(consumer)
    return this
  }

  get finished(): boolean {
    return this.ended
  }

  private emit(
    fields: Omit<RunEvent, 'v' | 'seq' | 'ts' | 'run' | 'plan' | 'node' | 'service' | 'action'>,
    ts?: string,
  ): void {
    void this.send(fields, ts)
  }

  /** Each consumer sees the event; one that throws (or whose promise rejects) is dropped with one warning, the others go on. */
  private send(
    fields: Omit<RunEvent, 'v' | 'seq' | 'ts' | 'run' | 'plan' | 'node' | 'service' | 'action'>,
    ts?: string,
  ): Promise<void> {
    const seq = ++this.seq
    // nobody to tell (--format json without --events-file): no event, and no digest of the plan
    if (this.consumers.length === 0) return NOTHING_TO_WAIT_FOR
    const event: RunEvent = {
      v: RUN_EVENTS_VERSION,
      seq,
      ts: ts ?? new Date().toISOString(),
      run: this.run,
      plan: this.stamp(),
      node: this.id.node,
      service: this.id.service,
      action: this.id.action,
      ...fields,
    }
    const waits: Promise<void>[] = []
    for (const c of [...this.consumers]) {
      const drop = (error: unknown) => {
        const i = this.consumers.indexOf(c)
        if (i < 0) return
        this.consumers.splice(i, 1)
        try {
          this.onConsumerError(error as Error)
        } catch {}
      }
      try {
        const r = c.see(event, {plan: this.plan})
        if (r instanceof Promise) waits.push(r.catch(drop))
      } catch (error) {
        drop(error)
      }
    }
    return Promise.all(waits).then(() => undefined)
  }

  /** The plan digest an event carries: made at the first event that has a consumer (a whole plan's digest is not free). */
  private stamp(): string | null {
    if (this.digest === undefined) this.digest = planDigest(this.plan!)
    return this.digest
  }

  /** The plan is made (before the lock; a dry run stops after it): its digest stamps every later event. */
  planned(plan: Plan, dryRun = false): void {
    if (this.plan) return
    this.plan = plan
    this.digest = undefined
    this.emit({kind: 'run', phase: 'planned', tasks: plan.tasks.length, changes: {...plan.summary}, dry_run: dryRun})
    for (const t of plan.tasks) {
      const {change, cause} = {change: t.change, cause: t.cause}
      this.emit({
        kind: 'task',
        phase: 'planned',
        stage: t.stage,
        task: t.id,
        rid: t.rid,
        change,
        ...(cause ? {cause} : {}),
        ...(t.skip ? {message: `skipped: ${t.skip}`} : {}),
      })
    }
  }

  actionStarted(plan: Plan): void {
    this.planned(plan)
    this.emit({kind: 'run', phase: 'started'})
  }

  stageStarted(stage: PlanStage): void {
    this.emit({kind: 'stage', phase: 'started', stage: stage.index})
  }

  stageFinished(stage: PlanStage, outcome: StageOutcome): void {
    if (outcome.state === 'skipped')
      this.emit({kind: 'stage', phase: 'skipped', stage: stage.index, message: outcome.reason})
    else this.emit({kind: 'stage', phase: 'finished', stage: stage.index})
  }

  taskStarted(task: PlanTask): void {
    this.taskBegan.set(task.id, performance.now())
    this.emit({
      kind: 'task',
      phase: 'started',
      stage: task.stage,
      task: task.id,
      rid: task.rid,
      change: task.change,
    })
  }

  taskOutput(task: PlanTask, event: ActionEvent): void {
    this.log(event, task)
  }

  event(event: ActionEvent): void {
    this.log(event)
  }

  private log(e: ActionEvent, task?: PlanTask): void {
    this.emit(
      {
        kind: 'log',
        level: e.level,
        ...(task ? {stage: task.stage, task: task.id} : {}),
        ...(e.rid !== undefined ? {rid: e.rid} : {}),
        ...(e.state ? {state: e.state} : {}),
        message: e.message,
      },
      e.time,
    )
  }

  taskFinished(task: PlanTask, outcome: TaskOutcome): void {
    this.taskEnd(task, outcome)
  }

  private taskEnd(task: PlanTask | undefined, o: TaskOutcome): void {
    if (this.reported.has(o.id)) return
    this.reported.add(o.id)
    const phase = o.tolerated ? 'failed' : PHASE_OF[o.state]
    const began = this.taskBegan.get(o.id)
    this.counts[phase] = (this.counts[phase] ?? 0) + 1
    const failed = o.state === 'failed' || o.tolerated
    this.emit({
      kind: 'task',
      phase,
      ...(task ? {stage: task.stage} : {}),
      task: o.id,
      rid: o.rid,
      ...(task ? {change: task.change} : {}),
      ...(began !== undefined ? {duration_ms: Math.round(performance.now() - began)} : {}),
      ...(o.message !== undefined && !failed ? {message: o.message} : {}),
      ...(failed ? {error: {message: o.message ?? 'failed', ...(o.cause ? {cause: o.cause} : {})}} : {}),
      ...(o.tolerated ? {tolerated: true as const} : {}),
    })
  }

  tasksEnded(tasks: readonly TaskOutcome[]): Promise<void> {
    // the tasks never reached end too: every rid of the plan has its final phase
    for (const o of tasks) this.taskEnd(this.plan?.tasks[o.id - 1], o)
    return this.send({kind: 'tasks-ended', counts: {...this.counts}})
  }

  interrupted(reason: string): void {
    this.emit({kind: 'interrupted', message: reason})
  }

  rollbackStep(step: UndoOutcome): void {
    const phase: RunPhase = step.ok ? 'rolled-back' : step.skipped ? 'skipped' : 'failed'
    const key = `rollback ${phase}`
    this.counts[key] = (this.counts[key] ?? 0) + 1
    this.emit({
      kind: 'rollback',
      phase,
      rid: step.rid,
      message: step.description,
      ...(step.error && !step.skipped ? {error: {message: step.error}} : {}),
      ...(step.skipped ? {cause: step.error} : {}),
    })
  }

  actionFinished(result: ExecutionResult): void {
    this.emit({
      kind: 'run',
      phase: 'finished',
      ok: result.ok,
      ...(result.error ? {error: {message: result.error}} : {}),
    })
  }

  /** An error outside the tasks (config, plan, lock, a defect): an event, then the summary says how the command ends. */
  error(error: unknown): void {
    this.emit({kind: 'error', error: describeError(error)})
  }

  /** The last event. Once only: a second call (the process' exit after a normal end) does nothing. */
  summary(end: RunEnd): void {
    if (this.ended) return
    this.ended = true
    const result =
      end.dryRun && end.ok ? 'planned' : end.signal ? 'interrupted' : end.ok ? 'done' : end.result ? 'failed' : 'error'
    const message = end.error !== undefined ? describeError(end.error).message : end.result?.error
    this.emit({
      kind: 'summary',
      ok: end.ok,
      exit_code: end.exitCode,
      result,
      counts: {...this.counts},
      duration_ms: Math.round(performance.now() - this.began),
      ...(end.signal ? {signal: end.signal} : {}),
      ...(message ? {error: {message}} : {}),
    })
  }
}

export function describeError(error: unknown): RunError {
  if (!(error instanceof Error)) return {message: String(error)}
  const e = error as Error & {problems?: readonly string[]; cause?: unknown}
  const cause = e.cause instanceof Error ? e.cause.message : typeof e.cause === 'string' ? e.cause : undefined
  return {
    message: e.message,
    type: e.constructor.name,
    ...(cause ? {cause} : {}),
    ...(e.problems && e.problems.length > 1 ? {problems: [...e.problems]} : {}),
  }
}

function warnConsumerFailed(error: Error): void {
  process.stderr.write(`svcmgr: warning: the progress view failed: ${error.message}; continuing without it\n`)
}
