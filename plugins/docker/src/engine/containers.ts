/**
 * Finding a service's containers by their managed names (`<svc>.container.<n>`), whatever
 * their labels say, so that a foreign container under a managed name is found and reported as
 * foreign exactly as an inspect by name finds it.
 *
 * Two ways, by the service's size (measured on an engine holding 11,000 other containers: a
 * filtered list costs the engine time for every container it holds, 0.3-0.4 s with a label
 * filter and twice that with a name filter, where 20 inspects in parallel took 14 ms):
 * - up to 64 containers (strategy.listAbove): each resource inspects its own, by name, on the shared
 *   keep-alive agent (the requests go out together: one round trip of waiting, and work for the
 *   engine in proportion to the service, not to the engine);
 * - more: one `GET /containers/json?all=1` with the service's label filter answers them all
 *   (1,000 inspects would be 1,000 requests); the names it does not show are then inspected
 *   (a few) or listed with a name filter (many), which finds the foreign ones.
 *
 * The list answers every resource that asks while it is in flight (the stops of a parallel
 * subset start together). An action never reuses a list once answered, nor joins one after
 * this process changed the engine (noteEngineChange): a caller that asks after a change gets a
 * list sent after it. Status asks with `snapshot`: it reads one picture of the service, so the
 * answered list serves every resource of the command (status runs its probes a few dozen at a
 * time: a list per batch would be hundreds of lists on a large service).
 */
import {CALL_TIMEOUT_MS, DeadlineError, EngineError} from './calls.js'
import type {ContainerInspect, ContainerSummary, EngineClient} from './http.js'
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

/**
 * A read-only pass's answer about one container (`key`: what is asked of it, e.g. its network
 * namespace): shared by every caller of the command while this process changes nothing on the
 * engine at `address` (noteEngineChange); a failure only while it is pending, as the engine probe.
 * 10,000 ip.netns resources in one container's namespace ask the same inspect once, not 10,000 times.
 */
export function commandAnswer<T>(cache: Cache, address: string, key: string, make: () => Promise<T>): Promise<T> {
  const k = `docker:answer:${address}:${key}`
  const gen = generation(cache, address)
  const hit = cache.get(k) as {gen: number; promise: Promise<T>} | undefined
  if (hit && hit.gen === gen) return hit.promise
  const entry = {gen, promise: make()}
  entry.promise.catch(() => {
    if (cache.get(k) === entry) cache.delete(k)
  })
  cache.set(k, entry)
  return entry.promise
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

/**
 * Services with more docker containers than `listAbove` are listed; smaller ones inspect each
 * container. An object so that a test can make a small service take the list's path.
 */
export const strategy = {listAbove: 64}
/** Inspects of one service at once (the names a list did not show, status's targeted inspects). */
export const INSPECTS_AT_ONCE = 16

/** A container under a managed name: its list row or its inspect, and what both tell. */
export interface Seen {
  readonly Id: string
  readonly Labels: Readonly<Record<string, string>> | null | undefined
  /** created, running, paused, restarting, removing, exited, dead */
  readonly State: string
  readonly row?: ContainerSummary
  readonly inspect?: ContainerInspect
}

export const seenRow = (r: ContainerSummary): Seen => ({Id: r.Id, Labels: r.Labels, State: r.State, row: r})
export const seenInspect = (i: ContainerInspect): Seen => ({
  Id: i.Id,
  Labels: i.Config.Labels,
  State: i.State.Status,
  inspect: i,
})

export type ServiceContainers = ReadonlyMap<string, Seen>

interface Entry {
  readonly gen: number
  readonly promise: Promise<ServiceContainers>
  readonly controller: AbortController
  waiting: number
  settled: boolean
  /** Its answer once it came: later callers take it without a wait of their own. */
  answer?: ServiceContainers
}

export interface ListOptions {
  readonly timeoutMs?: number
  /** The caller's signal: it stops waiting; the request is cancelled once nobody waits for it. */
  readonly signal?: AbortSignal
  /** A read-only command's one picture: an answered list (same engine generation) is reused. */
  readonly snapshot?: boolean
  /** Called once the first list request is written (a prefetch's: see Driver.prefetch). */
  readonly onSent?: () => void
}

/**
 * The container under the managed name `name` (one of `names`, the service's), or undefined:
 * an inspect of its own for a small service, the shared list for a large one.
 */
export async function findByName(
  cache: Cache,
  address: string,
  service: string,
  names: readonly string[],
  name: string,
  options: ListOptions = {},
): Promise<Seen | undefined> {
  if (names.length <= strategy.listAbove) {
    const i = await engineClient(address, cache).inspect(`docker inspect ${name}`, name, {
      timeoutMs: options.timeoutMs ?? CALL_TIMEOUT_MS,
      signal: options.signal,
    })
    return i && seenInspect(i)
  }
  return (await serviceContainers(cache, address, service, names, options)).get(name)
}

/** The containers of `names` by name: one list (or two) shared by concurrent callers. */
export async function serviceContainers(
  cache: Cache,
  address: string,
  service: string,
  names: readonly string[],
  options: ListOptions = {},
): Promise<ServiceContainers> {
  const key = `docker:ps:${address}:${service}`
  const gen = generation(cache, address)
  let entry = cache.get(key) as Entry | undefined
  if (!entry || (entry.settled && !options.snapshot) || entry.gen !== gen) {
    const controller = new AbortController()
    const promise = listService(cache, engineClient(address, cache), service, names, {
      timeoutMs: options.timeoutMs ?? CALL_TIMEOUT_MS,
      signal: controller.signal,
      onSent: options.onSent,
    })
    const e: Entry = {gen, promise, controller, waiting: 0, settled: false}
    promise.then(
      v => {
        e.settled = true
        e.answer = v
      },
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

/**
 * An action's view of the container under `name` for ownership (stop): one list per command,
 * sent at the first stop's ask (the stops of a parallel subset ask together and share it) and kept
 * for the whole command, whatever the service's size: a container's id and labels never change,
 * so ownership read from the list stays true. Its state is `current` only while this process
 * has changed nothing since the list was sent; else the caller asks for the state again (an
 * inspect by the id the list gave).
 */
export async function commandSnapshot(
  cache: Cache,
  address: string,
  service: string,
  names: readonly string[],
  name: string,
  options: ListOptions = {},
): Promise<{seen: Seen | undefined; current: boolean}> {
  const key = `docker:ps-command:${address}:${service}`
  let held = cache.get(key) as {gen: number; containers: ServiceContainers} | undefined
  if (!held) {
    const gen = generation(cache, address)
    // an answered list of another caller is not taken (an action never reads a list from before it asked)
    const containers = await serviceContainers(cache, address, service, names, {...options, snapshot: false})
    // the first answer is the command's (concurrent callers shared its request)
    held = (cache.get(key) as typeof held) ?? {gen, containers}
    cache.set(key, held)
  }
  return {seen: held.containers.get(name), current: held.gen === generation(cache, address)}
}

/** The label list, then the names it did not show: inspected when few, listed by name when many. */
async function listService(
  cache: Cache,
  client: EngineClient,
  service: string,
  names: readonly string[],
  o: {timeoutMs: number; signal: AbortSignal; onSent?: () => void},
): Promise<ServiceContainers> {
  // one bound for the whole answer (status must stay under the core's): a second request gets what is left
  const end = Date.now() + o.timeoutMs
  const left = () => ({timeoutMs: Math.max(1000, end - Date.now()), signal: o.signal})
  const byName = new Map<string, Seen>()
  const label = `com.svcmgr.service=${service}`
  for (const r of await client.list(`docker ps -a --filter label=${label}`, {label: [label]}, o)) {
    const n = summaryName(r)
    if (n) byName.set(n, seenRow(r))
  }
  const missing = names.filter(n => !byName.has(n))
  if (missing.length > strategy.listAbove) {
    const filter = serviceNameFilter(service)
    for (const r of await client.list(`docker ps -a --filter name=${filter}`, {name: [filter]}, left())) {
      const n = summaryName(r)
      if (n && !byName.has(n)) byName.set(n, seenRow(r))
    }
  } else if (missing.length > 0) {
    const found = await Promise.all(
      missing.map(n =>
        limited(cache, `docker:inspects:${service}`, INSPECTS_AT_ONCE, () =>
          client.inspect(`docker inspect ${n}`, n, left()),
        ),
      ),
    )
    for (const i of found) if (i) byName.set(i.Name.replace(/^\//, ''), seenInspect(i))
  }
  return byName
}

function wait(entry: Entry, signal: AbortSignal | undefined): Promise<ServiceContainers> {
  if (signal?.aborted) return Promise.reject(aborted(signal))
  // answered already (a snapshot's later readers: 10,000 of them in a large status): nothing to follow
  if (entry.answer) return Promise.resolve(entry.answer)
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
