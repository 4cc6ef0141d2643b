/**
 * A service's status report, with its frozen flag and the action holding its lock. Works on
 * a stored config that no longer validates: what compiles is probed, a section that does not
 * is reported as warn with why (its state is unknown, never "down").
 */
import {existsSync} from 'node:fs'
import path from 'node:path'
import {splitWords} from '../config/value-types.js'
import {describeLockHolder, lockFile, lockState} from '../executor/lock.js'
import {EventBus} from '../log/events.js'
import {aggregateStatus} from '../status/aggregate.js'
import {monitorView} from '../status/monitor.js'
import {gatherServiceStatus, type ResourceStatusReport, type ServiceStatusReport} from '../status/status.js'
import type {Session} from './session.js'

export async function serviceStatus(session: Session, name: string): Promise<ServiceStatusReport> {
  const {etcd, varDir} = session.settings
  if (!etcd) return serviceStatusLocal(session, name)
  // A cluster service's view from etcd, asked while the resources are probed. The cluster code
  // is one dynamic import, reached only with `etcd` and only for a cluster service (its copy
  // came from etcd, or it says orchestrate = ha): a local status loads none of it, and the
  // chunk imports nothing of this path's own modules, so the bundle's split is unchanged.
  if (!session.store.exists(name)) await (await import('./cluster-view.js')).pullClusterCopy(session.settings, name)
  session.store.requireExists(name)
  const doc = session.store.read(name)
  const defaults = doc.find(s => s.name === 'DEFAULT')?.entries
  const cluster =
    existsSync(path.join(varDir, name, 'cluster-config.json')) ||
    (defaults?.some(([k, v]) => k === 'orchestrate' && v.trim() === 'ha') ?? false)
  if (!cluster) return serviceStatusLocal(session, name)
  const nodes = splitWords(defaults?.find(([k]) => k === 'nodes')?.[1] ?? '') ?? []
  const {clusterView} = await import('./cluster-view.js')
  const [local, view] = await Promise.all([serviceStatusLocal(session, name), clusterView(etcd, nodes, name)])
  const {resources, ...head} = local
  return {...head, cluster: view, resources}
}

async function serviceStatusLocal(session: Session, name: string): Promise<ServiceStatusReport> {
  // the drivers' reads start before the config compiles (a large service's engine list)
  const cache = await session.prefetch(name)
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
    cache,
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
      drift: [],
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
