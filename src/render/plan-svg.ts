/**
 * A plan as SVG (`--dry-run --format svg --out plan.svg`): the DOT of plan-dot.ts laid out by
 * Graphviz compiled to WebAssembly (@viz-js/viz), no system graphviz. The package (1.2 MB of
 * JavaScript with the wasm inlined) is imported only here, when an svg is asked for.
 */
import type {Plan} from '../planner/types.js'
import {formatPlanDot} from './plan-dot.js'

export async function renderPlanSvg(plan: Plan): Promise<string> {
  const {instance} = await import('@viz-js/viz')
  const viz = await instance()
  const result = viz.render(formatPlanDot(plan), {format: 'svg'})
  if (result.status !== 'success')
    throw new Error(`graphviz could not lay out the plan: ${result.errors.map(e => e.message).join('; ')}`)
  return result.output
}
