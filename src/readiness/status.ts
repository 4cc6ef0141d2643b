/** Readiness in `print status`: each resource's `ready` (true, false, or null with no probe) and its "not ready" line. */
import type {DriverContext, ResourceStatus, StatusLogEntry} from '../drivers/api.js'
import type {ServiceResource} from '../model/service.js'
import {parseProbe} from './probe.js'
import {probeOnce, readinessOf} from './wait.js'

/** One status probe may take this long (the status of every resource has a 15 s bound). */
const STATUS_PROBE_TIMEOUT_MS = 3_000

export interface StatusReadiness {
  readonly ready: boolean | null
  readonly log?: StatusLogEntry
}

// n/a: an app without a check command, which its probe may still answer for
const UP = new Set(['up', 'stdby up', 'n/a'])

/**
 * A resource's readiness for status: its configured readiness_probe run once when it is up; with
 * none configured, what its driver's status learnt (a container's engine health); else null.
 * A resource that is not up is not ready (false) when it has a probe.
 */
export async function statusReadiness(
  r: ServiceResource,
  s: ResourceStatus,
  ctx: () => DriverContext,
): Promise<StatusReadiness> {
  const cap = readinessOf(r.driver)
  if (!cap || r.disabled) return {ready: null}
  const up = UP.has(s.status)
  const raw = r.kw.readiness_probe
  if (typeof raw !== 'string') {
    if (!s.readiness) return {ready: null}
    if (!up) return {ready: false}
    return s.readiness.ready
      ? {ready: true}
      : {
          ready: false,
          log: {level: 'warn', message: `not ready: health${s.readiness.detail ? `: ${s.readiness.detail}` : ''}`},
        }
  }
  const parsed = parseProbe(raw, cap.kinds)
  if (!parsed.ok || parsed.probe.kind === 'none') return {ready: null}
  if (!up) return {ready: false}
  const p = await probeOnce(cap, ctx(), parsed.probe, STATUS_PROBE_TIMEOUT_MS)
  return p.ready
    ? {ready: true}
    : {ready: false, log: {level: 'warn', message: `not ready: ${parsed.probe.text}${p.detail ? `: ${p.detail}` : ''}`}}
}
