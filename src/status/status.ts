/** Gathers every resource's status concurrently and aggregates the service's. */
import type {DriverSettings, ResourceStatus, StatusLogEntry, StatusValue} from '../drivers/api.js'
import {createDriverContext, type ContextShared} from '../drivers/context.js'
import type {GenericFields} from '../drivers/generic-keywords.js'
import type {EventSink} from '../log/events.js'
import type {Service} from '../model/service.js'
import {compareStageKeys} from '../planner/order.js'
import {naturalCompare} from '../model/rid.js'
import {type AggregateStatus, aggregateStatus} from './aggregate.js'
import {statusReadiness} from '../readiness/status.js'

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
  readonly resources: Record<string, ResourceStatusReport>
}

const STATUS_TIMEOUT_MS = 15_000

async function probe(shared: ContextShared, service: Service, rid: string): Promise<ResourceStatus> {
  const r = service.resource(rid)!
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<ResourceStatus>(resolve => {
    timer = setTimeout(
      () =>
        resolve({
          status: 'warn',
          log: [{level: 'warn', message: `status probe timed out after ${STATUS_TIMEOUT_MS / 1000}s`}],
        }),
      STATUS_TIMEOUT_MS,
    )
  })
  try {
    return await Promise.race([r.driver.status(createDriverContext(shared, r)), timeout])
  } catch (error) {
    // a driver should return problems as data; one that throws still gets reported, not crashed on
    return {status: 'warn', log: [{level: 'error', message: `status failed: ${(error as Error).message}`}]}
  } finally {
    clearTimeout(timer)
  }
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
  state: {frozen: boolean; running?: string},
): Promise<ServiceStatusReport> {
  const shared: ContextShared = {service, settings, sink, signal: new AbortController().signal, cache: new Map()}
  const order = statusOrder(service)
  const reports = await Promise.all(
    order.map(async rid => {
      const r = service.resource(rid)!
      const s: ResourceStatus = r.disabled ? {status: 'n/a'} : await probe(shared, service, rid)
      const readiness = await statusReadiness(r, s, () => createDriverContext(shared, r))
      let status = s.status
      if (r.standby && (status === 'up' || status === 'down')) status = status === 'up' ? 'stdby up' : 'stdby down'
      const report: ResourceStatusReport = {
        rid,
        type: `${r.group}.${r.type}`,
        status,
        label: s.label ?? r.driver.label(r, service),
        log: [...(s.log ?? []), ...(readiness.log ? [readiness.log] : [])],
        ...(r.subset !== undefined ? {subset: r.subset} : {}),
        tags: r.tags,
        optional: r.optional,
        disabled: r.disabled,
        standby: r.standby,
        ...(s.provisioned !== undefined ? {provisioned: s.provisioned} : {}),
        ready: readiness.ready,
      }
      return report
    }),
  )
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
    resources: Object.fromEntries(reports.map(r => [r.rid, r])),
  }
}
