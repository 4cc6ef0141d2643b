/**
 * `freeze` / `thaw`. A local service: the frozen flag under its var folder, as always. A
 * cluster service (this node has `etcd`, the service's config is in etcd): the cluster-wide
 * /svcmgr/services/<svc>/frozen key too ({by, time}; present: no agent starts or moves the
 * service on any node), written before the local flag on freeze and deleted before it on thaw.
 * Without `etcd` none of the cluster code is loaded.
 */
import {isClusterService, pullLocalCopy} from './cluster-config.js'
import {openClusterService} from './cluster-service.js'
import type {Session} from './session.js'

export interface FreezeOutcome {
  readonly service: string
  readonly frozen: boolean
  /** The cluster-wide key was written or deleted (a cluster service). */
  readonly cluster: boolean
  /** The cluster-wide freeze found (freeze: already frozen by someone; thaw: the one removed). */
  readonly was?: {readonly by: string; readonly time: string}
}

async function isCluster(session: Session, name: string): Promise<boolean> {
  if (!session.settings.etcd) return false
  await pullLocalCopy(session, name)
  session.store.requireExists(name)
  return isClusterService(session, name, session.store.read(name))
}

export async function setServiceFrozen(session: Session, name: string, frozen: boolean): Promise<FreezeOutcome> {
  if (!(await isCluster(session, name))) {
    session.store.requireExists(name)
    session.store.setFrozen(name, frozen)
    return {service: name, frozen, cluster: false}
  }
  const {frozenKey} = await import('../cluster/keys.js')
  const svc = await openClusterService(session, name, frozen ? 'freeze' : 'thaw')
  try {
    const key = frozenKey(name)
    const value = JSON.stringify({by: session.settings.nodename, time: new Date().toISOString()})
    // freeze: only if absent (the first freeze's record is kept); thaw: delete whatever is there
    const r = frozen
      ? await svc.client.txn([{key, target: 'CREATE', createRevision: 0}], [{put: {key, value}}], [{range: {key}}])
      : await svc.client.txn([], [{range: {key}}, {delete: {key}}])
    const found = frozen ? r.ranges[0]?.[0] : r.ranges[0]?.[0]
    let was: FreezeOutcome['was']
    if (found) {
      try {
        const v = JSON.parse(found.value) as {by?: string; time?: string}
        was = {by: v.by ?? '?', time: v.time ?? '?'}
      } catch {
        was = {by: '?', time: '?'}
      }
    }
    session.store.setFrozen(name, frozen)
    return {service: name, frozen, cluster: true, ...(was ? {was} : {})}
  } finally {
    svc.client.close()
  }
}
