/**
 * A service's status report, with its frozen flag and the action holding its lock. Works on
 * a stored config that no longer validates: what compiles is probed, a section that does not
 * is reported as warn with why (its state is unknown, never "down").
 */
import {describeLockHolder, lockFile, lockState} from '../executor/lock.js'
import {EventBus} from '../log/events.js'
import {aggregateStatus} from '../status/aggregate.js'
import {monitorView} from '../status/monitor.js'
import {gatherServiceStatus, type ResourceStatusReport, type ServiceStatusReport} from '../status/status.js'
import type {Session} from './session.js'

export async function serviceStatus(session: Session, name: string): Promise<ServiceStatusReport> {
  if (!session.settings.etcd) return serviceStatusLocal(session, name)
  // a cluster service's view from etcd, asked while the resources are probed: the cluster
  // code is loaded only here, only with `etcd`, only for a service whose copy came from etcd
  const {isClusterService, pullLocalCopy} = await import('./cluster-config.js')
  await pullLocalCopy(session, name)
  session.store.requireExists(name)
  const doc = session.store.read(name)
  if (!(await isClusterService(session, name, doc))) return serviceStatusLocal(session, name)
  const {clusterView} = await import('./cluster-view.js')
  const [local, cluster] = await Promise.all([serviceStatusLocal(session, name), clusterView(session, doc, name)])
  const {resources, ...head} = local
  return {...head, cluster, resources}
}

async function serviceStatusLocal(session: Session, name: string): Promise<ServiceStatusReport> {
  const {service, warnings, unusable} = await session.loadLenient(name)
  const file = lockFile(service.varDir)
  const lock = lockState(file)
  if (lock.state === 'stale')
    session.warn(
      `svcmgr: warning: ${name}: stale lock ${file}${lock.owner ? ` of dead ${describeLockHolder(lock.owner)}` : ' (unreadable)'}: nothing is in progress; the next action or edit removes it\n`,
    )
  const report = await gatherServiceStatus(service, session.driverSettings, new EventBus(), {
    frozen: session.store.isFrozen(name),
    running: lock.state === 'held' ? lock.owner.action : undefined,
    monitor: monitorView(session.settings.root, service.varDir),
  })
  if (warnings.length === 0 && unusable.length === 0) return report
  const byRid = warningsByRid(warnings)
  const resources: Record<string, ResourceStatusReport> = {}
  for (const [rid, r] of Object.entries(report.resources)) {
    const own = byRid.get(rid) ?? []
    resources[rid] =
      own.length === 0
        ? r
        : {...r, log: [...r.log, ...own.map(w => ({level: 'warn' as const, message: `config: ${w} (ignored)`}))]}
  }
  for (const u of unusable) {
    resources[u.rid] = {
      rid: u.rid,
      type: u.group ? `${u.group}.${u.type ?? '?'}` : 'unknown',
      status: 'warn',
      label: 'state unknown: its config section cannot be used',
      log: u.problems.map(p => ({level: 'error' as const, message: `config: ${p}`})),
      tags: [],
      optional: false,
      disabled: false,
      standby: false,
      ready: null,
    }
  }
  const counted = Object.values(resources).filter(r => !r.optional && !r.disabled)
  const avail = aggregateStatus(counted.map(r => r.status))
  const ready = avail === 'up' && counted.every(r => r.ready !== false)
  return {...report, avail, ready, overall: avail === 'up' && report.overall === 'warn' ? 'warn' : avail, resources}
}

/**
 * The warnings of each rid: those that start with "<rid>.", "[<rid>]" or "<rid>:". A rid holds
 * no ".", ":" or "]", so the rid a warning names is what comes before the first of them: one
 * pass, however many resources and warnings there are.
 */
export function warningsByRid(warnings: readonly string[]): Map<string, string[]> {
  const byRid = new Map<string, string[]>()
  for (const w of warnings) {
    const m = /^\[([^\]]*)\]|^([^.:]*)[.:]/.exec(w)
    if (!m) continue
    const rid = m[1] ?? m[2]
    const list = byRid.get(rid)
    if (list) list.push(w)
    else byRid.set(rid, [w])
  }
  return byRid
}
