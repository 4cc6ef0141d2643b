/**
 * The cluster's shared records (issue 15's contract between the agents and the commands and
 * status view): typed readers and writers of the keys src/cluster/keys.ts names.
 * - instances/<node>, on that node's lease: what its agent sees of its instance of the service;
 * - frozen (no lease): present = frozen cluster-wide, no agent starts or moves the service;
 * - target (no lease): a requested move; the target's agent deletes it once the service is up;
 * - owner, on the owner agent's lease: who runs it (written by ./ownership.ts).
 * A value this version cannot read is returned as undefined (the reader says "unknown").
 */
import type {StatusValue} from '../drivers/api.js'
import type {EtcdClient} from './etcd/client.js'
import {frozenKey, instanceKey, instancesPrefix, ownerKey, targetKey} from './keys.js'

export interface InstanceTransition {
  readonly time: string
  readonly from: StatusValue | 'unknown'
  readonly to: StatusValue | 'unknown'
  readonly reason: string
}

export interface InstanceRecord {
  readonly version: 1
  readonly node: string
  readonly avail: StatusValue | 'unknown'
  /** Frozen on this node (the local freeze) or cluster-wide. */
  readonly frozen: boolean
  /** The agent gave up restarting it here (until `clear`). */
  readonly failed: boolean
  /** Why the agent does what it does with it (e.g. "standby: n1 owns it", "target n3 is dead: ignored"). */
  readonly reason?: string
  readonly transition?: InstanceTransition
  /** ISO time of the publication. */
  readonly updated: string
}

export interface FrozenRecord {
  readonly by: string
  readonly time: string
}

export interface TargetRecord {
  readonly version: 1
  /** The node the service is to move to. */
  readonly node: string
  /** The node the command ran on. */
  readonly by: string
  readonly time: string
  /** Unique per request: the target's agent deletes the key comparing it. */
  readonly id: string
}

export interface OwnerRecord {
  readonly version: 1
  readonly node: string
  readonly since: string
  readonly reason: string
}

function parse<T>(value: string, check: (v: Record<string, unknown>) => boolean): T | undefined {
  try {
    const v = JSON.parse(value) as unknown
    if (v && typeof v === 'object' && check(v as Record<string, unknown>)) return v as T
  } catch {
    // not readable: undefined
  }
  return undefined
}

const isStr = (v: unknown) => typeof v === 'string'

export function parseInstance(value: string): InstanceRecord | undefined {
  return parse<InstanceRecord>(
    value,
    v =>
      v.version === 1 &&
      isStr(v.node) &&
      isStr(v.avail) &&
      typeof v.frozen === 'boolean' &&
      typeof v.failed === 'boolean',
  )
}

export function parseFrozen(value: string): FrozenRecord | undefined {
  return parse<FrozenRecord>(value, v => isStr(v.by) && isStr(v.time))
}

export function parseTarget(value: string): TargetRecord | undefined {
  return parse<TargetRecord>(value, v => v.version === 1 && isStr(v.node) && isStr(v.id))
}

export function parseOwnerRecord(value: string): OwnerRecord | undefined {
  return parse<OwnerRecord>(value, v => v.version === 1 && isStr(v.node))
}

/** Publishes this node's instance record on its lease (the agent: on change and every leaseTtl). */
export async function publishInstance(
  client: Pick<EtcdClient, 'put'>,
  service: string,
  record: InstanceRecord,
  lease: string,
): Promise<void> {
  await client.put(instanceKey(service, record.node), JSON.stringify(record), {lease})
}

/** Every published instance record of the service, by node (a node whose lease went has none). */
export async function readInstances(
  client: Pick<EtcdClient, 'range'>,
  service: string,
): Promise<Record<string, InstanceRecord | undefined>> {
  const prefix = instancesPrefix(service)
  const r = await client.range(prefix, {prefix: true})
  const out: Record<string, InstanceRecord | undefined> = {}
  for (const kv of r.kvs) out[kv.key.slice(prefix.length)] = parseInstance(kv.value)
  return out
}

export async function readFrozen(client: Pick<EtcdClient, 'get'>, service: string): Promise<FrozenRecord | undefined> {
  const kv = await client.get(frozenKey(service))
  return kv ? (parseFrozen(kv.value) ?? {by: '?', time: '?'}) : undefined
}

/** Freezes the service cluster-wide (idempotent: an existing record is kept). */
export async function setFrozen(client: Pick<EtcdClient, 'txn'>, service: string, by: string, now = new Date()) {
  const key = frozenKey(service)
  const value = JSON.stringify({by, time: now.toISOString()} satisfies FrozenRecord)
  await client.txn([{key, target: 'CREATE', createRevision: 0}], [{put: {key, value}}])
}

export async function clearFrozen(client: Pick<EtcdClient, 'delete'>, service: string): Promise<void> {
  await client.delete(frozenKey(service))
}

export async function readTarget(client: Pick<EtcdClient, 'get'>, service: string): Promise<TargetRecord | undefined> {
  const kv = await client.get(targetKey(service))
  return kv ? parseTarget(kv.value) : undefined
}

/** Requests a move (replaces a previous request). */
export async function setTarget(client: Pick<EtcdClient, 'put'>, service: string, target: TargetRecord): Promise<void> {
  await client.put(targetKey(service), JSON.stringify(target))
}

/** Deletes the target key only if it is still the request `id`; returns whether it did. */
export async function deleteTarget(client: Pick<EtcdClient, 'txn'>, service: string, id: string): Promise<boolean> {
  const key = targetKey(service)
  const kv = await client.txn([], [{range: {key}}])
  const current = kv.ranges[0]?.[0]
  if (!current || parseTarget(current.value)?.id !== id) return false
  const r = await client.txn([{key, target: 'MOD', modRevision: current.modRevision}], [{delete: {key}}])
  return r.succeeded
}

/** The owner record and the lease it is on ("0"/undefined: nobody owns it). */
export async function readOwnerRecord(
  client: Pick<EtcdClient, 'get'>,
  service: string,
): Promise<{record?: OwnerRecord; lease: string; revision: number} | undefined> {
  const kv = await client.get(ownerKey(service))
  return kv ? {record: parseOwnerRecord(kv.value), lease: kv.lease, revision: kv.modRevision} : undefined
}

export const newTargetId = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`
