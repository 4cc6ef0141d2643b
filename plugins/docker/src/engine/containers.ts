/**
 * Every container of a service in one engine request: GET /containers/json?all=1 filtered on
 * the service's container names (`<svc>.container.<n>`), whatever their labels say, so that a
 * foreign container under a managed name is found and reported as foreign exactly as an
 * inspect by name would find it. The status of 1,000 containers is one request, not 1,000.
 *
 * One list answers every resource that asks while it is in flight (status asks for all
 * resources at once; the stops of a parallel subset start together). A list is never reused
 * once answered, nor joined after this process changed the engine (noteEngineChange): a
 * caller that asks after a change gets a list sent after it.
 */
import {CALL_TIMEOUT_MS, DeadlineError, EngineError} from './calls.js'
import type {ContainerSummary, EngineClient} from './http.js'
import {httpClient} from './http.js'

type Cache = Map<string, unknown>

/** One node:http client per engine address per command. */
export function engineClient(address: string, cache: Cache): EngineClient {
  const key = `docker:http:${address}`
  let c = cache.get(key) as EngineClient | undefined
  if (!c) {
    c = httpClient(address)
    cache.set(key, c)
  }
  return c
}

const genKey = (address: string) => `docker:generation:${address}`

function generation(cache: Cache, address: string): number {
  return (cache.get(genKey(address)) as number | undefined) ?? 0
}

/** After a change this process made (create, start, stop, rm): later lists are sent after it. */
export function noteEngineChange(cache: Cache, address: string): void {
  cache.set(genKey(address), generation(cache, address) + 1)
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')

/** The engine's name filter (a regular expression, tried on "/name" and "name") of a service's containers. */
export function serviceNameFilter(service: string): string {
  return `^/?${escapeRegex(service)}\\.container\\.[0-9]+$`
}

/** The container's name: its first name without the slash ("/svc2.container.1"); link aliases ("/a/b") are not names. */
export function summaryName(c: Pick<ContainerSummary, 'Names'>): string | undefined {
  const n = (c.Names ?? []).find(x => x.lastIndexOf('/') === 0)
  return n?.slice(1)
}

export type ServiceContainers = ReadonlyMap<string, ContainerSummary>

interface Entry {
  readonly gen: number
  readonly promise: Promise<ServiceContainers>
  readonly controller: AbortController
  waiting: number
  settled: boolean
}

export interface ListOptions {
  readonly timeoutMs?: number
  /** The caller's signal: it stops waiting; the request is cancelled once nobody waits for it. */
  readonly signal?: AbortSignal
}

/** The containers named `<service>.container.<n>` by name, one request shared by concurrent callers. */
export async function serviceContainers(
  cache: Cache,
  address: string,
  service: string,
  options: ListOptions = {},
): Promise<ServiceContainers> {
  const key = `docker:ps:${address}:${service}`
  const gen = generation(cache, address)
  let entry = cache.get(key) as Entry | undefined
  if (!entry || entry.settled || entry.gen !== gen) {
    const controller = new AbortController()
    const promise = engineClient(address, cache)
      .list(
        `docker ps -a --filter name=${serviceNameFilter(service)}`,
        {name: [serviceNameFilter(service)]},
        {timeoutMs: options.timeoutMs ?? CALL_TIMEOUT_MS, signal: controller.signal},
      )
      .then(rows => {
        const byName = new Map<string, ContainerSummary>()
        for (const r of rows) {
          const n = summaryName(r)
          if (n) byName.set(n, r)
        }
        return byName
      })
    const e: Entry = {gen, promise, controller, waiting: 0, settled: false}
    promise.then(
      () => (e.settled = true),
      () => {
        e.settled = true
        if (cache.get(key) === e) cache.delete(key)
      },
    )
    cache.set(key, e)
    entry = e
  }
  return wait(entry, options.signal)
}

function wait(entry: Entry, signal: AbortSignal | undefined): Promise<ServiceContainers> {
  if (signal?.aborted) return Promise.reject(aborted(signal))
  // a caller without a signal waits to the end: the request is never cancelled under it
  entry.waiting++
  if (!signal) return entry.promise
  return new Promise((resolve, reject) => {
    let left = false
    const leave = () => {
      if (left) return false
      left = true
      signal.removeEventListener('abort', onAbort)
      entry.waiting--
      return true
    }
    const onAbort = () => {
      if (!leave()) return
      reject(aborted(signal))
      if (entry.waiting === 0 && !entry.settled) entry.controller.abort()
    }
    signal.addEventListener('abort', onAbort, {once: true})
    entry.promise.then(
      v => {
        if (leave()) resolve(v)
      },
      (e: Error) => {
        if (leave()) reject(e)
      },
    )
  })
}

function aborted(signal: AbortSignal): EngineError {
  const r: unknown = signal.reason
  return new EngineError(`docker ps: ${r instanceof DeadlineError ? r.message : 'interrupted'}`, undefined, true)
}

/** At most `n` of the calls under `key` run at once (targeted inspects of a large service). */
export async function limited<T>(cache: Cache, key: string, n: number, fn: () => Promise<T>): Promise<T> {
  let slots = cache.get(key) as {running: number; queue: (() => void)[]} | undefined
  if (!slots) {
    slots = {running: 0, queue: []}
    cache.set(key, slots)
  }
  const s = slots
  if (s.running >= n) await new Promise<void>(r => s.queue.push(r))
  else s.running++
  try {
    return await fn()
  } finally {
    const next = s.queue.shift()
    // the slot passes to the next caller as it is
    if (next) next()
    else s.running--
  }
}
