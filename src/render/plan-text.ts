/** The deterministic text form of a plan: what --dry-run prints and golden tests compare. */
import type {Plan, PlanTask} from '../planner/types.js'
import {PLANNED_CHANGES} from '../planner/types.js'

/** A task's change and its cause: `create (absent)`, `none: already up`, `recreate: image redis → redis:3.0`. */
export function formatChange(t: Pick<PlanTask, 'change' | 'cause'>): string {
  return t.change === 'none' || t.change === 'recreate' ? `${t.change}: ${t.cause}` : `${t.change} (${t.cause})`
}

/** `3 to start, 1 to recreate, 2 already up`: the changes in a fixed order, then what stays. */
export function formatSummary(plan: Plan): string {
  const parts: string[] = []
  for (const c of PLANNED_CHANGES) {
    if (c === 'none') continue
    const n = plan.summary[c]
    if (n) parts.push(`${n} to ${c}`)
  }
  const none = plan.tasks.filter(t => t.change === 'none')
  const skipped = none.filter(t => t.skip).length
  const up = none.filter(t => !t.skip && t.phase === 'start').length
  const down = none.filter(t => !t.skip && t.phase === 'stop').length
  if (up) parts.push(`${up} already up`)
  if (down) parts.push(`${down} already down`)
  if (skipped) parts.push(`${skipped} skipped`)
  return parts.length ? parts.join(', ') : 'nothing to do'
}

export function formatPlanText(plan: Plan): string {
  const out: string[] = [`${plan.action} ${plan.service}`]
  for (const a of plan.added) out.push(`  add rid ${a.rid} to satisfy dependencies (${a.reason})`)
  let phase: string | undefined
  for (const stage of plan.stages) {
    if (plan.action === 'restart' && stage.phase !== phase) {
      out.push(`  ${stage.phase} phase`)
      phase = stage.phase
    }
    const mode = stage.parallel ? 'parallel' : 'sequential'
    out.push(`  stage ${stage.index}: ${stage.group}${stage.subset !== undefined ? `:${stage.subset}` : ''} (${mode})`)
    for (const id of stage.tasks) {
      const t = plan.tasks[id - 1]
      const weak = new Set(t.startedOnly ?? [])
      const after =
        t.after.length > 0 ? `  after [${t.after.map(id => (weak.has(id) ? `${id} started` : id)).join(', ')}]` : ''
      // an observed plan says what the task will change and why; a static one the op it asks
      const what = t.skip ? t.op : plan.observed ? formatChange(t) : t.op
      out.push(`    [${t.id}] ${t.rid}  ${what}${after}${t.skip ? `  skipped: ${t.skip}` : ''}`)
      for (const s of t.steps) out.push(`          ${s}`)
      if (t.readiness) out.push(`          ${t.readiness.description}`)
    }
  }
  if (plan.observed) out.push(`  summary: ${formatSummary(plan)}`)
  if (plan.rollback) out.push('  on failure: undo what this action changed, in reverse order')
  return out.join('\n') + '\n'
}
