/**
 * Whether an engine can tell us anything: it answers; it is a private daemon that is simply
 * not started (nothing can run in it); or its state is unknown (socket missing, connection
 * refused, permission denied, no answer in time, or a private daemon whose process lives but
 * does not answer). Unknown is never read as "nothing runs".
 */
import type {DriverContext} from 'svcmgr'
import {type EngineProbe, PING_TIMEOUT_MS, probeAddress} from './address.js'
import type {Engine} from './client.js'
import {daemonPid} from './daemon.js'

export type EngineState =
  {readonly kind: 'answering'} | {readonly kind: 'not started'} | {readonly kind: 'unknown'; readonly reason: string}

type Cache = Map<string, unknown>

const REUSE_MS = 2000

/**
 * One probe per engine address at a time (status of many resources shares it). An answer is
 * reused for 2 s; a failure only while it is pending: the next caller asks again.
 */
function cachedProbe(cache: Cache, address: string): Promise<EngineProbe> {
  const key = `docker:probe:${address}`
  const hit = cache.get(key) as {answeredAt?: number; probe: Promise<EngineProbe>} | undefined
  if (hit && (hit.answeredAt === undefined || Date.now() - hit.answeredAt < REUSE_MS)) return hit.probe
  const entry: {answeredAt?: number; probe: Promise<EngineProbe>} = {probe: probeAddress(address, PING_TIMEOUT_MS)}
  // probeAddress never rejects (an engine that does not answer is an answer)
  void entry.probe.then(p => {
    if (p.answering) entry.answeredAt = Date.now()
    else if (cache.get(key) === entry) cache.delete(key)
  })
  cache.set(key, entry)
  return entry.probe
}

/** After starting or stopping a daemon: the next question asks the engine again. */
export function forgetEngineState(cache: Cache, engine: Engine): void {
  cache.delete(`docker:probe:${engine.address}`)
}

export async function engineState(ctx: Pick<DriverContext, 'cache' | 'host'>, engine: Engine): Promise<EngineState> {
  const probe = await cachedProbe(ctx.cache, engine.address)
  if (probe.answering) return {kind: 'answering'}
  if (engine.daemon) {
    const pid = await daemonPid(ctx.host, engine.daemon)
    // no process and no socket (or a stale one refusing): a private daemon not started holds nothing running
    if (pid === undefined && (probe.kind === 'missing' || probe.kind === 'refused')) return {kind: 'not started'}
    if (pid !== undefined)
      return {kind: 'unknown', reason: `${engine.daemon.title} (pid ${pid}) does not answer: ${probe.reason}`}
  }
  return {kind: 'unknown', reason: probe.reason}
}
