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
  /** The rids that start before `rid` (its declared predecessors, first declared first); [] for none. */
  predecessors(rid: string): readonly string[]
  /** The rids that start after `rid`; [] for none. */
  successors(rid: string): readonly string[]
  /** The reason of the edge before → after (the last declaration's), undefined when there is none or it has none. */
  reason(before: string, after: string): string | undefined
  /** What `after` waits for of `before`: 'started' when every declaration of the edge says so, else 'ready'. */
  gate(before: string, after: string): 'ready' | 'started'
}

const NONE: readonly string[] = []

/**
 * Plain maps, not a graph library's object: a node there is four dictionaries of its own, and a
 * service of 10,000 resources made 40,000 of them to plan (the cycle search, on the error path
 * only, still builds graphlib's Graph).
 */
export function buildDependencyGraph(service: Service): DependencyGraph {
  const active = service.resources.filter(r => !r.disabled)
  const isActive = new Set(active.map(r => r.rid))
  const problems: string[] = []
  // edges every declaration of which needs only a started resource ("before\0after")
  const startedOnly = new Set<string>()
  const strong = new Set<string>()
  // before → after → the edge's reason (the last declaration's); the adjacency lists in first-declared order
  const reasons = new Map<string, Map<string, string | undefined>>()
  const preds = new Map<string, string[]>()
  const succs = new Map<string, string[]>()
  const push = (m: Map<string, string[]>, k: string, v: string) => {
    const list = m.get(k)
    if (list) list.push(v)
    else m.set(k, [v])
  }
  // indexed loops: no iterator, and no array of its two ends, per edge of 10,000 resources
  for (let i = 0; i < active.length; i++) {
    const r = active[i]
    let deps: Dependency[]
    try {
      deps = declaredEdges(service, r)
    } catch (error) {
      throw new PlanError(
        `${r.rid}: the ${r.group}.${r.type} driver failed to declare its dependencies: ${(error as Error).message}`,
      )
    }
    for (let k = 0; k < deps.length; k++) {
      const d = deps[k]
      if (!service.resource(d.before))
        problems.push(`${r.rid}: depends on ${d.before}, which is not a resource of ${service.name}`)
      if (!service.resource(d.after))
        problems.push(`${r.rid}: depends on ${d.after}, which is not a resource of ${service.name}`)
      // a dependency on a disabled resource is ignored: that resource never runs
      if (isActive.has(d.before) && isActive.has(d.after)) {
        const key = `${d.before}\0${d.after}`
        if (d.gate === 'started') {
          if (!strong.has(key)) startedOnly.add(key)
        } else {
          strong.add(key)
          startedOnly.delete(key)
        }
        const from = reasons.get(d.before)
        if (from?.has(d.after)) {
          from.set(d.after, d.reason)
          continue
        }
        if (from) from.set(d.after, d.reason)
        else reasons.set(d.before, new Map([[d.after, d.reason]]))
        push(succs, d.before, d.after)
        push(preds, d.after, d.before)
      }
    }
  }
  if (problems.length > 0) throw new PlanError(problems.join('\n'))
  const predecessors = (rid: string) => preds.get(rid) ?? NONE
  const successors = (rid: string) => succs.get(rid) ?? NONE
  // Kahn's pass first: graphlib's cycle search recurses and long dependency chains would overflow the stack
  if (hasCycle(active, predecessors, successors)) throw cycleError(active, successors)
  return {
    predecessors,
    successors,
    reason: (b, a) => reasons.get(b)?.get(a),
    // no declared edge from b to a: not a dependency, nothing to wait for but its order
    gate: (b, a) => (reasons.get(b)?.has(a) && startedOnly.has(`${b}\0${a}`) ? 'started' : 'ready'),
  }
}

/** The cycles named: graphlib's search on the same nodes and edges, added in the same order. */
function cycleError(active: readonly ServiceResource[], successors: (rid: string) => readonly string[]): PlanError {
  const graph = new Graph({directed: true})
  for (const r of active) graph.setNode(r.rid)
  for (const r of active) for (const s of successors(r.rid)) graph.setEdge(r.rid, s)
  const described = alg.findCycles(graph).map(c => [...c].sort(naturalCompare).join(', '))
  return new PlanError(`dependency cycle between ${described.join('; and between ')}`)
}

/** The edges one resource takes part in as its driver declares them: its dependencies, then those of its needs. */
export function declaredEdges(service: Service, r: ServiceResource): Dependency[] {
  const declared = r.driver.dependencies?.(r, service)
  const matched = service.capabilities.edges(r)
  return declared && declared.length > 0 ? [...declared, ...matched] : matched
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

function hasCycle(
  active: readonly ServiceResource[],
  predecessors: (rid: string) => readonly string[],
  successors: (rid: string) => readonly string[],
): boolean {
  const indegree = new Map<string, number>()
  const ready: string[] = []
  for (let i = 0; i < active.length; i++) {
    const d = predecessors(active[i].rid).length
    indegree.set(active[i].rid, d)
    if (d === 0) ready.push(active[i].rid)
  }
  let seen = 0
  while (ready.length > 0) {
    const n = ready.pop()!
    seen++
    const next = successors(n)
    for (let k = 0; k < next.length; k++) {
      const d = indegree.get(next[k])! - 1
      indegree.set(next[k], d)
      if (d === 0) ready.push(next[k])
    }
  }
  return seen < indegree.size
}
