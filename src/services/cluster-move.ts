/**
 * switch, takeover and giveback of a cluster service (docs/cluster.md). The command only
 * writes the request, /svcmgr/services/<svc>/target; the agents carry it out: the owner stops
 * the service and releases ownership only if the stop succeeded, the target's agent acquires,
 * starts, and deletes the target key once up. The write is a txn that checks the service is
 * not frozen cluster-wide at the same revision, so a freeze and a switch cannot cross.
 * `--wait` polls etcd until the owner is the target and its instance is up, or the deadline.
 */
import {ClusterStateError, UsageError, WaitTimeoutError} from '../errors.js'
import type {InstanceRecord, TargetRecord} from '../cluster/instances.js'
import type {ServiceClusterState} from '../cluster/service-state.js'
import type {Session} from './session.js'
import {type ClusterService, openClusterService, requireServiceNode} from './cluster-service.js'

export interface MoveOutcome {
  readonly service: string
  readonly action: 'switch' | 'takeover' | 'giveback'
  /** Where the service is asked to run. */
  readonly to: string
  /** requested: the target key written; already: it is there (and any target cleared); cleared: a pending target removed. */
  readonly result: 'requested' | 'already' | 'cleared'
  readonly owner?: string
  readonly target?: TargetRecord
  /** With --wait: it landed (owner == to, its instance up), and when. */
  readonly landed?: boolean
  readonly waitedMs?: number
}

export interface MoveOptions {
  readonly wait?: boolean
  readonly timeoutMs?: number
  /** The poll period of --wait (ms). */
  readonly pollMs?: number
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

async function stateOf(svc: ClusterService): Promise<ServiceClusterState> {
  const {readServiceClusterState} = await import('../cluster/service-state.js')
  return readServiceClusterState(svc.client, svc.name)
}

/** Why the service cannot be asked to run on `to` now (undefined: it can). */
function refusal(svc: ClusterService, state: ServiceClusterState, to: string): string | undefined {
  if (state.frozen)
    return `${svc.name} is frozen cluster-wide (by ${state.frozen.by} at ${state.frozen.time}): nothing moves it until \`svcmgr -s ${svc.name} thaw\``
  if (!state.alive.has(to))
    return `${to}'s agent is not alive (no /svcmgr/nodes/${to} key): nothing would start ${svc.name} there`
  const inst = state.instances[to]
  if (inst && inst !== 'unreadable' && inst.failed)
    return `${svc.name}'s instance on ${to} is failed${inst.reason ? ` (${inst.reason})` : ''}: run \`svcmgr -s ${svc.name} clear\` on ${to} first`
  if (inst && inst !== 'unreadable' && inst.frozen)
    return `${svc.name}'s instance on ${to} is frozen: thaw it on ${to} first`
  return undefined
}

/** Writes the target key if the service is still not frozen (compared in the same txn). */
async function writeTarget(svc: ClusterService, to: string): Promise<TargetRecord> {
  const [{frozenKey, targetKey}, {newTargetId}] = await Promise.all([
    import('../cluster/keys.js'),
    import('../cluster/instances.js'),
  ])
  const target: TargetRecord = {version: 1, node: to, by: svc.here, time: new Date().toISOString(), id: newTargetId()}
  const r = await svc.client.txn(
    [{key: frozenKey(svc.name), target: 'CREATE', createRevision: 0}],
    [{put: {key: targetKey(svc.name), value: JSON.stringify(target)}}],
  )
  if (!r.succeeded)
    throw new ClusterStateError(
      `${svc.name} was frozen cluster-wide meanwhile: nothing written; \`svcmgr -s ${svc.name} thaw\` first`,
    )
  return target
}

async function clearTarget(svc: ClusterService, state: ServiceClusterState): Promise<boolean> {
  if (!state.target) return false
  const {deleteTarget} = await import('../cluster/instances.js')
  return deleteTarget(svc.client, svc.name, state.target.id)
}

const availOf = (i: InstanceRecord | 'unreadable' | undefined) =>
  i === undefined ? 'no instance record' : i === 'unreadable' ? 'unreadable' : i.avail

/** What the state shows, in one sentence (for a move that did not land). */
export function describeState(svc: ClusterService, state: ServiceClusterState): string {
  const parts = [
    state.owner ? `owner ${state.owner.node}` : 'no owner',
    state.target ? `target ${state.target.node} still pending` : 'no target pending',
    ...svc.nodes.map(n => {
      const i = state.instances[n]
      const extra =
        i && i !== 'unreadable'
          ? [i.failed ? 'failed' : '', i.frozen ? 'frozen' : '', i.transition ? `last: ${i.transition.reason}` : '']
              .filter(Boolean)
              .join(', ')
          : ''
      return `${n} ${availOf(i)}${state.alive.has(n) ? '' : ' (agent not alive)'}${extra ? ` (${extra})` : ''}`
    }),
  ]
  return parts.join('; ')
}

const landedOn = (state: ServiceClusterState, to: string) => {
  const i = state.instances[to]
  return state.owner?.node === to && i !== undefined && i !== 'unreadable' && i.avail === 'up'
}

async function waitLanded(svc: ClusterService, to: string, options: MoveOptions, t0: number): Promise<number> {
  const timeoutMs = options.timeoutMs ?? 60_000
  const deadline = t0 + timeoutMs
  // a read that fails (etcd electing a leader, a member cut off) is retried until the deadline
  let seen: string | undefined
  for (;;) {
    try {
      const state = await stateOf(svc)
      if (landedOn(state, to)) return Date.now() - t0
      seen = describeState(svc, state)
    } catch (error) {
      seen = `etcd did not answer the last read (${(error as Error).message})`
    }
    if (Date.now() >= deadline)
      throw new WaitTimeoutError(`${svc.name} did not land on ${to} within ${Math.round(timeoutMs / 1000)}s: ${seen}`)
    await sleep(Math.min(options.pollMs ?? 200, Math.max(0, deadline - Date.now())))
  }
}

async function move(
  svc: ClusterService,
  action: MoveOutcome['action'],
  to: string,
  options: MoveOptions,
): Promise<MoveOutcome> {
  const t0 = Date.now()
  const state = await stateOf(svc)
  let result: MoveOutcome['result']
  let target: TargetRecord | undefined
  if (state.owner?.node === to) {
    // already there: a pending move elsewhere is withdrawn
    result = (await clearTarget(svc, state)) ? 'cleared' : 'already'
  } else {
    const why = refusal(svc, state, to)
    if (why) throw new ClusterStateError(`${action}: ${why}; nothing written`)
    target = await writeTarget(svc, to)
    result = 'requested'
  }
  const base = {
    service: svc.name,
    action,
    to,
    result,
    ...(state.owner ? {owner: state.owner.node} : {}),
    ...(target ? {target} : {}),
  }
  if (!options.wait) return base
  const waitedMs = await waitLanded(svc, to, options, t0)
  return {...base, landed: true, waitedMs}
}

async function withService<T>(
  session: Session,
  name: string,
  command: string,
  fn: (svc: ClusterService) => Promise<T>,
): Promise<T> {
  const svc = await openClusterService(session, name, command)
  try {
    return await fn(svc)
  } finally {
    svc.client.close()
  }
}

export function checkTimeout(options: MoveOptions): void {
  if (options.timeoutMs !== undefined && options.timeoutMs <= 0)
    throw new UsageError(`--timeout: expected a duration above 0, got ${options.timeoutMs} ms`)
}

/** `switch --to NODE`: the service asked to run on NODE. */
export function switchService(session: Session, name: string, to: string, options: MoveOptions = {}) {
  checkTimeout(options)
  return withService(session, name, 'switch', svc => {
    requireServiceNode(svc, to, '--to')
    return move(svc, 'switch', to, options)
  })
}

/** `takeover`: switch to this node. */
export function takeoverService(session: Session, name: string, options: MoveOptions = {}) {
  checkTimeout(options)
  return withService(session, name, 'takeover', svc => {
    if (!svc.nodes.includes(svc.here))
      throw new UsageError(
        `takeover: this node (${svc.here}) is not a node of ${name} (DEFAULT.nodes = ${svc.nodes.join(' ')})`,
      )
    return move(svc, 'takeover', svc.here, options)
  })
}

/** `giveback`: back to the placement leader (the first of `nodes` alive, not frozen, not failed). */
export function givebackService(session: Session, name: string, options: MoveOptions = {}) {
  checkTimeout(options)
  return withService(session, name, 'giveback', async svc => {
    const {leaderOf} = await import('../cluster/service-state.js')
    const state = await stateOf(svc)
    const leader = leaderOf(svc.nodes, state)
    if (!leader)
      throw new ClusterStateError(
        `giveback: no node of ${name} qualifies as placement leader (${describeState(svc, state)}); nothing written`,
      )
    return move(svc, 'giveback', leader, options)
  })
}
