/**
 * buildPlan: a pure function from (service, action, selection) to a Plan.
 * The tasks are numbered in execution order, stage after stage: each task's `after` lists the
 * tasks of its stage it follows (dependency and order edges), earlier stages are implied.
 * Linear in resources and edges.
 */
import type {StepAction} from '../drivers/api.js'
import type {Service} from '../model/service.js'
import {buildDependencyGraph, type DependencyGraph} from './dependencies.js'
import {type OrderedStage, orderIntoStages} from './order.js'
import {type Closure, closeOverDependents, closeOverRequirements, selectResources} from './select.js'
import {
  type AddedResource,
  PLAN_FORMAT_VERSION,
  type Plan,
  type PlanStage,
  PLANNED_CHANGES,
  type PlannedChange,
  type PlanTask,
  type Selection,
  type ServiceAction,
  type TaskDependency,
} from './types.js'
import {PlanError} from '../errors.js'
import {readinessGate} from '../readiness/wait.js'

export interface PlanOptions {
  readonly force?: boolean
  readonly disableRollback?: boolean
  /** start --no-wait: no readiness gate, started is enough. */
  readonly noWait?: boolean
  /**
   * false: the tasks' steps are left empty, for observePlan (`describeUnobserved`) to describe
   * only the tasks their observation does not answer: an observed plan's steps are the drivers'
   * answers, and describing every resource first (a docker run line each) was thrown away.
   */
  readonly describe?: boolean
}

type Mutable<T> = {-readonly [K in keyof T]: T[K]}

interface Phase {
  readonly phase: 'stop' | 'start'
  readonly op: StepAction
  readonly closure: Closure
}

function phasesFor(action: ServiceAction, deps: DependencyGraph, selected: string[]): Phase[] {
  switch (action) {
    case 'start':
    case 'provision':
      return [{phase: 'start', op: action, closure: closeOverRequirements(deps, selected)}]
    case 'stop':
    case 'unprovision':
      return [{phase: 'stop', op: action, closure: closeOverDependents(deps, selected)}]
    case 'restart': {
      const stop = closeOverDependents(deps, selected)
      return [
        {phase: 'stop', op: 'stop', closure: stop},
        {phase: 'start', op: 'start', closure: closeOverRequirements(deps, stop.rids)},
      ]
    }
  }
}

/** The driver methods a task calls, in order: every composition of steps is decided here. */
function callsFor(service: Service, rid: string, op: StepAction): StepAction[] {
  const d = service.resource(rid)!.driver
  switch (op) {
    case 'provision':
      return [...(d.provision ? (['provision'] as const) : []), 'start']
    case 'unprovision':
      return ['stop', ...(d.unprovision ? (['unprovision'] as const) : [])]
    default:
      return [op]
  }
}

function stepsFor(service: Service, rid: string, calls: readonly StepAction[]): string[] {
  const r = service.resource(rid)!
  return calls.flatMap(call => r.driver.describe(call, r, service))
}

/** A task's static steps: what its driver describes of its calls (buildPlan's steps). */
export function describeTask(service: Service, task: Pick<PlanTask, 'rid' | 'calls'>): string[] {
  return stepsFor(service, task.rid, task.calls)
}

/** A plan built with `describe: false`, its steps described: the plan buildPlan makes by default. */
export function describePlan(plan: Plan, service: Service): Plan {
  return {...plan, tasks: plan.tasks.map(t => ({...t, steps: describeTask(service, t)}))}
}

/** Stop-like phases run the start order backwards. */
function directed(stages: OrderedStage[], phase: 'stop' | 'start'): OrderedStage[] {
  if (phase === 'start') return stages
  return [...stages]
    .reverse()
    .map(s => ({...s, rids: [...s.rids].reverse(), edges: s.edges.map(([a, b]) => [b, a] as [string, string])}))
}

const NO_PREDECESSORS: readonly string[] = []

export function buildPlan(
  service: Service,
  action: ServiceAction,
  selection: Selection = {},
  options: PlanOptions = {},
): Plan {
  const deps = buildDependencyGraph(service)
  const selected = selectResources(service, selection).map(r => r.rid)
  const phases = phasesFor(action, deps, selected)

  const stages: PlanStage[] = []
  const tasks: PlanTask[] = []
  const added: AddedResource[] = []
  const addedRids = new Set<string>()
  for (const {phase, op, closure} of phases) {
    for (const a of closure.added)
      if (!addedRids.has(a.rid)) {
        addedRids.add(a.rid)
        added.push(a)
      }
    const idOf = new Map<string, number>()
    for (const stage of directed(orderIntoStages(service, closure.rids, deps), phase)) {
      const index = stages.length + 1
      const ids: number[] = []
      const predsOf = new Map<string, string[]>()
      for (const [a, b] of stage.edges) {
        const preds = predsOf.get(b)
        if (preds) preds.push(a)
        else predsOf.set(b, [a])
      }
      for (const rid of stage.rids) {
        const id = tasks.length + 1
        idOf.set(rid, id)
        ids.push(id)
        const r = service.resource(rid)!
        const skip =
          phase === 'stop' && r.standby && !options.force
            ? 'standby resource stays up (use --force to stop it)'
            : undefined
        const preds = predsOf.get(rid) ?? NO_PREDECESSORS
        const after: number[] = []
        // readiness: the predecessors it needs only started (src/readiness)
        const startedOnly: number[] = []
        // a dependency's reason, in the declared direction (a stop-like phase runs the edge backwards)
        const because: TaskDependency[] = []
        // one pass over the predecessors (most tasks have none or one), no arrays made per step
        for (let k = 0; k < preds.length; k++) {
          const a = preds[k]
          // the ids are the execution order: every edge must go forward (to a task numbered
          // before this one), which also proves the order acyclic
          const before = idOf.get(a)
          if (before === undefined || before >= id)
            throw new PlanError(`internal: task ${id} (${rid}) is ordered before ${a} it must follow`)
          after.push(before)
          if (phase === 'start' && deps.gate(a, rid) === 'started') startedOnly.push(before)
          const reason = deps.reason(a, rid) ?? deps.reason(rid, a)
          if (reason !== undefined) because.push({task: before, reason})
        }
        because.sort((x, y) => x.task - y.task)
        const calls = callsFor(service, rid, op)
        const onFailure = r.optional ? 'continue' : 'fail'
        // readiness: the gate after its start
        const readiness = phase === 'start' && !options.noWait ? readinessGate(r, service) : undefined
        // the optional fields assigned in their order, not spread from a literal each (one
        // object per task instead of five: the key order, and so the JSON, is the same)
        const task: Mutable<PlanTask> = {
          id,
          rid,
          driver: `${r.group}.${r.type}`,
          op,
          phase,
          stage: index,
          after: after.sort((x, y) => x - y),
          calls,
          onFailure,
          steps: options.describe === false ? [] : stepsFor(service, rid, calls),
          change: skip ? 'none' : op,
          cause: skip ? `skipped: ${skip}` : 'not observed',
        }
        if (skip) task.skip = skip
        if (readiness) task.readiness = readiness
        if (startedOnly.length > 0) task.startedOnly = startedOnly.sort((x, y) => x - y)
        if (because.length > 0) task.because = because
        tasks.push(task)
      }
      stages.push({
        index,
        phase,
        group: stage.key.group,
        ...(stage.key.subset !== undefined ? {subset: stage.key.subset} : {}),
        parallel: stage.parallel,
        tasks: ids,
      })
    }
  }
  const rollback = phases.some(p => p.phase === 'start') && !options.disableRollback
  return {
    version: PLAN_FORMAT_VERSION,
    service: service.name,
    action,
    selected,
    added,
    stages,
    tasks,
    rollback,
    rollbackOrder: rollback
      ? tasks
          .filter(t => t.phase === 'start')
          .map(t => t.id)
          .reverse()
      : [],
    observed: false,
    summary: summarizeChanges(tasks),
  }
}

/** How many tasks plan each change, in a fixed key order (the plan JSON is deterministic). */
export function summarizeChanges(tasks: readonly Pick<PlanTask, 'change'>[]): Partial<Record<PlannedChange, number>> {
  const counts = new Map<PlannedChange, number>()
  for (const t of tasks) counts.set(t.change, (counts.get(t.change) ?? 0) + 1)
  const out: Partial<Record<PlannedChange, number>> = {}
  for (const c of PLANNED_CHANGES) if (counts.has(c)) out[c] = counts.get(c)
  return out
}
