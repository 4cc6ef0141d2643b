/** The deterministic text form of a plan: what --dry-run prints and golden tests compare. */
import type {Plan} from '../planner/types.js'

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
      out.push(`    [${t.id}] ${t.rid}  ${t.op}${after}${t.skip ? `  skipped: ${t.skip}` : ''}`)
      for (const s of t.steps) out.push(`          ${s}`)
      if (t.readiness) out.push(`          ${t.readiness.description}`)
    }
  }
  if (plan.rollback) out.push('  on failure: undo what this action changed, in reverse order')
  return out.join('\n') + '\n'
}
