/** One plan, every form: the text, JSON, mermaid, dot and svg of a dry run, from the same Plan object. */
import type {Plan} from '../planner/types.js'
import {formatPlanDot} from './plan-dot.js'
import {formatPlanMermaid} from './plan-mermaid.js'
import {formatPlanText} from './plan-text.js'

export const PLAN_PICTURE_FORMATS = ['mermaid', 'dot', 'svg'] as const
export type PlanFormat = 'text' | 'json' | (typeof PLAN_PICTURE_FORMATS)[number]

export async function renderPlan(plan: Plan, format: PlanFormat): Promise<string> {
  switch (format) {
    case 'text':
      return formatPlanText(plan)
    case 'json':
      return JSON.stringify(plan, null, 2) + '\n'
    case 'mermaid':
      return formatPlanMermaid(plan)
    case 'dot':
      return formatPlanDot(plan)
    case 'svg': {
      // the wasm graphviz is loaded only here
      const {renderPlanSvg} = await import('./plan-svg.js')
      return renderPlanSvg(plan)
    }
  }
}
