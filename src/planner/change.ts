/** A task's change (create, start, none, ...) and its cause as a picture or a view says it. */
import type {Plan, PlannedChange, PlanTask} from './types.js'

/** The cause is left out of a plan that was not observed: there every task's is "not observed". */
export function taskChange(plan: Plan | undefined, task: PlanTask): {change: PlannedChange; cause?: string} {
  return {change: task.change, ...(plan?.observed && task.cause ? {cause: task.cause} : {})}
}
