/**
 * What the agent does about one service after a status check: nothing, restart some resources,
 * or mark the instance failed. Pure: the watcher (./watcher.ts) gathers the facts, acts, and
 * writes the state files; this decides, so each rule is tested without an engine.
 *
 * - Only a service a user (or the agent at boot) started, not frozen, not failed, is acted on.
 * - A resource is down when its status is down (or stdby down); warn and n/a are never "down"
 *   (an engine that does not answer makes a container warn: unknown is not down).
 * - A down resource is restarted while its restarts used (per start of the service) are below
 *   its `restart`. One restart action takes every such resource; the planner adds what depends
 *   on them (a netns owner's restart re-plumbs its ip.netns and restarts the containers joined).
 * - A down resource with no restart left that the restart above does not cover: with `monitor`,
 *   the instance is failed (and nothing is restarted: the agent stops acting on it); without, it
 *   is left down (said once).
 */
import type {MonitorState} from './state.js'

export interface DownResource {
  readonly rid: string
  /** The resource's `restart`. */
  readonly restart: number
  /** Milliseconds (`restart_delay`). */
  readonly restartDelay: number
  readonly monitor: boolean
}

export interface CheckFacts {
  readonly watched: boolean
  readonly monitor: MonitorState
  /** The counted resources found down, in status order. */
  readonly down: readonly DownResource[]
  /** The rids a restart of `rids` acts on (the planner's selection closure). */
  readonly restartCovers: (rids: readonly string[]) => ReadonlySet<string>
}

export type Decision =
  | {readonly kind: 'none'; readonly why: string}
  | {
      readonly kind: 'restart'
      readonly rids: readonly string[]
      readonly delayMs: number
      /** Each rid's restart number this one will be (1-based), and its budget. */
      readonly attempts: Readonly<Record<string, {n: number; of: number}>>
      /** Down resources with no restart left that the restart covers anyway, or that stay down (no monitor). */
      readonly leftDown: readonly string[]
    }
  | {readonly kind: 'fail'; readonly reason: string}
  | {readonly kind: 'left-down'; readonly rids: readonly string[]; readonly why: string}

export const restartsUsed = (m: MonitorState, rid: string) => m.restarts[rid] ?? 0

/** The sentence of a failed instance: "container#1 is down after 2 restarts (restart = 2)". */
export function failedReason(r: DownResource, used: number): string {
  return r.restart === 0
    ? `${r.rid} is down and has no restart (restart = 0, monitor = true)`
    : `${r.rid} is down after ${used} restart${used === 1 ? '' : 's'} (restart = ${r.restart})`
}

export function decide(facts: CheckFacts): Decision {
  if (!facts.watched) return {kind: 'none', why: 'not watched'}
  if (facts.monitor.state === 'failed') return {kind: 'none', why: `failed: ${facts.monitor.reason ?? ''}`}
  if (facts.down.length === 0) return {kind: 'none', why: 'up'}
  const restartable = facts.down.filter(r => restartsUsed(facts.monitor, r.rid) < r.restart)
  const covered = restartable.length > 0 ? facts.restartCovers(restartable.map(r => r.rid)) : new Set<string>()
  const exhausted = facts.down.filter(r => !restartable.includes(r) && !covered.has(r.rid))
  const failing = exhausted.find(r => r.monitor)
  if (failing) return {kind: 'fail', reason: failedReason(failing, restartsUsed(facts.monitor, failing.rid))}
  if (restartable.length === 0)
    return {
      kind: 'left-down',
      rids: exhausted.map(r => r.rid),
      why: exhausted
        .map(r =>
          r.restart === 0
            ? `${r.rid} is down (restart = 0)`
            : `${r.rid} is down, its ${r.restart} restart${r.restart === 1 ? '' : 's'} used`,
        )
        .join('; '),
    }
  return {
    kind: 'restart',
    rids: restartable.map(r => r.rid),
    delayMs: Math.max(...restartable.map(r => r.restartDelay)),
    attempts: Object.fromEntries(
      restartable.map(r => [r.rid, {n: restartsUsed(facts.monitor, r.rid) + 1, of: r.restart}]),
    ),
    leftDown: exhausted.map(r => r.rid),
  }
}
