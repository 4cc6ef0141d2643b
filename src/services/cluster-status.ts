/**
 * `svcmgr cluster status`: the nodes (agent alive = its presence key exists, last seen) and
 * each etcd member's health. The cluster code is imported here only: a command of a node
 * without `etcd` never loads it.
 */
import {loadSettings} from '../config/settings.js'
import {parseDocument} from '../config/document.js'
import {splitWords} from '../config/value-types.js'
import {UsageError} from '../errors.js'
import type {MemberStatus} from '../cluster/etcd/client.js'
import type {NodeEntry} from '../cluster/presence.js'
import type {ServiceSummary} from '../cluster/services-summary.js'

export interface ClusterStatusReport {
  readonly members: readonly MemberStatus[]
  /** null: etcd did not answer the linearizable read (unknown, not "no node"). */
  readonly nodes: readonly NodeEntry[] | null
  readonly nodesError?: string
  /** The cluster services, each with its owner and placement leader; null when etcd did not answer. */
  readonly services: readonly ServiceSummary[] | null
}

const nodesOfConfig = (service: string, text: string) =>
  splitWords(
    parseDocument(text, service, `etcd:${service}`)
      .find(s => s.name === 'DEFAULT')
      ?.entries.find(([k]) => k === 'nodes')?.[1] ?? '',
  ) ?? []

export async function clusterStatus(options: {timeoutMs?: number} = {}): Promise<ClusterStatusReport> {
  const settings = await loadSettings()
  if (!settings.etcd)
    throw new UsageError(
      'this node is not in a cluster: no etcd endpoints in the settings (set "etcd" in the settings file or SVCMGR_ETCD=http://host:2379,...)',
    )
  const [{EtcdClient}, {listNodes}, {summarizeServices}] = await Promise.all([
    import('../cluster/etcd/client.js'),
    import('../cluster/presence.js'),
    import('../cluster/services-summary.js'),
  ])
  const client = new EtcdClient({endpoints: settings.etcd, timeoutMs: options.timeoutMs ?? 5000})
  try {
    const [members, nodes] = await Promise.all([
      client.memberStatuses(Math.min(2000, options.timeoutMs ?? 2000)),
      listNodes(client).then(
        n => ({nodes: n}),
        (error: Error) => ({nodes: null, nodesError: error.message}),
      ),
    ])
    const services = nodes.nodes
      ? await summarizeServices(
          client,
          new Set(nodes.nodes.filter(n => n.alive).map(n => n.node)),
          nodesOfConfig,
        ).catch(() => null)
      : null
    return {members, ...nodes, services}
  } finally {
    client.close()
  }
}
