/**
 * Whether an engine can tell us anything: it answers; it is a private daemon that is simply
 * not started (nothing can run in it); or its state is unknown (socket missing, connection
 * refused, permission denied, no answer in time, or a private daemon whose process lives but
 * does not answer). Unknown is never read as "nothing runs".
 */
import type {DriverContext} from 'svcmgr'
import {type EngineProbe, PING_TIMEOUT_MS, probeAddress, type UnreachableKind} from './address.js'
import type {Engine} from './client.js'
import {forgetDockerAnswer, lastDockerAnswer} from './http.js'
import {daemonPid} from './daemon.js'

export type EngineState =
  {readonly kind: 'answering'} | {readonly kind: 'not started'} | {readonly kind: 'unknown'; readonly reason: string}

type Cache = Map<string, unknown>

const REUSE_MS = 2000

/**
 * One probe per engine address and timeout at a time (status of many resources shares it). An
 * answer is reused for 2 s; a failure only while it is pending: the next caller asks again.
 */
interface ProbeEntry {
  answeredAt?: number
  probe: Promise<EngineProbe>
}

const probeKey = (address: string, timeoutMs: number) => `docker:probe:${address}:${timeoutMs}`
/** An answer of the engine that came at `at` (Date.now()) is reused for REUSE_MS. */
const lately = (at: number | undefined) => at !== undefined && Date.now() - at < REUSE_MS
const answeredLately = (e: ProbeEntry) => lately(e.answeredAt)

function cachedProbe(cache: Cache, address: string, timeoutMs: number): Promise<EngineProbe> {
  const key = probeKey(address, timeoutMs)
  const hit = cache.get(key) as ProbeEntry | undefined
  // a probe in flight is shared; one that answered is reused a moment
  if (hit && (hit.answeredAt === undefined || answeredLately(hit))) return hit.probe
  const entry: ProbeEntry = {probe: probeAddress(address, timeoutMs)}
  // probeAddress never rejects (an engine that does not answer is an answer)
  void entry.probe.then(p => {
    if (p.answering) entry.answeredAt = Date.now()
    else if (cache.get(key) === entry) cache.delete(key)
  })
  cache.set(key, entry)
  probeKeys(cache, address).add(key)
  return entry.probe
}

/**
 * Whether the engine answered this command's probe a moment ago (what engineState would
 * answer from its cache without a wait): 10,000 resources asking after one answer need no
 * promise and abort listener each.
 */
export function answeredRecently(cache: Cache, address: string, timeoutMs = PING_TIMEOUT_MS): boolean {
  const hit = cache.get(probeKey(address, timeoutMs)) as ProbeEntry | undefined
  if (hit !== undefined && answeredLately(hit)) return true
  // any request the daemon answered a moment ago (the plan's inspects before a start) says as much as a ping
  return lately(lastDockerAnswer(address))
}

function probeKeys(cache: Cache, address: string): Set<string> {
  const k = `docker:probe-keys:${address}`
  let keys = cache.get(k) as Set<string> | undefined
  if (!keys) {
    keys = new Set()
    cache.set(k, keys)
  }
  return keys
}

/** After starting or stopping a daemon: the next question asks the engine again. */
export function forgetEngineState(cache: Cache, engine: Engine): void {
  for (const k of probeKeys(cache, engine.address)) cache.delete(k)
  forgetDockerAnswer(engine.address)
}

/**
 * The engine's state from a ping: status waits PING_TIMEOUT_MS (5 s) for it, an action
 * ACTION_PING_TIMEOUT_MS (30 s): a slow engine is waited for, an absent one fails at once.
 */
export async function engineState(
  ctx: Pick<DriverContext, 'cache' | 'host'>,
  engine: Engine,
  timeoutMs = PING_TIMEOUT_MS,
): Promise<EngineState> {
  const probe = await cachedProbe(ctx.cache, engine.address, timeoutMs)
  if (probe.answering) return {kind: 'answering'}
  return unreachableState(ctx, engine, probe.kind, probe.reason)
}

/**
 * What a request the engine did not answer says about it (a ping, or status's list): a private
 * daemon with no process and no socket (or a stale one refusing) is not started and holds
 * nothing running; anything else is unknown, with the reason.
 */
export async function unreachableState(
  ctx: Pick<DriverContext, 'host'>,
  engine: Engine,
  kind: UnreachableKind | undefined,
  reason: string,
): Promise<EngineState> {
  if (engine.daemon) {
    const pid = await daemonPid(ctx.host, engine.daemon)
    if (pid === undefined && (kind === 'missing' || kind === 'refused')) return {kind: 'not started'}
    if (pid !== undefined)
      return {kind: 'unknown', reason: `${engine.daemon.title} (pid ${pid}) does not answer: ${reason}`}
  }
  return {kind: 'unknown', reason}
}
