/**
 * A plan cut down to some of its resources, renumbered: apply removes the sections a new config
 * dropped without the stop of what depends on them that a `stop --rid` would add (what stays
 * is the new config's business: recreated if it drifted, else left running).
 */
import {summarizeChanges} from './plan.js'
import type {Plan, PlanStage, PlanTask} from './types.js'

export function restrictPlan(plan: Plan, rids: ReadonlySet<string>): Plan {
  const kept = plan.tasks.filter(t => rids.has(t.rid))
  const newId = new Map(kept.map((t, i) => [t.id, i + 1]))
  const stages: PlanStage[] = []
  const newStage = new Map<number, number>()
  for (const s of plan.stages) {
    const tasks = s.tasks.filter(id => newId.has(id)).map(id => newId.get(id)!)
    if (tasks.length === 0) continue
    newStage.set(s.index, stages.length + 1)
    stages.push({...s, index: stages.length + 1, tasks})
  }
  const remap = (ids: readonly number[] | undefined) =>
    (ids ?? []).filter(id => newId.has(id)).map(id => newId.get(id)!)
  const tasks = kept.map((t): PlanTask => {
    const startedOnly = remap(t.startedOnly)
    const {startedOnly: _dropped, ...rest} = t
    return {
      ...rest,
      id: newId.get(t.id)!,
      stage: newStage.get(t.stage)!,
      after: remap(t.after),
      ...(startedOnly.length > 0 ? {startedOnly} : {}),
    }
  })
  return {
    ...plan,
    selected: plan.selected.filter(r => rids.has(r)),
    added: plan.added.filter(a => rids.has(a.rid)),
    stages,
    tasks,
    rollbackOrder: remap(plan.rollbackOrder),
    summary: summarizeChanges(tasks),
  }
}
