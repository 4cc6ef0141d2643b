/**
 * Gathers a cluster service's ClusterView (src/status/cluster-view.ts) from etcd: one read of
 * the service's keys and the nodes' presence, then the owner's lease time. Loaded by
 * print status only for a cluster service (this node has `etcd` and the service's copy came
 * from the cluster): a local service's status never loads it. etcd not answering within the
 * deadline gives a view of unknowns with the reason, never "down".
 */
import type {Settings} from '../config/settings.js'
import type {ClusterInstanceView, ClusterView} from '../status/cluster-view.js'

const VIEW_TIMEOUT_MS = 3000

/** A node without a copy of the service yet takes it from etcd (as cluster-config.ts's pullLocalCopy). */
export async function pullClusterCopy(settings: Settings, name: string): Promise<void> {
  const [{EtcdClient}, {readClusterConfig, writeLocalCopy}] = await Promise.all([
    import('../cluster/etcd/client.js'),
    import('../cluster/config-store.js'),
  ])
  const client = new EtcdClient({endpoints: settings.etcd!, timeoutMs: VIEW_TIMEOUT_MS})
  try {
    const config = await readClusterConfig(client, name)
    if (config) writeLocalCopy({etcDir: settings.etcDir, varDir: settings.varDir}, config)
  } finally {
    client.close()
  }
}

export async function clusterView(
  endpoints: readonly string[],
  nodes: readonly string[],
  name: string,
): Promise<ClusterView> {
  const [{EtcdClient}, {readServiceClusterState, ownerLeaseRemaining, leaderOf}] = await Promise.all([
    import('../cluster/etcd/client.js'),
    import('../cluster/service-state.js'),
  ])
  const client = new EtcdClient({endpoints, timeoutMs: VIEW_TIMEOUT_MS})
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
