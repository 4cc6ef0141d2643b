/**
 * The TTY view: listr2's tree of stages and tasks, each running task showing its resource's last
 * message. The executor decides and runs everything; the tree only mirrors the run events it
 * sees (src/log/run-events.ts), so every listr task waits for its plan task's final phase. Once
 * the tasks are over the tree ends and the rest of the action (the rollback) prints as lines.
 */
import type {StageOutcome} from '../executor/observer.js'
import type {RunContext, RunEvent, RunEventConsumer} from '../log/run-events.js'
import type {Plan, PlanStage, PlanTask} from '../planner/types.js'
import {LinePrinterSink, logEventOf} from './renderer.js'

/** What a row ends with: its task's final phase and message. */
interface RowOutcome {
  readonly phase: string
  readonly message?: string
}

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
  readonly finished: Deferred<RowOutcome>
  last?: string
  show?: (message: string) => void
}

export function stageTitle(plan: Plan, stage: PlanStage): string {
  const verb = stage.phase === 'stop' ? 'stop' : plan.action === 'restart' ? 'start' : plan.action
  return `${verb} ${stage.group}${stage.subset !== undefined ? `:${stage.subset}` : ''}${stage.parallel ? ' (parallel)' : ''}`
}

export class TtyTreeView implements RunEventConsumer {
  private readonly rows = new Map<number, Row>()
  private readonly stages = new Map<number, Deferred<StageOutcome>>()
  private tree?: Promise<void>
  private phase: 'waiting' | 'tree' | 'lines' | 'over' = 'waiting'
  // after the tree, as the TTY view always printed them: from info up
  private readonly lines = new LinePrinterSink()

  see(e: RunEvent, run: RunContext): void | Promise<void> {
    switch (e.kind) {
      case 'run':
        if (e.phase === 'started' && run.plan && this.phase === 'waiting') this.start(run.plan)
        else if (e.phase === 'finished') this.phase = 'over'
        return
      case 'stage': {
        const stage = e.stage === undefined ? undefined : this.stages.get(e.stage)
        if (e.phase === 'skipped') stage?.settle({state: 'skipped', reason: e.message ?? 'skipped'})
        else stage?.settle({state: 'done'})
        return
      }
      case 'task':
        if (e.task === undefined || e.phase === 'planned' || e.phase === 'started') return
        // a tolerated failure (an optional resource) counts as done, its warning in the title
        this.rows
          .get(e.task)
          ?.finished.settle({phase: e.tolerated ? 'changed' : e.phase!, message: e.error?.message ?? e.message})
        return
      case 'log':
        if (e.task !== undefined && this.phase === 'tree') {
          const row = this.rows.get(e.task)
          if (!row || e.level === 'debug') return
          row.last = e.message
          row.show?.(e.message!)
        } else if (this.phase === 'lines' && e.task === undefined) this.lines.emit(logEventOf(e))
        return
      case 'tasks-ended':
        return this.letGo()
    }
  }

  private start(plan: Plan): void {
    this.phase = 'tree'
    for (const t of plan.tasks) this.rows.set(t.id, {finished: new Deferred()})
    for (const s of plan.stages) this.stages.set(s.index, new Deferred())
    this.tree = this.draw(plan).catch(() => undefined)
  }

  private async letGo(): Promise<void> {
    // every task's final phase came before this event; the stages never told about end the tree
    for (const r of this.rows.values()) r.finished.settle({phase: 'not-run', message: 'not run'})
    for (const s of this.stages.values()) s.settle({state: 'skipped', reason: 'not reached'})
    await this.tree
    this.phase = 'lines'
  }

  private async draw(plan: Plan): Promise<void> {
    const {Listr} = await import('listr2')
    const row = (t: PlanTask) => ({
      // the planned change where it says more than the step (start (create), start (recreate))
      title: t.change !== 'none' && t.change !== t.op ? `${t.rid} ${t.op} (${t.change})` : `${t.rid} ${t.op}`,
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
        if (o.phase === 'failed') throw new Error(o.message ?? 'failed')
        if (o.phase === 'skipped' || o.phase === 'not-run') task.skip(`${t.rid} ${t.op}: ${o.message}`)
        else if (o.phase === 'unchanged') task.title = `${t.rid} ${t.op}: ${o.message}`
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
