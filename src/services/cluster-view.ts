/**
 * Gathers a cluster service's ClusterView (src/status/cluster-view.ts) from etcd: one read of
 * the service's keys and the nodes' presence, then the owner's lease time. Loaded by
 * print status only for a cluster service (this node has `etcd` and the service's copy came
 * from the cluster): a local service's status never loads it. etcd not answering within the
 * deadline gives a view of unknowns with the reason, never "down".
 */
import {splitWords} from '../config/value-types.js'
import type {ServiceDocument} from '../config/document.js'
import type {ClusterInstanceView, ClusterView} from '../status/cluster-view.js'
import type {Session} from './session.js'

const VIEW_TIMEOUT_MS = 3000

export function nodesOf(doc: ServiceDocument): string[] {
  const raw = doc.find(s => s.name === 'DEFAULT')?.entries.find(([k]) => k === 'nodes')?.[1] ?? ''
  return splitWords(raw) ?? []
}

export async function clusterView(session: Session, doc: ServiceDocument, name: string): Promise<ClusterView> {
  const nodes = nodesOf(doc)
  const [{EtcdClient}, {readServiceClusterState, ownerLeaseRemaining, leaderOf}] = await Promise.all([
    import('../cluster/etcd/client.js'),
    import('../cluster/service-state.js'),
  ])
  const client = new EtcdClient({endpoints: session.settings.etcd!, timeoutMs: VIEW_TIMEOUT_MS})
  try {
    const state = await readServiceClusterState(client, name)
    const ttl = await ownerLeaseRemaining(client, state).catch(() => undefined)
    const instances: Record<string, ClusterInstanceView> = {}
    const listed = [
      ...nodes,
      ...Object.keys(state.instances)
        .filter(n => !nodes.includes(n))
        .sort(),
    ]
    for (const node of listed) {
      const i = state.instances[node]
      const agent = state.alive.has(node) ? 'alive' : 'not alive'
      instances[node] =
        i === undefined || i === 'unreadable'
          ? {
              avail: 'unknown',
              frozen: false,
              failed: false,
              agent,
              ...(i ? {reason: 'unreadable record'} : {}),
              updated: null,
            }
          : {
              avail: i.avail,
              frozen: i.frozen,
              failed: i.failed,
              agent,
              ...(i.reason ? {reason: i.reason} : {}),
              ...(i.transition ? {transition: i.transition} : {}),
              updated: i.updated ?? null,
            }
    }
    return {
      nodes,
      owner: state.owner?.node ?? null,
      ...(state.owner?.since ? {owner_since: state.owner.since} : {}),
      ...(state.owner?.reason ? {owner_reason: state.owner.reason} : {}),
      placement: leaderOf(nodes, state) ?? null,
      lease_remaining_s: ttl === undefined ? null : ttl,
      frozen: state.frozen ?? null,
      target: state.target ? {node: state.target.node, by: state.target.by, time: state.target.time} : null,
      instances,
    }
  } catch (error) {
    const instances: Record<string, ClusterInstanceView> = {}
    for (const node of nodes)
      instances[node] = {avail: 'unknown', frozen: false, failed: false, agent: 'unknown', updated: null}
    return {
      nodes,
      owner: null,
      placement: null,
      lease_remaining_s: null,
      frozen: null,
      target: null,
      instances,
      error: (error as Error).message,
    }
  } finally {
    client.close()
  }
}
