/**
 * The cluster's view of a cluster service for `print status` (issue 15, item 7): its owner,
 * placement leader, the owner's lease remaining time, the cluster-wide freeze, a pending move,
 * and one entry per node of its `nodes` with what that node's agent last wrote of its instance.
 * Types only: src/services/cluster-view.ts gathers it from etcd (loaded only for a cluster service).
 */
export interface ClusterInstanceView {
  /** The instance's status as its agent last wrote it; `unknown` when no record is there (agent not alive) or it cannot be read. */
  readonly avail: string
  readonly frozen: boolean
  readonly failed: boolean
  readonly agent: 'alive' | 'not alive' | 'unknown'
  readonly reason?: string
  readonly transition?: {readonly time: string; readonly from: string; readonly to: string; readonly reason: string}
  /** When the record was written (ISO), null for none. */
  readonly updated: string | null
}

export interface ClusterView {
  /** The node in the `nodes` order. */
  readonly nodes: readonly string[]
  /** null: nobody owns it (or etcd did not answer: see error). */
  readonly owner: string | null
  readonly owner_since?: string
  readonly owner_reason?: string
  /** The placement leader by `nodes` order, null when no node qualifies. */
  readonly placement: string | null
  /** Seconds left on the owner's lease as etcd counts them; null without an owner. */
  readonly lease_remaining_s: number | null
  /** The cluster-wide freeze, null when not frozen. */
  readonly frozen: {readonly by: string; readonly time: string} | null
  /** A requested move not carried out yet. */
  readonly target: {readonly node: string; readonly by: string; readonly time: string} | null
  readonly instances: Readonly<Record<string, ClusterInstanceView>>
  /** etcd did not answer: every field above is unknown (owner null, instances unknown). */
  readonly error?: string
}
