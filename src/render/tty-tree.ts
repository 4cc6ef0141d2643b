/**
 * The TTY view: listr2's tree of stages and tasks, each running task showing its resource's last
 * message. The executor decides and runs everything; the tree only mirrors what it is told, so
 * every listr task waits for its plan task's outcome. Once the tasks are over the tree ends and
 * the rest of the action (the rollback) prints as lines.
 */
import type {ExecutionResult, TaskOutcome} from '../executor/execute.js'
import type {ExecutionObserver, StageOutcome} from '../executor/observer.js'
import type {ActionEvent} from '../log/events.js'
import type {Plan, PlanStage, PlanTask} from '../planner/types.js'
import {LinePrinterSink} from './renderer.js'

class Deferred<T> {
  settled = false
  resolve!: (value: T) => void
  readonly promise = new Promise<T>(res => (this.resolve = res))
  settle(value: T): void {
    if (this.settled) return
    this.settled = true
    this.resolve(value)
  }
}

interface Row {
  readonly finished: Deferred<TaskOutcome>
  last?: string
  show?: (message: string) => void
}

export function stageTitle(plan: Plan, stage: PlanStage): string {
  const verb = stage.phase === 'stop' ? 'stop' : plan.action === 'restart' ? 'start' : plan.action
  return `${verb} ${stage.group}${stage.subset !== undefined ? `:${stage.subset}` : ''}${stage.parallel ? ' (parallel)' : ''}`
}

export class TtyTreeView implements ExecutionObserver {
  private readonly rows = new Map<number, Row>()
  private readonly stages = new Map<number, Deferred<StageOutcome>>()
  private tree?: Promise<void>
  private phase: 'tree' | 'lines' | 'over' = 'tree'
  // after the tree, as the TTY view always printed them: from info up
  private readonly lines = new LinePrinterSink()

  actionStarted(plan: Plan): void {
    for (const t of plan.tasks) this.rows.set(t.id, {finished: new Deferred()})
    for (const s of plan.stages) this.stages.set(s.index, new Deferred())
    this.tree = this.draw(plan).catch(() => undefined)
  }

  stageStarted(stage: PlanStage): void {
    this.stages.get(stage.index)?.settle({state: 'done'})
  }

  stageFinished(stage: PlanStage, outcome: StageOutcome): void {
    this.stages.get(stage.index)?.settle(outcome)
  }

  taskOutput(task: PlanTask, event: ActionEvent): void {
    const row = this.rows.get(task.id)
    if (!row || event.level === 'debug' || this.phase !== 'tree') return
    row.last = event.message
    row.show?.(event.message)
  }

  taskFinished(task: PlanTask, outcome: TaskOutcome): void {
    this.rows.get(task.id)?.finished.settle(outcome)
  }

  event(event: ActionEvent): void {
    if (this.phase === 'lines') this.lines.emit(event)
  }

  async tasksEnded(tasks: readonly TaskOutcome[]): Promise<void> {
    // the tasks never reached and the stages never told about end the tree with their outcome
    for (const o of tasks) this.rows.get(o.id)?.finished.settle(o)
    for (const s of this.stages.values()) s.settle({state: 'skipped', reason: 'not reached'})
    await this.tree
    this.phase = 'lines'
  }

  actionFinished(_result: ExecutionResult): void {
    this.phase = 'over'
  }

  private async draw(plan: Plan): Promise<void> {
    const {Listr} = await import('listr2')
    const row = (t: PlanTask) => ({
      title: `${t.rid} ${t.op}`,
      task: async (_ctx: unknown, task: any) => {
        const r = this.rows.get(t.id)!
        r.show = (message: string) => {
          // display only: a task listr has let go of may refuse output, the event itself is already delivered
          try {
            task.output = message
          } catch {}
        }
        if (r.last !== undefined) r.show(r.last)
        const o = await r.finished.promise
        if (o.state === 'failed') throw new Error(o.message ?? 'failed')
        if (o.state === 'skipped' || o.state === 'not-run') task.skip(`${t.rid} ${t.op}: ${o.message}`)
        else if (o.state === 'unchanged') task.title = `${t.rid} ${t.op}: ${o.message}`
      },
    })
    const list = new Listr(
      plan.stages.map(stage => ({
        title: stageTitle(plan, stage),
        task: async (_ctx: unknown, stageTask: any) => {
          const outcome = await this.stages.get(stage.index)!.promise
          if (outcome.state === 'skipped') return stageTask.skip(`${stageTitle(plan, stage)}: ${outcome.reason}`)
          // the executor decides what runs after a failure: the tree shows every row to its outcome
          return stageTask.newListr(
            stage.tasks.map(id => row(plan.tasks[id - 1])),
            {concurrent: stage.parallel, exitOnError: false},
          )
        },
      })),
      {
        concurrent: false,
        exitOnError: false,
        renderer: 'default',
        rendererOptions: {collapseSubtasks: false, showErrorMessage: false},
        collectErrors: false,
        // listr's own SIGINT handler calls process.exit(127): no rollback, no lock release, no report
        registerSignalListeners: false,
      } as any,
    )
    await list.run()
  }
}
