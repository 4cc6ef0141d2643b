/** The text of an apply plan: the config diff, the removal and the convergence plans, the summary and the plan's digest. */
import {formatPlanText} from './plan-text.js'
import {formatConfigDiffLines} from './config-diff.js'
import {PLANNED_CHANGES, type Plan} from '../planner/types.js'
import type {ConfigDiffEntry} from '../config/diff.js'

export interface ApplyPlanView {
  readonly service: string
  readonly diff: readonly ConfigDiffEntry[]
  readonly base: unknown
  readonly remove: Plan | null
  readonly converge: Plan
  readonly changes: boolean
  readonly digest: string
}

const indent = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map(l => `  ${l}`)
    .join('\n')

/** "2 to create, 1 to recreate, 3 unchanged": the changes of both plans, in PLANNED_CHANGES' order. */
export function formatChangeCounts(plans: readonly (Plan | null)[]): string {
  const counts = new Map<string, number>()
  for (const p of plans) for (const t of p?.tasks ?? []) counts.set(t.change, (counts.get(t.change) ?? 0) + 1)
  const parts = PLANNED_CHANGES.filter(c => counts.has(c)).map(c =>
    c === 'none' ? `${counts.get(c)} unchanged` : `${counts.get(c)} to ${c}`,
  )
  return parts.length > 0 ? parts.join(', ') : 'no tasks'
}

/** The config diff block: what apply prints first, dry-run or not. */
export function formatConfigDiff(
  view: Pick<ApplyPlanView, 'service' | 'diff' | 'base'>,
  mask: (s: string) => string,
): string {
  const lines = formatConfigDiffLines(view.diff, mask)
  const head = !view.base
    ? `config of ${view.service}: new service (${lines.length} line(s))`
    : lines.length === 0
      ? `config of ${view.service}: unchanged`
      : `config of ${view.service}: ${lines.length} change(s)`
  return [head, ...lines.map(l => `  ${l}`)].join('\n') + '\n'
}

export function formatApplyPlanText(view: ApplyPlanView, mask: (s: string) => string): string {
  if (!view.changes) return `apply ${view.service}: no changes\nplan digest ${view.digest}\n`
  const out = [`apply ${view.service}`, formatConfigDiff(view, mask).trimEnd()]
  if (view.remove && view.remove.tasks.length > 0)
    out.push(
      'remove (the sections no longer in the config, planned from the stored config):',
      indent(formatPlanText(view.remove)),
    )
  out.push('converge:', indent(formatPlanText(view.converge)))
  out.push(`changes: ${formatChangeCounts([view.remove, view.converge])}`)
  out.push(`plan digest ${view.digest}`)
  return out.join('\n') + '\n'
}
