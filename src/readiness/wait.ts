/**
 * The readiness wait of a started resource: the first probe at once, then one every interval,
 * until ready, the deadline (readiness_timeout) or the action's signal. Also the one probe
 * `print status` makes. The driver's ReadinessCapability runs each probe; this module decides
 * when, and keeps the last answer for the messages.
 */
import type {
  DriverContext,
  ProbeResult,
  ReadinessCapability,
  ReadinessProbe,
  Resource,
  ServiceView,
} from '../drivers/api.js'
import {timerDelay} from '../drivers/context.js'
import {parseProbe, READINESS_KEYWORD_NAMES} from './probe.js'

/** A single probe may take this long at most: the remaining wait, at least PROBE_FLOOR_MS (the last probe may end after the deadline by that much). */
const PROBE_TIMEOUT_MS = 5_000
const PROBE_FLOOR_MS = 1_000

/** The readiness gate of a resource as the plan holds it: its probe as written (absent: the driver's default) and numbers. */
export interface ReadinessGate {
  /** The readiness_probe value; absent: the driver's default (decided after the start). */
  readonly probe?: string
  readonly timeoutMs: number
  readonly intervalMs: number
  /** What the gate does, for --dry-run. */
  readonly description: string
}

export interface ReadyOutcome {
  readonly ready: boolean
  /** The probe that ran ("tcp:6379"); "none" when started is ready. */
  readonly probe: string
  readonly probes: number
  readonly waitedMs: number
  readonly last?: ProbeResult
  /** Set when the action's signal ended the wait. */
  readonly interrupted?: string
}

export function readinessOf(driver: {
  capabilities?: {readiness?: ReadinessCapability}
}): ReadinessCapability | undefined {
  return driver.capabilities?.readiness
}

const secs = (ms: number) => `${Math.round(ms) / 1000}s`

/** The gate of a resource whose driver has the readiness capability, or undefined. */
export function readinessGate(
  r: Resource & {driver: {capabilities?: {readiness?: ReadinessCapability}}},
  svc: ServiceView,
): ReadinessGate | undefined {
  const cap = readinessOf(r.driver)
  if (!cap) return undefined
  const raw = r.kw.readiness_probe
  const timeoutMs = typeof r.kw.readiness_timeout === 'number' ? r.kw.readiness_timeout : 60_000
  const intervalMs = typeof r.kw.readiness_interval === 'number' ? r.kw.readiness_interval : 250
  const numbers = `first probe at once, then every ${secs(intervalMs)}, at most ${secs(timeoutMs)}`
  if (typeof raw !== 'string') {
    return {timeoutMs, intervalMs, description: `ready when: ${cap.defaultHelp ?? 'started (no probe)'} (${numbers})`}
  }
  const parsed = parseProbe(raw, cap.kinds)
  if (!parsed.ok)
    return {probe: raw, timeoutMs, intervalMs, description: `ready when: ${raw} (invalid: ${parsed.expected})`}
  if (parsed.probe.kind === 'none')
    return {probe: 'none', timeoutMs, intervalMs, description: 'ready when: started (readiness_probe = none)'}
  const where = cap.describe?.(parsed.probe, r, svc) ?? parsed.probe.text
  return {probe: parsed.probe.text, timeoutMs, intervalMs, description: `ready when: ${where} (${numbers})`}
}

/** The probe a gate runs for a started resource: the configured one, else the driver's default; undefined: none. */
export async function effectiveProbe(
  cap: ReadinessCapability,
  ctx: DriverContext,
  gate: Pick<ReadinessGate, 'probe'>,
): Promise<ReadinessProbe | undefined> {
  if (gate.probe === undefined) {
    const d = await cap.defaultProbe?.(ctx)
    return d && d.kind !== 'none' ? d : undefined
  }
  const parsed = parseProbe(gate.probe, cap.kinds)
  // the config was validated at load: a bad value here is refused, not read as "ready"
  if (!parsed.ok) throw new Error(`readiness_probe: expected ${parsed.expected}, got ${JSON.stringify(gate.probe)}`)
  return parsed.probe.kind === 'none' ? undefined : parsed.probe
}

/** One probe, whatever the driver does: a throw is a "not ready" with its message. */
export async function probeOnce(
  cap: ReadinessCapability,
  ctx: DriverContext,
  probe: ReadinessProbe,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  try {
    return await cap.probe(ctx, probe, {timeoutMs: Math.max(1, timeoutMs), signal})
  } catch (error) {
    return {ready: false, detail: (error as Error).message}
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    if (signal.aborted) return resolve()
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, timerDelay(ms))
    signal.addEventListener('abort', done, {once: true})
  })
}

/**
 * Waits for a started resource to be ready: probes at once, then every interval (from one probe's
 * start to the next; the last one at the deadline), until ready, the deadline, a probe answering that it never will be (`final`), or
 * the signal. Never throws for a not-ready resource: the outcome says why.
 */
export async function waitReady(
  cap: ReadinessCapability,
  ctx: DriverContext,
  probe: ReadinessProbe,
  options: {timeoutMs: number; intervalMs: number; signal: AbortSignal; onProbe?: (r: ProbeResult, n: number) => void},
): Promise<ReadyOutcome> {
  const start = Date.now()
  const deadline = start + options.timeoutMs
  const reason = () => (typeof options.signal.reason === 'string' ? options.signal.reason : 'interrupted')
  let probes = 0
  let last: ProbeResult | undefined
  const outcome = (ready: boolean, extra: Partial<ReadyOutcome> = {}): ReadyOutcome => ({
    ready,
    probe: probe.text,
    probes,
    waitedMs: Date.now() - start,
    ...(last ? {last} : {}),
    ...extra,
  })
  for (;;) {
    if (options.signal.aborted) return outcome(false, {interrupted: reason()})
    const began = Date.now()
    const remaining = deadline - began
    last = await probeOnce(
      cap,
      ctx,
      probe,
      Math.min(PROBE_TIMEOUT_MS, Math.max(remaining, PROBE_FLOOR_MS)),
      options.signal,
    )
    probes++
    options.onProbe?.(last, probes)
    if (last.ready) return outcome(true)
    if (options.signal.aborted) return outcome(false, {interrupted: reason()})
    if (last.final) return outcome(false)
    const now = Date.now()
    if (now >= deadline) return outcome(false)
    // the interval is the period, from one probe's start to the next: a slow probe is not followed by a whole interval more
    await sleep(Math.min(Math.max(0, options.intervalMs - (now - began)), deadline - now), options.signal)
  }
}

/** The message of a start that did not become ready: the resource's probe, its last answer and the time waited. */
export function notReadyMessage(o: ReadyOutcome, timeoutMs: number): string {
  const last = o.last?.detail ? `: ${o.last.detail}` : ''
  const count = `${o.probes} probe${o.probes === 1 ? '' : 's'}`
  if (o.interrupted)
    return `not ready: ${o.interrupted} after ${secs(o.waitedMs)} of its readiness wait (${o.probe}${last}; ${count})`
  if (o.last?.final) return `not ready: ${o.probe}${last} (after ${secs(o.waitedMs)}, ${count})`
  return `not ready after ${secs(o.waitedMs)} (readiness_timeout ${secs(timeoutMs)}): ${o.probe}${last} (${count})`
}

export {READINESS_KEYWORD_NAMES}
