/** A task's change (create, start, none, ...) and its cause, as the plan says: its `change` where the planner observed the state, else its op. */
import type {PlanTask} from './types.js'

export function taskChange(task: PlanTask): {change: string; cause?: string} {
  const t = task as PlanTask & {change?: string; cause?: string}
  return {change: t.change ?? task.op, ...(t.cause ? {cause: t.cause} : {})}
}
