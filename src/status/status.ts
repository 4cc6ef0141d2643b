/** Gathers every resource's status concurrently (a bounded number at a time) and aggregates the service's. */
import {setMaxListeners} from 'node:events'
import type {DriverSettings, ResourceStatus, StatusLogEntry, StatusValue} from '../drivers/api.js'
import {createDriverContext, type ContextShared} from '../drivers/context.js'
import {batchDeadline, type BatchDeadline, EXPIRED} from '../drivers/deadline.js'
import type {GenericFields} from '../drivers/generic-keywords.js'
import type {EventSink} from '../log/events.js'
import type {Service} from '../model/service.js'
import {compareStageKeys} from '../planner/order.js'
import {naturalCompare} from '../model/rid.js'
import {type AggregateStatus, aggregateStatus} from './aggregate.js'
import {type StatusReadiness, statusReadiness} from '../readiness/status.js'
import type {MonitorView} from './monitor.js'
import type {ClusterView} from './cluster-view.js'

export const STATUS_FORMAT_VERSION = 1

/** A resource's status, with the fields of its generic keywords (subset, tags, optional, disabled, standby). */
export interface ResourceStatusReport extends GenericFields {
  readonly rid: string
  readonly type: string
  readonly status: StatusValue
  readonly label: string
  readonly log: readonly StatusLogEntry[]
  readonly provisioned?: boolean
  /** Readiness (src/readiness): true or false under its probe, null when it has none. */
  readonly ready: boolean | null
  /** The drifted keywords (the driver's fingerprint against the config): [] in sync or when nothing was recorded (its log says "no fingerprint"). */
  readonly drift: readonly string[]
  /** Set (true) when the resource is monitored (keyword `monitor`): the `M` flag of its row. */
  readonly monitor?: true
}

export interface ServiceStatusReport {
  readonly version: number
  readonly service: string
  readonly id: string
  readonly node: string
  readonly avail: AggregateStatus
  /** The instance is up and none of its counted resources is not ready. */
  readonly ready: boolean
  readonly overall: AggregateStatus
  readonly frozen: boolean
  /** The action holding the service's lock, if any. */
  readonly running?: string
  /** The node agent's view (src/status/monitor.ts): its liveness, the monitor's state, restarts used. */
  readonly monitor?: MonitorView
  /** A cluster service's view from etcd (owner, placement, each node's instance); absent for a local service. */
  readonly cluster?: ClusterView
  readonly resources: Record<string, ResourceStatusReport>
}

const STATUS_TIMEOUT_MS = 15_000
/**
 * Probes in flight at once. Each holds a driver context and, for most drivers, a connection or
 * a child process: 10,000 resources probed all at once held 10,000 of them (and 10,000
 * listeners on one abort signal, whose removal is linear). A driver that answers for all its
 * resources with one call (a cached engine list) still makes it once.
 */
export const STATUS_CONCURRENCY = 64

const timedOut = (): ResourceStatus => ({
  status: 'warn',
  log: [{level: 'warn', message: `status probe timed out after ${STATUS_TIMEOUT_MS / 1000}s`}],
})

/** Probes one resource, answering timed out once the whole status's deadline passed at the latest. */
async function probe(
  shared: ContextShared,
  service: Service,
  rid: string,
  deadline: BatchDeadline,
): Promise<ResourceStatus> {
  const r = service.resource(rid)!
  try {
    const st = await deadline.race(r.driver.status(createDriverContext(shared, r)))
    return st === EXPIRED ? timedOut() : st
  } catch (error) {
    // a driver should return problems as data; one that throws still gets reported, not crashed on
    return {status: 'warn', log: [{level: 'error', message: `status failed: ${(error as Error).message}`}]}
  }
}

/**
 * `work` for every item, at most `limit` in flight, results in the items' order. After `expired`
 * turns true, the items not started yet get `late()` instead.
 */
async function inPool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
  expired: () => boolean,
  late: (item: T) => R,
): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = expired() ? late(items[i]) : await work(items[i])
    }
  }
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker))
  return out
}

/** Resources in the order they start: groups, then subsets, then natural rid order. */
export function statusOrder(service: Service): string[] {
  return [...service.resources]
    .sort(
      (a, b) =>
        compareStageKeys({group: a.group, subset: a.subset}, {group: b.group, subset: b.subset}) ||
        naturalCompare(a.rid, b.rid),
    )
    .map(r => r.rid)
}

export async function gatherServiceStatus(
  service: Service,
  settings: DriverSettings,
  sink: EventSink,
  state: {frozen: boolean; running?: string; monitor?: MonitorView; cache?: Map<string, unknown>},
): Promise<ServiceStatusReport> {
  // every probe in flight may follow the signal (a driver's engine call does): not a leak
  const signal = new AbortController().signal
  setMaxListeners(4 * STATUS_CONCURRENCY, signal)
  const shared: ContextShared = {service, settings, sink, signal, cache: state.cache ?? new Map()}
  const order = statusOrder(service)
  // one deadline for the whole status, as when every probe started at once: what has not
  // answered by then (or not started) is reported as timed out, never waited for (one timer,
  // not one per probe: 10,000 resources made 10,000 timers)
  const deadline = batchDeadline(STATUS_TIMEOUT_MS)
  const readiness = new Map<string, StatusReadiness>()
  const statuses = await inPool<string, ResourceStatus>(
    order,
    STATUS_CONCURRENCY,
    rid =>
      service.resource(rid)!.disabled
        ? Promise.resolve<ResourceStatus>({status: 'n/a'})
        : probe(shared, service, rid, deadline).then(async st => {
            // readiness (src/readiness/status.ts): one probe of an up resource that has one
            const r = service.resource(rid)!
            readiness.set(rid, await statusReadiness(r, st, () => createDriverContext(shared, r)))
            return st
          }),
    () => deadline.expired,
    (rid): ResourceStatus => (service.resource(rid)!.disabled ? {status: 'n/a'} : timedOut()),
  ).finally(() => deadline.clear())
  const reports = order.map((rid, i) => {
    const r = service.resource(rid)!
    const s = statuses[i]
    const rd = readiness.get(rid) ?? {ready: null}
    let status = s.status
    if (r.standby && (status === 'up' || status === 'down')) status = status === 'up' ? 'stdby up' : 'stdby down'
    const report: ResourceStatusReport = {
      rid,
      type: `${r.group}.${r.type}`,
      status,
      label: s.label ?? r.driver.label(r, service),
      log: [...(s.log ?? []), ...(rd.log ? [rd.log] : [])],
      ...(r.subset !== undefined ? {subset: r.subset} : {}),
      tags: r.tags,
      optional: r.optional,
      disabled: r.disabled,
      standby: r.standby,
      ...(r.monitor ? {monitor: true as const} : {}),
      ...(s.provisioned !== undefined ? {provisioned: s.provisioned} : {}),
      ready: rd.ready,
      drift: s.drift ?? [],
    }
    return report
  })
  const counted = reports.filter(r => !r.optional && !r.disabled)
  const avail = aggregateStatus(counted.map(r => r.status))
  const optionalWarn = reports.some(r => r.optional && r.status === 'warn')
  return {
    version: STATUS_FORMAT_VERSION,
    service: service.name,
    id: service.id,
    node: service.nodename,
    avail,
    ready: avail === 'up' && counted.every(r => r.ready !== false),
    overall: optionalWarn && avail === 'up' ? 'warn' : avail,
    frozen: state.frozen,
    ...(state.running ? {running: state.running} : {}),
    ...(state.monitor ? {monitor: state.monitor} : {}),
    resources: Object.fromEntries(reports.map(r => [r.rid, r])),
  }
}
