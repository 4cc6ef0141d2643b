/** A plan: plain data, deterministic, what --dry-run prints and the executor runs. */
import type {ObservedState, PlannedChange, StepAction} from '../drivers/api.js'
import type {ReadinessGate} from '../readiness/wait.js'

/** 2: tasks carry change/cause/observed, the plan observed/summary (issue 12). */
export const PLAN_FORMAT_VERSION = 2

/**
 * What a task will do to its resource, and the state it was decided from (deterministic facts
 * only: JSON.stringify of it, keys sorted, is a digest input: observedDigestInput in ./observe.ts).
 * Defined with the driver API (a driver's observe() answers them), re-exported here.
 */
export type {ObservedState, PlannedChange} from '../drivers/api.js'

/** Every PlannedChange, in the order summaries list them. */
export const PLANNED_CHANGES: readonly PlannedChange[] = [
  'create',
  'recreate',
  'start',
  'provision',
  'stop',
  'remove',
  'unprovision',
  'none',
]

export type ServiceAction = 'start' | 'stop' | 'restart' | 'provision' | 'unprovision'

/**
 * What a task's failure means. 'fail': the action fails (later tasks do not run, a start rolls
 * back). 'continue' (an optional resource): the failure is logged as a warning and counted apart,
 * and the action goes on as if the task were done.
 */
export type FailurePolicy = 'fail' | 'continue'

export interface PlanTask {
  /** 1-based, in execution order */
  readonly id: number
  readonly rid: string
  readonly driver: string
  /** The step this task is: what the action asks of the resource (provision, start, ...). */
  readonly op: StepAction
  /**
   * The driver methods the executor calls for it, in order (the task fails at the first that
   * throws): provision is [provision, start], unprovision [stop, unprovision] (a driver without
   * provision/unprovision has only the other call).
   */
  readonly calls: readonly StepAction[]
  readonly onFailure: FailurePolicy
  readonly phase: 'stop' | 'start'
  readonly stage: number
  /** Tasks of the same stage, or dependencies, that must be done first. Earlier stages are implied. */
  readonly after: readonly number[]
  /** The commands or API calls the task would make. */
  readonly steps: readonly string[]
  /** What the task will do: from the op alone (buildPlan) or from the observed state (observePlan). */
  readonly change: PlannedChange
  /** Why: "absent", "exists, stopped", "image redis → redis:3.0", "not observed", "not probed: ...". */
  readonly cause: string
  /** The state the change was decided from (observePlan only). */
  readonly observed?: ObservedState
  /** Set when the task runs nothing, with the reason (e.g. a standby resource on stop). */
  readonly skip?: string
  /**
   * A start's readiness gate (a driver with the readiness capability, no --no-wait): after its
   * calls the task waits for the resource to be ready; what comes after it waits for that.
   */
  readonly readiness?: ReadinessGate
  /** The tasks of `after` this one needs only started, not ready (a dependency declared gate 'started'). */
  readonly startedOnly?: readonly number[]
  /** The edges of `after` that are declared dependencies, with their reasons (the others are a sequential stage's order). */
  readonly because?: readonly TaskDependency[]
}

export interface TaskDependency {
  readonly task: number
  readonly reason: string
}

export interface PlanStage {
  readonly index: number
  readonly phase: 'stop' | 'start'
  readonly group: string
  readonly subset?: string
  readonly parallel: boolean
  readonly tasks: readonly number[]
}

export interface AddedResource {
  readonly rid: string
  readonly reason: string
}

export interface Plan {
  readonly version: number
  readonly service: string
  readonly action: ServiceAction
  readonly selected: readonly string[]
  readonly added: readonly AddedResource[]
  readonly stages: readonly PlanStage[]
  readonly tasks: readonly PlanTask[]
  /** Start-like phases undo what they changed, in reverse, when a task fails. */
  readonly rollback: boolean
  /**
   * The rollback path: the start-phase tasks whose changes would be undone, last first. Only
   * the changes a task really made are undone (a resource already up registers none).
   */
  readonly rollbackOrder: readonly number[]
  /** Whether the tasks' changes came from the observed state (observePlan) or from the ops alone (buildPlan). */
  readonly observed: boolean
  /** How many tasks plan each change (only the changes planned). */
  readonly summary: Partial<Record<PlannedChange, number>>
}

export interface Selection {
  /** Exact rids (container#3), groups (container) or group.type (container.docker). */
  readonly rids?: readonly string[]
  readonly tags?: readonly string[]
  readonly subsets?: readonly string[]
}
