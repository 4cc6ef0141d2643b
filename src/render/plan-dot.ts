/**
 * A plan as a Graphviz DOT digraph (`--dry-run --format dot`; plan-svg.ts renders it): stages
 * as clusters, tasks as nodes styled by change, dependency edges with their reasons, the
 * stages' order between clusters, the rollback path as a dashed cluster.
 */
import type {Plan} from '../planner/types.js'
import {planGraph, STYLE_COLOURS, type GraphNode} from './plan-graph.js'

/** A DOT double-quoted string. */
export function dotString(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`
}

function nodeText(n: GraphNode): string {
  const c = STYLE_COLOURS[n.style]
  const style = c.dashed ? 'rounded,filled,dashed' : 'rounded,filled'
  return `${n.id} [label=${dotString(n.lines.join('\n'))}, id=${dotString(`task-${n.task}`)}, class=${dotString(`change-${n.style}`)}, style=${dotString(style)}, fillcolor=${dotString(c.fill)}, color=${dotString(c.stroke)}];`
}

export function formatPlanDot(plan: Plan): string {
  const g = planGraph(plan)
  const out = [
    'digraph plan {',
    `  label=${dotString(g.title)};`,
    '  labelloc=t;',
    '  rankdir=TB;',
    '  compound=true;',
    '  fontname="Helvetica";',
    '  node [shape=box, fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
  ]
  for (const c of g.clusters) {
    out.push(
      `  subgraph cluster_${c.id} {`,
      `    label=${dotString(c.label)};`,
      '    style=rounded;',
      '    color="#555555";',
    )
    for (const n of c.nodes) out.push(`    ${nodeText(n)}`)
    out.push('  }')
  }
  for (const e of g.edges) {
    const attrs = [
      ...(e.label ? [`label=${dotString(e.label)}`] : []),
      ...(e.kind === 'dependency' ? ['penwidth=2'] : ['color="#777777"']),
    ]
    out.push(`  ${e.from} -> ${e.to} [${attrs.join(', ')}];`)
  }
  // cluster to cluster: an edge between a node of each, clipped at the clusters' borders
  const clusterOf = new Map(g.clusters.map(c => [c.id, c]))
  for (const [a, b] of g.stageOrder) {
    const from = clusterOf.get(a)!.nodes.at(-1)!
    const to = clusterOf.get(b)!.nodes[0]
    out.push(`  ${from.id} -> ${to.id} [ltail=cluster_${a}, lhead=cluster_${b}, style=bold, color="#333333"];`)
  }
  if (g.rollback) {
    out.push(
      '  subgraph cluster_rollback {',
      `    label=${dotString(g.rollback.label)};`,
      '    style=dashed;',
      '    color="#c0392b";',
    )
    for (const n of g.rollback.nodes)
      out.push(
        `    ${n.id} [label=${dotString(n.label)}, id=${dotString(`undo-${n.task}`)}, style="rounded,dashed", color="#c0392b"];`,
      )
    for (const [i, n] of g.rollback.nodes.slice(1).entries())
      out.push(`    ${g.rollback.nodes[i].id} -> ${n.id} [style=dashed, color="#c0392b"];`)
    out.push('  }')
    const last = g.clusters.at(-1)?.nodes.at(-1)
    if (last)
      out.push(
        `  ${last.id} -> ${g.rollback.nodes[0].id} [label="on failure", style=dashed, color="#c0392b", lhead=cluster_rollback];`,
      )
  }
  out.push('}')
  return out.join('\n') + '\n'
}
