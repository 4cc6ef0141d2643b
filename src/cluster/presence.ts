/**
 * Node presence: /svcmgr/nodes/<node> on the agent's lease (the agent is alive while it
 * exists), and /svcmgr/seen/<node>, on no lease, with when it was last seen, so that a node
 * whose agent died is still listed.
 */
import type {EtcdClient} from './etcd/client.js'
import {PRESENCE_PREFIX, SEEN_PREFIX, presenceKey, seenKey} from './keys.js'

export interface Presence {
  readonly node: string
  /** ISO time the agent announced itself or last touched its presence. */
  readonly lastSeen: string
  readonly pid?: number
}

export interface NodeEntry {
  readonly node: string
  readonly alive: boolean
  readonly lastSeen?: string
}

/** Writes both keys (call it at start and now and then: lastSeen is the time of the last call). */
export async function announcePresence(
  client: Pick<EtcdClient, 'txn'>,
  node: string,
  lease: string,
  now: Date = new Date(),
): Promise<void> {
  const value = JSON.stringify({node, lastSeen: now.toISOString(), pid: process.pid} satisfies Presence)
  await client.txn([], [{put: {key: presenceKey(node), value, lease}}, {put: {key: seenKey(node), value}}])
}

/** Every node known, alive or not, sorted by name (linearizable reads). */
export async function listNodes(client: Pick<EtcdClient, 'range'>): Promise<NodeEntry[]> {
  const [alive, seen] = await Promise.all([
    client.range(PRESENCE_PREFIX, {prefix: true}),
    client.range(SEEN_PREFIX, {prefix: true}),
  ])
  const parse = (v: string): Presence | undefined => {
    try {
      return JSON.parse(v) as Presence
    } catch {
      return undefined
    }
  }
  const nodes = new Map<string, NodeEntry>()
  for (const kv of seen.kvs) {
    const node = kv.key.slice(SEEN_PREFIX.length)
    nodes.set(node, {node, alive: false, lastSeen: parse(kv.value)?.lastSeen})
  }
  for (const kv of alive.kvs) {
    const node = kv.key.slice(PRESENCE_PREFIX.length)
    const p = parse(kv.value)
    const known = nodes.get(node)
    const lastSeen = [p?.lastSeen, known?.lastSeen].filter(Boolean).sort().pop()
    nodes.set(node, {node, alive: true, lastSeen})
  }
  return [...nodes.values()].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))
}
