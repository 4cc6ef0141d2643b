/** The executor's side of readiness: after a start's calls, wait for the resource to be ready or fail the task. */
import type {DriverContext} from '../drivers/api.js'
import type {ServiceResource} from '../model/service.js'
import {effectiveProbe, notReadyMessage, readinessOf, type ReadinessGate, waitReady} from './wait.js'

const secs = (ms: number) => `${Math.round(ms) / 1000}s`

/**
 * Waits for a started resource's readiness under its gate, logging the probe and the outcome
 * (`ready: tcp:6379 after 0.84s (4 probes)`: the event the bench times). Throws a message naming
 * the probe, its last answer and the time waited when it is not ready by the timeout, or when
 * `signal` (the action's: Ctrl-C) ends the wait.
 */
export async function awaitReadiness(
  r: ServiceResource,
  gate: ReadinessGate,
  ctx: DriverContext,
  signal: AbortSignal,
): Promise<void> {
  const cap = readinessOf(r.driver)
  if (!cap) return
  const probe = await effectiveProbe(cap, ctx, gate)
  if (!probe) return
  ctx.log.info(`wait for readiness: ${probe.text} (at most ${secs(gate.timeoutMs)}, every ${secs(gate.intervalMs)})`)
  let lastDetail: string | undefined
  const o = await waitReady(cap, ctx, probe, {
    timeoutMs: gate.timeoutMs,
    intervalMs: gate.intervalMs,
    signal,
    // each new answer once, not every probe: "refused" ten times says nothing more
    onProbe: p => {
      if (p.ready || p.detail === lastDetail) return
      lastDetail = p.detail
      ctx.log.debug(`not ready yet: ${probe.text}${p.detail ? `: ${p.detail}` : ''}`)
    },
  })
  if (!o.ready) throw new Error(notReadyMessage(o, gate.timeoutMs))
  ctx.log.info(
    `ready: ${probe.text} after ${secs(o.waitedMs)} (${o.probes} probe${o.probes === 1 ? '' : 's'}${o.last?.detail ? `; ${o.last.detail}` : ''})`,
  )
}
