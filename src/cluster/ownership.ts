/**
 * Ownership of a service: one key per service, /svcmgr/services/<name>/owner, created only if
 * absent and bound to the owner agent's lease, so that it goes when the lease does. Its value is
 * the contract's OwnerRecord ({version: 1, node, since, reason}, ./instances.ts); the lease it is
 * on is the key's own: a retried create whose first try did land is seen as ours (same node,
 * same lease), and a release deletes the key only while it is on our lease.
 */
import type {EtcdClient} from './etcd/client.js'
import {type OwnerRecord, parseOwnerRecord} from './instances.js'
import {ownerKey} from './keys.js'

export interface Owner {
  readonly node: string
  readonly lease: string
  /** The key's mod_revision (a fencing token: it changes with each new owner). */
  readonly revision: number
  readonly since?: string
  readonly reason?: string
}

export interface OwnerWithTtl extends Owner {
  /** Seconds left on the owner's lease as etcd counts them (-1: the lease is gone). */
  readonly ttl: number
}

export interface AcquireResult {
  readonly acquired: boolean
  /** The owner after the attempt: us when acquired, else who holds it (undefined: nobody, a race with a release). */
  readonly owner?: Owner
}

const ownerValue = (node: string, reason: string, now: Date) =>
  JSON.stringify({version: 1, node, since: now.toISOString(), reason} satisfies OwnerRecord)

function toOwner(kv: {value: string; lease: string; modRevision: number}): Owner {
  const r = parseOwnerRecord(kv.value)
  return r
    ? {node: r.node, lease: kv.lease, revision: kv.modRevision, since: r.since, reason: r.reason}
    : {node: '?', lease: kv.lease, revision: kv.modRevision}
}

type Client = Pick<EtcdClient, 'txn' | 'get' | 'leaseTimeToLive'>

/** Creates the owner key if absent, bound to `lease`. */
export async function acquireOwnership(
  client: Client,
  service: string,
  node: string,
  lease: string,
  reason = 'placement leader',
  now = new Date(),
): Promise<AcquireResult> {
  const key = ownerKey(service)
  const r = await client.txn(
    [{key, target: 'CREATE', createRevision: 0}],
    [{put: {key, value: ownerValue(node, reason, now), lease}}],
    [{range: {key}}],
  )
  if (r.succeeded) return {acquired: true, owner: {node, lease, revision: r.revision, since: now.toISOString(), reason}}
  const kv = r.ranges[0]?.[0]
  const owner = kv ? toOwner(kv) : undefined
  // a retry after a timeout whose first attempt had landed finds our own value
  return {acquired: owner?.node === node && owner.lease === lease, owner}
}

/** Deletes the owner key only if it is on our lease; returns whether it did. */
export async function releaseOwnership(
  client: Client,
  service: string,
  _node: string,
  lease: string,
): Promise<boolean> {
  const key = ownerKey(service)
  const r = await client.txn([{key, target: 'LEASE', lease}], [{delete: {key}}])
  return r.succeeded
}

/** Who owns the service (linearizable read), without the lease's TTL. */
export async function readOwnerOnly(client: Pick<EtcdClient, 'get'>, service: string): Promise<Owner | undefined> {
  const kv = await client.get(ownerKey(service))
  return kv ? toOwner(kv) : undefined
}

/** Who owns the service (linearizable read), with the remaining TTL of its lease. */
export async function readOwner(client: Client, service: string): Promise<OwnerWithTtl | undefined> {
  const owner = await readOwnerOnly(client, service)
  if (!owner) return undefined
  const {ttl} = await client.leaseTimeToLive(owner.lease)
  return {...owner, ttl}
}
