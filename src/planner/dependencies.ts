/**
 * The service's start-order dependency graph: the edges drivers declare (`dependencies()`) and
 * those the core makes by matching what resources need to what others provide
 * (`provides()`/`needs()`, src/model/capabilities.ts).
 */
import {Graph, alg} from '@dagrejs/graphlib'
import type {Dependency} from '../drivers/api.js'
import type {Service, ServiceResource} from '../model/service.js'
import {naturalCompare} from '../model/rid.js'
import {PlanError} from '../errors.js'

export interface DependencyGraph {
  /** edges: before → after, with the reason as the edge label (predecessors/successors are hash lookups; nodes()/edges() allocate) */
  readonly graph: Graph
  reason(before: string, after: string): string | undefined
  /** What `after` waits for of `before`: 'started' when every declaration of the edge says so, else 'ready'. */
  gate(before: string, after: string): 'ready' | 'started'
}

export function buildDependencyGraph(service: Service): DependencyGraph {
  const graph = new Graph({directed: true})
  const active = service.resources.filter(r => !r.disabled)
  for (const r of active) graph.setNode(r.rid)
  const problems: string[] = []
  // edges every declaration of which needs only a started resource ("before\0after")
  const startedOnly = new Set<string>()
  const strong = new Set<string>()
  // before → after → the edge's reason (the last declaration's, as the graph's label): the
  // planner asks it for every task's predecessors, and graph.edge() builds a string id each time
  const reasons = new Map<string, Map<string, string | undefined>>()
  for (const r of active) {
    let deps: Dependency[]
    try {
      deps = declaredEdges(service, r)
    } catch (error) {
      throw new PlanError(
        `${r.rid}: the ${r.group}.${r.type} driver failed to declare its dependencies: ${(error as Error).message}`,
      )
    }
    for (const d of deps) {
      for (const end of [d.before, d.after]) {
        if (!service.resource(end))
          problems.push(`${r.rid}: depends on ${end}, which is not a resource of ${service.name}`)
      }
      // a dependency on a disabled resource is ignored: that resource never runs
      if (graph.hasNode(d.before) && graph.hasNode(d.after)) {
        const key = `${d.before}\0${d.after}`
        if (d.gate === 'started') {
          if (!strong.has(key)) startedOnly.add(key)
        } else {
          strong.add(key)
          startedOnly.delete(key)
        }
        graph.setEdge(d.before, d.after, d.reason)
        const from = reasons.get(d.before)
        if (from) from.set(d.after, d.reason)
        else reasons.set(d.before, new Map([[d.after, d.reason]]))
      }
    }
  }
  if (problems.length > 0) throw new PlanError(problems.join('\n'))
  // Kahn's pass first: graphlib's cycle search recurses and long dependency chains would overflow the stack
  const cycles = hasCycle(graph) ? alg.findCycles(graph) : []
  if (cycles.length > 0) {
    const described = cycles.map(c => [...c].sort(naturalCompare).join(', '))
    throw new PlanError(`dependency cycle between ${described.join('; and between ')}`)
  }
  return {
    graph,
    reason: (b, a) => reasons.get(b)?.get(a),
    // no declared edge from b to a: not a dependency, nothing to wait for but its order
    gate: (b, a) => (reasons.get(b)?.has(a) && startedOnly.has(`${b}\0${a}`) ? 'started' : 'ready'),
  }
}

/** The edges one resource takes part in as its driver declares them: its dependencies, then those of its needs. */
export function declaredEdges(service: Service, r: ServiceResource): Dependency[] {
  return [...(r.driver.dependencies?.(r, service) ?? []), ...service.capabilities.edges(r)]
}

/** All rids reachable from `start` following `next` (excluding the start set). */
export function reachable(start: Iterable<string>, next: (rid: string) => readonly string[]): Map<string, string> {
  const found = new Map<string, string>()
  const seen = new Set(start)
  const queue = [...seen]
  // an index, not shift(): the queue starts with the whole selection
  for (let i = 0; i < queue.length; i++) {
    const rid = queue[i]
    const after = next(rid)
    if (after.length === 0) continue
    for (const n of [...after].sort(naturalCompare)) {
      if (seen.has(n)) continue
      seen.add(n)
      found.set(n, rid)
      queue.push(n)
    }
  }
  return found
}

function hasCycle(graph: Graph): boolean {
  const indegree = new Map<string, number>()
  for (const n of graph.nodes()) indegree.set(n, graph.predecessors(n)?.length ?? 0)
  const ready = [...indegree].filter(([, d]) => d === 0).map(([n]) => n)
  let seen = 0
  while (ready.length > 0) {
    const n = ready.pop()!
    seen++
    for (const s of graph.successors(n) ?? []) {
      const d = indegree.get(s)! - 1
      indegree.set(s, d)
      if (d === 0) ready.push(s)
    }
  }
  return seen < graph.nodeCount()
}
