/**
 * Every cluster service's owner and placement leader for `svcmgr cluster status`, from one
 * range read of /svcmgr/services/ (configs, owners, instance records, freezes, targets) and the
 * nodes' presence already read. The placement order comes from each config's DEFAULT.nodes.
 */
import type {EtcdClient} from './etcd/client.js'
import {parseInstance, parseOwnerRecord, parseTarget} from './instances.js'
import {SERVICES_PREFIX} from './keys.js'
import {placementLeader} from './placement.js'

export interface ServiceSummary {
  readonly service: string
  /** null: nobody owns it. */
  readonly owner: string | null
  readonly placement: string | null
  readonly frozen: boolean
  /** A pending move's node. */
  readonly target: string | null
}

export async function summarizeServices(
  client: Pick<EtcdClient, 'range'>,
  alive: ReadonlySet<string>,
  /** A config text's DEFAULT.nodes (the caller parses: this chunk loads nothing of the config code). */
  nodesOf: (service: string, configText: string) => string[],
): Promise<ServiceSummary[]> {
  const r = await client.range(SERVICES_PREFIX, {prefix: true})
  type Acc = {
    config?: string
    owner?: string
    frozen: boolean
    target?: string
    frozenAt: Set<string>
    failed: Set<string>
  }
  const byService = new Map<string, Acc>()
  for (const kv of r.kvs) {
    const [service, ...rest] = kv.key.slice(SERVICES_PREFIX.length).split('/')
    const what = rest.join('/')
    let acc = byService.get(service)
    if (!acc) byService.set(service, (acc = {frozen: false, frozenAt: new Set(), failed: new Set()}))
    if (what === 'config') acc.config = kv.value
    else if (what === 'owner') acc.owner = parseOwnerRecord(kv.value)?.node ?? '?'
    else if (what === 'frozen') acc.frozen = true
    else if (what === 'target') acc.target = parseTarget(kv.value)?.node ?? '?'
    else if (what.startsWith('instances/')) {
      const i = parseInstance(kv.value)
      const node = what.slice('instances/'.length)
      if (i?.frozen) acc.frozenAt.add(node)
      if (i?.failed) acc.failed.add(node)
    }
  }
  const out: ServiceSummary[] = []
  for (const [service, acc] of [...byService].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (acc.config === undefined) continue // keys of a deleted service, not a service
    let nodes: string[]
    try {
      nodes = nodesOf(service, acc.config)
    } catch {
      nodes = [] // a config that does not parse: no placement
    }
    out.push({
      service,
      owner: acc.owner ?? null,
      placement: placementLeader({nodes, alive, frozen: acc.frozenAt, failed: acc.failed}) ?? null,
      frozen: acc.frozen,
      target: acc.target ?? null,
    })
  }
  return out
}
