/**
 * Ownership of a service: one key per service, /svcmgr/services/<name>/owner, created only if
 * absent and bound to the owner agent's lease, so that it goes when the lease does. Its value
 * names the node and the lease: a retried create whose first try did land is seen as ours.
 */
import type {EtcdClient} from './etcd/client.js'
import {ownerKey} from './keys.js'

export interface Owner {
  readonly node: string
  readonly lease: string
  /** The key's mod_revision (a fencing token: it changes with each new owner). */
  readonly revision: number
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

const ownerValue = (node: string, lease: string) => JSON.stringify({node, lease})

function parseOwner(value: string, revision: number): Owner | undefined {
  try {
    const v = JSON.parse(value) as {node?: unknown; lease?: unknown}
    if (typeof v.node === 'string' && typeof v.lease === 'string') return {node: v.node, lease: v.lease, revision}
  } catch {
    // not ours to read: reported as an unknown owner below
  }
  return undefined
}

type Client = Pick<EtcdClient, 'txn' | 'get' | 'leaseTimeToLive'>

/** Creates the owner key if absent, bound to `lease`. */
export async function acquireOwnership(
  client: Client,
  service: string,
  node: string,
  lease: string,
): Promise<AcquireResult> {
  const key = ownerKey(service)
  const r = await client.txn(
    [{key, target: 'CREATE', createRevision: 0}],
    [{put: {key, value: ownerValue(node, lease), lease}}],
    [{range: {key}}],
  )
  if (r.succeeded) return {acquired: true, owner: {node, lease, revision: r.revision}}
  const kv = r.ranges[0]?.[0]
  const owner = kv
    ? (parseOwner(kv.value, kv.modRevision) ?? {node: '?', lease: kv.lease, revision: kv.modRevision})
    : undefined
  // a retry after a timeout whose first attempt had landed finds our own value
  return {acquired: owner?.node === node && owner.lease === lease, owner}
}

/** Deletes the owner key only if it is ours (same node, same lease); returns whether it did. */
export async function releaseOwnership(client: Client, service: string, node: string, lease: string): Promise<boolean> {
  const key = ownerKey(service)
  const r = await client.txn([{key, target: 'VALUE', value: ownerValue(node, lease)}], [{delete: {key}}])
  return r.succeeded
}

/** Who owns the service (linearizable read), with the remaining TTL of its lease. */
export async function readOwner(client: Client, service: string): Promise<OwnerWithTtl | undefined> {
  const kv = await client.get(ownerKey(service))
  if (!kv) return undefined
  const owner = parseOwner(kv.value, kv.modRevision) ?? {node: '?', lease: kv.lease, revision: kv.modRevision}
  const {ttl} = await client.leaseTimeToLive(owner.lease)
  return {...owner, ttl}
}
