/**
 * The cluster side of config edits (issue 15, item 2). A service whose DEFAULT has
 * `orchestrate = ha`, created on a node with the `etcd` setting, is a cluster service: its
 * config lives in etcd (src/cluster/config-store.ts) and each node keeps a local copy beside
 * the revision it is. create stores it only if absent; set/unset edit etcd's text, not the
 * local copy, and write it back with a compare-and-swap on the revision read, so that of two
 * concurrent edits on two nodes one is refused and told to retry; delete removes it at the
 * revision read. Without `etcd` none of this is loaded.
 */
import {documentToIni, parseDocument, type ServiceDocument} from '../config/document.js'
import type {EtcdClient} from '../cluster/etcd/client.js'
import type {ClusterConfig} from '../cluster/config-store.js'
import type {Session} from './session.js'

/** A cluster service's config: DEFAULT orchestrate = ha. */
export function isClusterDocument(doc: ServiceDocument): boolean {
  return (
    doc.find(s => s.name === 'DEFAULT')?.entries.some(([k, v]) => k === 'orchestrate' && v.trim() === 'ha') ?? false
  )
}

async function withClient<T>(
  session: Session,
  fn: (client: EtcdClient, store: typeof import('../cluster/config-store.js')) => Promise<T>,
): Promise<T> {
  const [{EtcdClient}, store] = await Promise.all([
    import('../cluster/etcd/client.js'),
    import('../cluster/config-store.js'),
  ])
  const client = new EtcdClient({endpoints: session.settings.etcd!})
  try {
    return await fn(client, store)
  } finally {
    client.close()
  }
}

const dirs = (session: Session) => ({etcDir: session.settings.etcDir, varDir: session.settings.varDir})

/** Whether an edit of this service goes through etcd: this node has `etcd` and its copy came from there (or says ha). */
export async function isClusterService(session: Session, name: string, local?: ServiceDocument): Promise<boolean> {
  if (!session.settings.etcd) return false
  const {localCopyRevision} = await import('../cluster/config-store.js')
  if (localCopyRevision(dirs(session), name) !== undefined) return true
  return local !== undefined && isClusterDocument(local)
}

/** create: stores the config in etcd (refused if there, unless force, which replaces it at the revision read). */
export async function createInCluster(
  session: Session,
  name: string,
  doc: ServiceDocument,
  force: boolean,
): Promise<ClusterConfig> {
  const text = documentToIni(doc)
  return withClient(session, async (client, store) => {
    const existing = force ? await store.readClusterConfig(client, name) : undefined
    const config = existing
      ? await store.updateClusterConfig(client, name, text, existing.revision)
      : await store.createClusterConfig(client, name, text)
    store.writeLocalCopy(dirs(session), config)
    return config
  })
}

/**
 * set/unset/delete of sections: edit gets etcd's current document and returns the new one,
 * checked by the caller; it is written with the CAS, then the local copy.
 */
export async function editInCluster(
  session: Session,
  name: string,
  edit: (doc: ServiceDocument) => Promise<ServiceDocument>,
): Promise<ServiceDocument> {
  return withClient(session, async (client, store) => {
    let result: ServiceDocument | undefined
    const config = await store.editClusterConfig(client, name, async text => {
      result = await edit(parseDocument(text, name, `etcd:${name}`))
      return documentToIni(result)
    })
    store.writeLocalCopy(dirs(session), config)
    return result!
  })
}

/** delete: removes the config from etcd at the revision read (refused if it changed meanwhile). */
export async function deleteInCluster(session: Session, name: string): Promise<void> {
  await withClient(session, async (client, store) => {
    const current = await store.readClusterConfig(client, name)
    if (current) await store.deleteClusterConfig(client, name, current.revision)
  })
}

/**
 * ls: the local services and, on a node with `etcd`, the cluster's. When etcd does not
 * answer, the local ones with the reason (the caller says it and exits 1: the list is partial).
 */
export async function serviceNames(session: Session): Promise<{names: string[]; clusterError?: string}> {
  const local = session.store.list()
  if (!session.settings.etcd) return {names: local}
  try {
    const cluster = await withClient(session, (client, store) => store.listClusterServices(client))
    return {names: [...new Set([...local, ...cluster])].sort()}
  } catch (error) {
    return {names: local, clusterError: (error as Error).message}
  }
}

/**
 * A node that has no local copy of a cluster service yet (the agent keeps them in sync; a
 * command may come first) takes it from etcd. Returns whether there was one.
 */
export async function pullLocalCopy(session: Session, name: string): Promise<boolean> {
  if (!session.settings.etcd || session.store.exists(name)) return false
  return withClient(session, async (client, store) => {
    const config = await store.readClusterConfig(client, name)
    if (config) store.writeLocalCopy(dirs(session), config)
    return config !== undefined
  })
}
