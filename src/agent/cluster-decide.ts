/**
 * What one node's agent does about one cluster service (orchestrate = ha), from what it read
 * of etcd and of its own instance. Pure: src/agent/cluster.ts gathers the facts and acts; this
 * decides, so each rule is tested without etcd or an engine.
 *
 * - Only the owner (the owner key on this agent's lease) starts the service; every other node
 *   keeps it stopped (it stops an instance it finds running).
 * - With no owner, the placement leader acquires (src/cluster/placement.ts), unless a move
 *   target is set and valid (its agent alive, not frozen, not failed): then only the target does.
 * - The owner keeps it while it is a candidate: it stops and releases when its instance failed,
 *   or when a valid target names another node (the release only if the stop succeeded).
 * - Nobody acquires while another live node still reports its instance running (up or
 *   unknown): that node is stopping it (a non-owner always does), then it is free.
 * - Frozen cluster-wide: no start, no move; a non-owner still stops an instance running beside
 *   a live owner (never two at once), but leaves one alone when nobody owns the service.
 */
import {placementLeader} from '../cluster/placement.js'

export interface ClusterFacts {
  readonly me: string
  readonly nodes: readonly string[]
  readonly alive: ReadonlySet<string>
  /** Nodes whose instance is frozen (their published records; this node's own flag). */
  readonly frozenNodes: ReadonlySet<string>
  /** Nodes whose instance is failed (likewise). */
  readonly failedNodes: ReadonlySet<string>
  /** The frozen key exists. */
  readonly clusterFrozen: boolean
  readonly target?: {readonly node: string; readonly id: string}
  /** The owner key: its node, and whether it is on this agent's current lease. */
  readonly owner?: {readonly node: string; readonly mine: boolean}
  /** Other live nodes whose published instance runs (or may run: warn) while nobody owns it. */
  readonly runningElsewhere?: readonly string[]
  /** Some resource of the local instance is (or may be: unknown) up. */
  readonly runningHere: boolean
  /** The local instance is up (every counted resource). */
  readonly upHere: boolean
  /** The local intent: started by the agent or a user, or stopped (and by whom). */
  readonly intent?: {readonly intent: 'started' | 'stopped'; readonly by: 'user' | 'agent' | 'fence'}
}

export type ClusterDecision =
  | {readonly kind: 'none'; readonly reason: string}
  | {readonly kind: 'acquire'; readonly reason: string}
  | {readonly kind: 'start'; readonly reason: string}
  | {readonly kind: 'stop'; readonly reason: string}
  | {readonly kind: 'stop-release'; readonly reason: string}
  | {readonly kind: 'delete-target'; readonly reason: string; readonly id: string}

/** Why a target cannot be honoured, or undefined when it is valid. */
export function targetProblem(f: ClusterFacts): string | undefined {
  const t = f.target
  if (!t) return undefined
  if (!f.nodes.includes(t.node)) return `move target ${t.node} is not in nodes: ignored`
  if (!f.alive.has(t.node)) return `move target ${t.node} has no live agent: ignored`
  if (f.frozenNodes.has(t.node)) return `move target ${t.node} is frozen: ignored`
  if (f.failedNodes.has(t.node)) return `move target ${t.node} is failed: ignored`
  return undefined
}

export function decideCluster(f: ClusterFacts): ClusterDecision {
  const leader = placementLeader({nodes: f.nodes, alive: f.alive, frozen: f.frozenNodes, failed: f.failedNodes})
  const ignored = targetProblem(f)
  const target = f.target && !ignored && !f.clusterFrozen ? f.target : undefined
  const note = (s: string) => (ignored && !f.clusterFrozen ? `${s}; ${ignored}` : s)

  if (f.owner?.mine) {
    if (f.clusterFrozen) return {kind: 'none', reason: 'owner; frozen cluster-wide: left as it is'}
    if (f.failedNodes.has(f.me))
      return {kind: 'stop-release', reason: 'owner, but the instance failed here: giving it up'}
    if (target && target.node !== f.me)
      return {kind: 'stop-release', reason: `owner; moving to ${target.node} (switch requested)`}
    if (f.frozenNodes.has(f.me)) return {kind: 'none', reason: 'owner; frozen here: left as it is'}
    if (f.intent?.intent !== 'started') {
      if (f.intent?.by === 'user') return {kind: 'none', reason: note('owner; stopped by a user here: left stopped')}
      return {kind: 'start', reason: note('owner: starting')}
    }
    if (target && target.node === f.me && f.upHere)
      return {kind: 'delete-target', reason: 'owner; moved here: the move is done', id: target.id}
    return {kind: 'none', reason: note(f.upHere ? 'owner: running here' : 'owner')}
  }

  // not the owner: never run it beside one
  if (f.runningHere) {
    if (f.owner) return {kind: 'stop', reason: `${f.owner.node} owns it: stopping it here`}
    if (f.clusterFrozen) return {kind: 'none', reason: 'nobody owns it; frozen cluster-wide: left as it is'}
    if (f.target ? target?.node !== f.me : leader !== f.me)
      return {kind: 'stop', reason: note('not the owner: stopping it here')}
  }
  if (f.owner) return {kind: 'none', reason: `standby: ${f.owner.node} owns it`}
  if (f.clusterFrozen) return {kind: 'none', reason: 'nobody owns it; frozen cluster-wide: not started'}
  // an instance still running elsewhere without an owner (its node stops it): wait for it
  const elsewhere = (f.runningElsewhere ?? []).filter(n => n !== f.me)
  const waiting =
    elsewhere.length > 0
      ? `waiting: ${elsewhere.join(', ')} still report${elsewhere.length === 1 ? 's' : ''} it running`
      : undefined
  if (target)
    return target.node === f.me
      ? waiting
        ? {kind: 'none', reason: `move target; ${waiting}`}
        : {kind: 'acquire', reason: 'move target: acquiring'}
      : {kind: 'none', reason: `standby: moving to ${target.node}`}
  if (leader === undefined) return {kind: 'none', reason: note('no node qualifies to run it')}
  if (leader !== f.me) return {kind: 'none', reason: note(`standby: ${leader} is the placement leader`)}
  if (waiting) return {kind: 'none', reason: note(`placement leader; ${waiting}`)}
  return {kind: 'acquire', reason: note('placement leader: acquiring')}
}
