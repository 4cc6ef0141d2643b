/**
 * What etcd says of one cluster service, read at one revision: its owner (with the lease's
 * remaining time), the cluster-wide freeze, a requested move (target), each node's instance
 * record, and which agents are alive. Two linearizable range reads; what cannot be parsed is
 * kept as unreadable, not guessed. Used by switch/takeover/giveback/freeze and print status.
 */
import type {EtcdClient} from './etcd/client.js'
import {PRESENCE_PREFIX, SERVICES_PREFIX} from './keys.js'
import {
  type FrozenRecord,
  type InstanceRecord,
  type TargetRecord,
  parseFrozen,
  parseInstance,
  parseOwnerRecord,
  parseTarget,
} from './instances.js'
import {placementLeader} from './placement.js'

export interface OwnerState {
  readonly node: string
  readonly lease: string
  readonly since?: string
  readonly reason?: string
  /** The key's mod_revision (changes with each new owner). */
  readonly revision: number
}

export interface ServiceClusterState {
  readonly owner?: OwnerState
  readonly frozen?: FrozenRecord
  readonly target?: TargetRecord
  /** Per node that wrote one; `unreadable` for a value that does not parse. */
  readonly instances: Readonly<Record<string, InstanceRecord | 'unreadable'>>
  /** Nodes whose agent's presence key exists. */
  readonly alive: ReadonlySet<string>
  /** The store's revision of the read. */
  readonly revision: number
}

type Client = Pick<EtcdClient, 'range' | 'leaseTimeToLive'>

export async function readServiceClusterState(client: Client, service: string): Promise<ServiceClusterState> {
  const prefix = `${SERVICES_PREFIX}${service}/`
  const [own, nodes] = await Promise.all([
    client.range(prefix, {prefix: true}),
    client.range(PRESENCE_PREFIX, {prefix: true}),
  ])
  let owner: OwnerState | undefined
  let frozen: FrozenRecord | undefined
  let target: TargetRecord | undefined
  const instances: Record<string, InstanceRecord | 'unreadable'> = {}
  for (const kv of own.kvs) {
    const rest = kv.key.slice(prefix.length)
    if (rest === 'owner') {
      const v = parseOwnerRecord(kv.value)
      owner = {
        node: v?.node ?? '?',
        lease: kv.lease,
        ...(typeof v?.since === 'string' ? {since: v.since} : {}),
        ...(typeof v?.reason === 'string' ? {reason: v.reason} : {}),
        revision: kv.modRevision,
      }
    } else if (rest === 'frozen') {
      frozen = parseFrozen(kv.value) ?? {by: '?', time: '?'}
    } else if (rest === 'target') {
      target = parseTarget(kv.value)
    } else if (rest.startsWith('instances/')) {
      const node = rest.slice('instances/'.length)
      instances[node] = parseInstance(kv.value) ?? 'unreadable'
    }
  }
  const alive = new Set(nodes.kvs.map(kv => kv.key.slice(PRESENCE_PREFIX.length)))
  return {
    ...(owner ? {owner} : {}),
    ...(frozen ? {frozen} : {}),
    ...(target ? {target} : {}),
    instances,
    alive,
    revision: own.revision,
  }
}

/** Seconds left on the owner's lease as etcd counts them (-1: gone; undefined: no owner). */
export async function ownerLeaseRemaining(client: Client, state: ServiceClusterState): Promise<number | undefined> {
  if (!state.owner || state.owner.lease === '0') return undefined
  return (await client.leaseTimeToLive(state.owner.lease)).ttl
}

/** The placement leader by `nodes` order from this state (alive, not frozen, not failed). */
export function leaderOf(nodes: readonly string[], state: ServiceClusterState): string | undefined {
  const with_ = (pick: (i: InstanceRecord) => boolean) =>
    new Set(
      Object.entries(state.instances)
        .filter(([, i]) => i !== 'unreadable' && pick(i))
        .map(([n]) => n),
    )
  return placementLeader({
    nodes,
    alive: state.alive,
    // a record says frozen for the cluster-wide key too: while it is there, as the agents do, a
    // record's flag does not tell a node frozen on its own (the leader is who would lead once thawed)
    frozen: state.frozen ? new Set() : with_(i => i.frozen),
    failed: with_(i => i.failed),
  })
}
