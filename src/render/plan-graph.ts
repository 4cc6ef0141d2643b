/**
 * A plan as a graph: what the mermaid and dot renderers (and through dot the svg) draw, made once
 * from the Plan so the pictures say the same thing. Each stage is a cluster labelled with its
 * group/subset and whether its members run in parallel; each task a node styled by its change;
 * the edges are the tasks' `after` (a declared dependency with its reason, or a sequential
 * stage's order); the stages follow each other; the rollback path is a group of its own.
 */
import {PLANNED_CHANGES, type Plan, type PlannedChange, type PlanStage, type PlanTask} from '../planner/types.js'
import {taskChange} from '../planner/change.js'
import {planDigest} from '../planner/digest.js'

/** How a node is styled: the task's change, or skipped when the plan runs nothing there. */
export type NodeStyle = PlannedChange | 'skipped'

export interface GraphNode {
  readonly id: string
  readonly task: number
  readonly rid: string
  /** Lines of the label: "[1] container#1", then the change and its cause. */
  readonly lines: readonly string[]
  readonly style: NodeStyle
}

/** A step of the rollback path: the undo of what a task changed. */
export interface RollbackNode {
  readonly id: string
  readonly task: number
  readonly rid: string
  readonly label: string
}

export interface GraphCluster {
  readonly id: string
  readonly stage: PlanStage
  readonly label: string
  readonly nodes: readonly GraphNode[]
}

export interface GraphEdge {
  readonly from: string
  readonly to: string
  /** 'dependency': declared by a driver or matched by the core (with its reason); 'order': a sequential stage's chain. */
  readonly kind: 'dependency' | 'order'
  readonly label?: string
}

export interface PlanGraph {
  readonly title: string
  readonly clusters: readonly GraphCluster[]
  readonly edges: readonly GraphEdge[]
  /** Each stage's cluster after the previous one's. */
  readonly stageOrder: readonly (readonly [string, string])[]
  /** The rollback path, last change first: the undo of each start-phase task, in the order it would run. */
  readonly rollback?: {readonly label: string; readonly nodes: readonly RollbackNode[]}
  /** The styles used, in the legend's order. */
  readonly styles: readonly NodeStyle[]
}

/** The summaries' order of changes, then skipped. */
export const STYLE_ORDER: readonly NodeStyle[] = [...PLANNED_CHANGES, 'skipped']

/** Fill and border colours of each style; dashed: the task changes nothing (Pacemaker's "not needed"). */
export const STYLE_COLOURS: Record<NodeStyle, {fill: string; stroke: string; dashed?: true}> = {
  create: {fill: '#d1f2d9', stroke: '#1e7e34'},
  recreate: {fill: '#ffe5b4', stroke: '#c76a00'},
  start: {fill: '#e3f6e8', stroke: '#28a745'},
  provision: {fill: '#dbe9ff', stroke: '#1f5fbf'},
  stop: {fill: '#fde2e1', stroke: '#c0392b'},
  remove: {fill: '#f8c9c5', stroke: '#8e1b10'},
  unprovision: {fill: '#eadcf8', stroke: '#6f42c1'},
  none: {fill: '#eeeeee', stroke: '#888888', dashed: true},
  skipped: {fill: '#f7f7f7', stroke: '#aaaaaa', dashed: true},
}

export function stageLabel(plan: Plan, stage: PlanStage): string {
  const phase = plan.action === 'restart' ? `${stage.phase} phase · ` : ''
  const group = `${stage.group}${stage.subset !== undefined ? `:${stage.subset}` : ''}`
  return `stage ${stage.index} · ${phase}${group} · ${stage.parallel ? 'parallel' : 'sequential'}`
}

function taskNode(plan: Plan, task: PlanTask): GraphNode {
  const {change, cause} = taskChange(plan, task)
  const what = task.skip ? `skipped: ${task.skip}` : cause ? `${change}: ${cause}` : change
  return {
    id: `t${task.id}`,
    task: task.id,
    rid: task.rid,
    lines: [`[${task.id}] ${task.rid}`, what],
    style: task.skip ? 'skipped' : change,
  }
}

export function planGraph(plan: Plan): PlanGraph {
  const clusters = plan.stages.map(stage => ({
    id: `s${stage.index}`,
    stage,
    label: stageLabel(plan, stage),
    nodes: stage.tasks.map(id => taskNode(plan, plan.tasks[id - 1])),
  }))
  const edges: GraphEdge[] = []
  for (const t of plan.tasks) {
    const weak = new Set(t.startedOnly ?? [])
    const reasons = new Map((t.because ?? []).map(d => [d.task, d.reason]))
    for (const id of t.after) {
      const reason = reasons.get(id)
      const gate = weak.has(id) ? 'once started' : undefined
      const label = [gate, reason].filter(Boolean).join(' · ')
      edges.push({from: `t${id}`, to: `t${t.id}`, kind: reason ? 'dependency' : 'order', ...(label ? {label} : {})})
    }
  }
  const stageOrder = clusters.slice(1).map((c, i) => [clusters[i].id, c.id] as const)
  const used = new Set(clusters.flatMap(c => c.nodes.map(n => n.style)))
  // a task the observed state says is already done changes nothing, so registers no undo step
  const undone = plan.rollback
    ? plan.rollbackOrder.filter(id => !(plan.observed && plan.tasks[id - 1].change === 'none'))
    : []
  const rollback =
    undone.length > 0
      ? {
          label: 'on failure: rollback, last change first (only what this run changed)',
          nodes: undone.map(id => {
            const t = plan.tasks[id - 1]
            return {id: `u${id}`, task: id, rid: t.rid, label: `undo [${id}] ${t.rid}`}
          }),
        }
      : undefined
  return {
    title: `${plan.action} ${plan.service} · plan ${planDigest(plan).slice(0, 12)}`,
    clusters,
    edges,
    stageOrder,
    ...(rollback ? {rollback} : {}),
    styles: STYLE_ORDER.filter(s => used.has(s)),
  }
}
