/**
 * A plan as a Mermaid flowchart (`--dry-run --format mermaid`): renders in GitHub/GitLab
 * Markdown. Ids are the renderer's own (s1, t1, u1): rids only in quoted labels, escaped
 * where Mermaid would read them as markup. No click/tooltip features (GitHub drops them).
 */
import type {Plan} from '../planner/types.js'
import {planGraph, STYLE_COLOURS, type GraphEdge, type GraphNode} from './plan-graph.js'

/** A quoted Mermaid label: quotes and angle brackets as entities, and "#word;" kept from reading as one. */
export function mermaidText(text: string): string {
  return text
    .replaceAll(/#(?=\w+;)/g, '#35;')
    .replaceAll('"', '#quot;')
    .replaceAll('<', '#lt;')
    .replaceAll('>', '#gt;')
}

const nodeText = (n: GraphNode) => `${n.id}["${n.lines.map(mermaidText).join('<br/>')}"]:::${n.style}`

function edgeText(e: GraphEdge): string {
  // a declared dependency is thick and says why; a sequential stage's order is a plain arrow
  const arrow = e.kind === 'dependency' ? '==>' : '-->'
  return e.label ? `  ${e.from} ${arrow}|"${mermaidText(e.label)}"| ${e.to}` : `  ${e.from} ${arrow} ${e.to}`
}

export function formatPlanMermaid(plan: Plan): string {
  const g = planGraph(plan)
  const out = ['---', `title: "${mermaidText(g.title)}"`, '---', 'flowchart TB']
  for (const c of g.clusters) {
    out.push(`  subgraph ${c.id}["${mermaidText(c.label)}"]`, '    direction TB')
    for (const n of c.nodes) out.push(`    ${nodeText(n)}`)
    out.push('  end')
  }
  for (const e of g.edges) out.push(edgeText(e))
  for (const [a, b] of g.stageOrder) out.push(`  ${a} --> ${b}`)
  if (g.rollback) {
    out.push(`  subgraph rollback["${mermaidText(g.rollback.label)}"]`, '    direction TB')
    for (const n of g.rollback.nodes) out.push(`    ${n.id}["${mermaidText(n.label)}"]:::undo`)
    out.push('  end')
    for (const [i, n] of g.rollback.nodes.slice(1).entries()) out.push(`  ${g.rollback.nodes[i].id} -.-> ${n.id}`)
    const last = g.clusters.at(-1)
    if (last) out.push(`  ${last.id} -.->|"on failure"| rollback`)
  }
  for (const s of g.styles) {
    const c = STYLE_COLOURS[s]
    out.push(`  classDef ${s} fill:${c.fill},stroke:${c.stroke}${c.dashed ? ',stroke-dasharray:4 3' : ''}`)
  }
  if (g.rollback) {
    out.push('  classDef undo fill:#ffffff,stroke:#c0392b,stroke-dasharray:4 3')
    out.push('  style rollback stroke-dasharray:6 4')
  }
  return out.join('\n') + '\n'
}
