/**
 * Placement "nodes order" (OpenSVC's default): the service's leader is the first node of its
 * `nodes` list whose agent is alive, that is not frozen and whose instance is not failed.
 * Pure: the agent gathers the facts, this decides.
 */
export interface PlacementFacts {
  /** The service's `nodes`, in order. */
  readonly nodes: readonly string[]
  readonly alive: ReadonlySet<string>
  /** Nodes where the service's instance is frozen. */
  readonly frozen: ReadonlySet<string>
  /** Nodes where the service's instance is failed (until `clear`). */
  readonly failed: ReadonlySet<string>
}

/** The placement leader, or undefined when no node qualifies. */
export function placementLeader(facts: PlacementFacts): string | undefined {
  return facts.nodes.find(n => facts.alive.has(n) && !facts.frozen.has(n) && !facts.failed.has(n))
}

/** Why each node is or is not a candidate, in `nodes` order (for status and logs). */
export function placementReasons(facts: PlacementFacts): {node: string; candidate: boolean; reason?: string}[] {
  return facts.nodes.map(node => {
    if (!facts.alive.has(node)) return {node, candidate: false, reason: 'agent not alive'}
    if (facts.frozen.has(node)) return {node, candidate: false, reason: 'frozen'}
    if (facts.failed.has(node)) return {node, candidate: false, reason: 'failed'}
    return {node, candidate: true}
  })
}
