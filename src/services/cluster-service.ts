/**
 * What the cluster commands (switch, takeover, giveback, freeze, thaw, clear) share: the
 * service must be a cluster service of this node's cluster (the `etcd` setting, its config in
 * etcd with DEFAULT orchestrate = ha), else a clear refusal with exit 2 and nothing done. Its
 * placement order (`nodes`) is read from etcd's config, not the local copy, which may be behind.
 */
import {parseDocument} from '../config/document.js'
import {splitWords} from '../config/value-types.js'
import {checkServiceName} from '../config/store.js'
import {UsageError} from '../errors.js'
import type {EtcdClient} from '../cluster/etcd/client.js'
import type {Session} from './session.js'
import {isClusterDocument} from './cluster-config.js'

export interface ClusterService {
  readonly name: string
  readonly nodes: readonly string[]
  readonly client: EtcdClient
  /** This node's name (settings.nodename). */
  readonly here: string
}

/** Opens the service's cluster side, or refuses (exit 2) a local service or a node without etcd. */
export async function openClusterService(session: Session, name: string, command: string): Promise<ClusterService> {
  checkServiceName(name)
  if (!session.settings.etcd)
    throw new UsageError(
      `${command}: this node is not in a cluster (no etcd endpoints in the settings: set "etcd" or SVCMGR_ETCD=http://host:2379,...); ${command} moves only a cluster service`,
    )
  const [{EtcdClient}, {readClusterConfig}] = await Promise.all([
    import('../cluster/etcd/client.js'),
    import('../cluster/config-store.js'),
  ])
  const client = new EtcdClient({endpoints: session.settings.etcd})
  try {
    const config = await readClusterConfig(client, name)
    if (!config) {
      const local = session.store.exists(name)
      throw new UsageError(
        local
          ? `${command}: ${name} is a local service (its config is not in the cluster): ${command} works on a cluster service (DEFAULT orchestrate = ha, created on a node with etcd)`
          : `-s/--service: no service named "${name}" in the cluster or on this node (\`svcmgr ls\` lists them)`,
      )
    }
    const doc = parseDocument(config.text, name, `etcd:${name}`)
    if (!isClusterDocument(doc))
      throw new UsageError(
        `${command}: ${name} is not a cluster service: its DEFAULT.orchestrate is not ha (set it with \`svcmgr -s ${name} set --kw DEFAULT.orchestrate=ha\`)`,
      )
    const raw = doc.find(s => s.name === 'DEFAULT')?.entries.find(([k]) => k === 'nodes')?.[1] ?? ''
    const nodes = splitWords(raw) ?? []
    if (nodes.length === 0)
      throw new UsageError(`${command}: ${name}'s DEFAULT.nodes is empty: a cluster service lists its nodes in order`)
    return {name, nodes, client, here: session.settings.nodename}
  } catch (error) {
    client.close()
    throw error
  }
}

/** Refuses a node that is not in the service's `nodes` (exit 2), naming the flag. */
export function requireServiceNode(svc: ClusterService, node: string, flag: string): void {
  if (!svc.nodes.includes(node))
    throw new UsageError(`${flag}: ${node} is not a node of ${svc.name} (DEFAULT.nodes = ${svc.nodes.join(' ')})`)
}
