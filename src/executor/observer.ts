/**
 * What the executor tells a progress view while it runs a plan (src/render/action-view.ts has
 * the TTY tree, the line printer and the silent view). Every method is optional. Events also go
 * to the action's sink (the log file, the JSON result); a view shows them as it sees fit.
 */
import type {ActionEvent} from '../log/events.js'
import type {Plan, PlanStage, PlanTask} from '../planner/types.js'
import type {UndoOutcome} from './journal.js'
import type {ExecutionResult, TaskOutcome} from './execute.js'

export type StageOutcome = {readonly state: 'done'} | {readonly state: 'skipped'; readonly reason: string}

export interface ExecutionObserver {
  /** The plan is made (runServiceAction, before the lock; a dry run ends after it). */
  planned?(plan: Plan, dryRun: boolean): void
  /** Before the first stage. */
  actionStarted?(plan: Plan): void
  stageStarted?(stage: PlanStage): void
  /** Also for a stage that did not run (after a failure or an interruption), with why. */
  stageFinished?(stage: PlanStage, outcome: StageOutcome): void
  taskStarted?(task: PlanTask): void
  /** An event of a resource whose task is running (its driver's log lines, its state change). */
  taskOutput?(task: PlanTask, event: ActionEvent): void
  taskFinished?(task: PlanTask, outcome: TaskOutcome): void
  /** Any other event: no task of its resource is running (the service's own lines, the rollback's). */
  event?(event: ActionEvent): void
  /**
   * The tasks are over (every task's final outcome, those never reached included); the rollback,
   * if any, comes next. The executor waits for the returned promise: a view that owns the
   * terminal lets go of it first, so what follows prints below it.
   */
  tasksEnded?(tasks: readonly TaskOutcome[]): void | Promise<void>
  /** The first signal: no new task starts. */
  interrupted?(reason: string): void
  rollbackStep?(step: UndoOutcome): void
  /** The result; events after this one (the service's own report) are no longer the view's to show. */
  actionFinished?(result: ExecutionResult): void
}

/**
 * The observer with each call fenced off: a view is display only, so one that throws (a closed
 * output) never reaches the action. It is reported once through `onError` and left out from then on.
 */
export function guardObserver(
  observer: ExecutionObserver | undefined,
  onError: (error: Error) => void = warnViewFailed,
): ExecutionObserver {
  if (!observer) return {}
  if (GUARDED.has(observer)) return observer
  let failed = false
  const guarded: ExecutionObserver = {}
  for (const key of Object.keys(OBSERVER_METHODS) as Array<keyof ExecutionObserver>) {
    const method = observer[key] as ((...args: unknown[]) => unknown) | undefined
    if (typeof method !== 'function') continue
    const fence = (error: unknown) => {
      if (failed) return
      failed = true
      try {
        onError(error as Error)
      } catch {}
    }
    ;(guarded as Record<string, unknown>)[key] = (...args: unknown[]) => {
      if (failed) return
      try {
        const r = method.apply(observer, args)
        return r instanceof Promise ? r.catch(fence) : r
      } catch (error) {
        fence(error)
      }
    }
  }
  GUARDED.add(guarded)
  return guarded
}

const GUARDED = new WeakSet<ExecutionObserver>()

// every method of the interface, so a class instance's prototype methods are found too
const OBSERVER_METHODS: Record<keyof ExecutionObserver, true> = {
  planned: true,
  actionStarted: true,
  stageStarted: true,
  stageFinished: true,
  taskStarted: true,
  taskOutput: true,
  taskFinished: true,
  event: true,
  tasksEnded: true,
  interrupted: true,
  rollbackStep: true,
  actionFinished: true,
}

function warnViewFailed(error: Error): void {
  process.stderr.write(`svcmgr: warning: the progress view failed: ${error.message}; continuing without it\n`)
}
