/**
 * The engine's event stream (GET /events over node:http), for the node agent's `watch`
 * capability: one stream per engine address per process, filtered by the engine to containers
 * carrying svcmgr's service label and to the events that mean a container went down (die,
 * oom, destroy), shared by every watched resource of that engine and dispatched by its labels
 * (service, rid, id: ownership as everywhere else, never the name).
 *
 * The stream has no end of its own, so it has deadlines of a different kind: the engine must
 * answer the request within CONNECT_TIMEOUT_MS, and a ping every PING_INTERVAL_MS (with its own
 * deadline) tells a silent stream from a hung engine. A stream that fails, ends or whose ping
 * fails is dropped and opened again after a backoff (0.5 s doubling to 10 s, reset once a
 * stream has lived a minute); every subscriber then gets a 'resync' change, since events may
 * have been missed meanwhile.
 */
import {type ClientRequest, type IncomingMessage, request} from 'node:http'
import {parseAddress, probeAddress} from './address.js'
import {LABEL_ID, LABEL_RID, LABEL_SERVICE} from '../drivers/spec.js'
import {timerDelay} from '../util/timers.js'

export const WATCHED_EVENTS = ['die', 'oom', 'destroy'] as const
const CONNECT_TIMEOUT_MS = 10_000
const PING_INTERVAL_MS = 15_000
const PING_TIMEOUT_MS = 5_000
const BACKOFF_FIRST_MS = 500
const BACKOFF_MAX_MS = 10_000
const HEALTHY_AFTER_MS = 60_000

/** One event as the agent's watcher receives it. */
export interface ContainerEvent {
  /** die, oom, destroy; resync after a reconnection (no container then). */
  readonly event: string
  readonly message: string
}

export interface Subscriber {
  readonly service: string
  readonly rid: string
  /** The service id the container's id label must carry (absent label: accepted, as ownership does). */
  readonly id: string
  readonly onEvent: (e: ContainerEvent) => void
  /** Why the stream is down (told once per outage), for the agent's log. */
  readonly onTrouble?: (message: string) => void
}

interface EngineEvent {
  Type?: string
  Action?: string
  status?: string
  Actor?: {ID?: string; Attributes?: Record<string, string>}
}

/** The filters the engine applies itself: containers labelled by svcmgr, the down events only. */
export function eventsPath(): string {
  const filters = {type: ['container'], label: [LABEL_SERVICE], event: [...WATCHED_EVENTS]}
  return `/events?filters=${encodeURIComponent(JSON.stringify(filters))}`
}

/** The sentence of an event: "container svc2.container.1 died (exit code 137)". */
export function describeEvent(action: string, attributes: Readonly<Record<string, string>>): string {
  const name = attributes.name ?? '?'
  switch (action) {
    case 'die':
      return `container ${name} died${attributes.exitCode !== undefined ? ` (exit code ${attributes.exitCode})` : ''}`
    case 'oom':
      return `container ${name} ran out of memory (oom)`
    case 'destroy':
      return `container ${name} was removed`
    default:
      return `container ${name}: ${action}`
  }
}

const key = (service: string, rid: string) => `${service}\u0000${rid}`

/** Splits a stream of JSON objects (one per line, as the engine sends them) and keeps the partial tail. */
export class JsonLines {
  private tail = ''
  push(chunk: string): unknown[] {
    const text = this.tail + chunk
    const lines = text.split('\n')
    this.tail = lines.pop() ?? ''
    const out: unknown[] = []
    for (const l of lines) {
      if (!l.trim()) continue
      try {
        out.push(JSON.parse(l))
      } catch {}
    }
    return out
  }
}

class EventStream {
  private readonly subscribers = new Map<string, Set<Subscriber>>()
  private req: ClientRequest | undefined
  private retry: NodeJS.Timeout | undefined
  private pinger: NodeJS.Timeout | undefined
  private backoff = BACKOFF_FIRST_MS
  private openedAt = 0
  private connected = false
  private troubled = false
  private closed = false

  constructor(
    readonly address: string,
    private readonly onEmpty: () => void,
  ) {}

  add(s: Subscriber): void {
    const k = key(s.service, s.rid)
    let set = this.subscribers.get(k)
    if (!set) this.subscribers.set(k, (set = new Set()))
    set.add(s)
    if (!this.req && !this.retry) this.open()
  }

  remove(s: Subscriber): void {
    const k = key(s.service, s.rid)
    const set = this.subscribers.get(k)
    set?.delete(s)
    if (set?.size === 0) this.subscribers.delete(k)
    if (this.subscribers.size === 0) this.close()
  }

  private all(): Subscriber[] {
    return [...this.subscribers.values()].flatMap(set => [...set])
  }

  private close(): void {
    this.closed = true
    clearTimeout(this.retry)
    clearInterval(this.pinger)
    this.req?.destroy()
    this.req = undefined
    this.onEmpty()
  }

  private open(): void {
    this.retry = undefined
    if (this.closed) return
    let target
    try {
      target = parseAddress(this.address)
    } catch (error) {
      this.trouble((error as Error).message)
      return
    }
    const lines = new JsonLines()
    const connectTimer = setTimeout(
      () =>
        this.drop(
          `the docker daemon at ${this.address} did not answer GET /events within ${CONNECT_TIMEOUT_MS / 1000}s`,
        ),
      CONNECT_TIMEOUT_MS,
    )
    const req = request(
      {
        // no TLS: no servername for the agent to derive (its IP regexps; see ./http.ts)
        ...(target.kind === 'unix'
          ? {socketPath: target.socketPath, servername: ''}
          : {host: target.host, port: target.port, servername: ''}),
        method: 'GET',
        path: eventsPath(),
        agent: false,
      },
      (res: IncomingMessage) => {
        clearTimeout(connectTimer)
        if (res.statusCode !== 200) {
          res.resume()
          this.drop(`GET /events on ${this.address}: HTTP ${res.statusCode}`)
          return
        }
        this.connected = true
        this.openedAt = Date.now()
        const wasTroubled = this.troubled
        this.troubled = false
        // the stream is up: whatever happened while it was not is found by a status check
        if (wasTroubled || this.backoff > BACKOFF_FIRST_MS)
          for (const s of this.all()) s.onEvent({event: 'resync', message: `event stream of ${this.address} back`})
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          for (const e of lines.push(chunk)) this.dispatch(e as EngineEvent)
        })
        res.on('end', () => this.drop(`the docker daemon at ${this.address} ended the event stream`))
        res.on('error', error => this.drop(`event stream of ${this.address}: ${error.message}`))
      },
    )
    req.on('error', error => {
      clearTimeout(connectTimer)
      this.drop(`event stream of ${this.address}: ${(error as NodeJS.ErrnoException).code ?? error.message}`)
    })
    req.end()
    this.req = req
    clearInterval(this.pinger)
    this.pinger = setInterval(() => {
      if (!this.connected) return
      void probeAddress(this.address, PING_TIMEOUT_MS).then(p => {
        if (!p.answering && this.req === req) this.drop(`event stream of ${this.address}: ${p.reason}`)
      })
    }, PING_INTERVAL_MS)
    this.pinger.unref()
  }

  private dispatch(e: EngineEvent): void {
    const action = e.Action ?? e.status ?? ''
    const attrs = e.Actor?.Attributes ?? {}
    const service = attrs[LABEL_SERVICE]
    const rid = attrs[LABEL_RID]
    if (!service || !rid) return
    const set = this.subscribers.get(key(service, rid))
    if (!set) return
    const message = describeEvent(action, attrs)
    for (const s of set) {
      const id = attrs[LABEL_ID]
      if (id !== undefined && id !== s.id) continue
      s.onEvent({event: action, message})
    }
  }

  private trouble(message: string): void {
    if (this.troubled) return
    this.troubled = true
    for (const s of this.all()) s.onTrouble?.(message)
  }

  private drop(why: string): void {
    const req = this.req
    this.req = undefined
    this.connected = false
    req?.destroy()
    if (this.closed || this.retry) return
    if (this.openedAt && Date.now() - this.openedAt > HEALTHY_AFTER_MS) this.backoff = BACKOFF_FIRST_MS
    this.openedAt = 0
    this.trouble(`${why}; reconnecting (every ${this.backoff / 1000}s at first, then up to ${BACKOFF_MAX_MS / 1000}s)`)
    this.retry = setTimeout(() => this.open(), timerDelay(this.backoff))
    this.backoff = Math.min(BACKOFF_MAX_MS, this.backoff * 2)
  }
}

const streams = new Map<string, EventStream>()

/** Subscribes to the engine's events of one container resource until `signal` aborts. */
export function subscribeEngineEvents(address: string, subscriber: Subscriber, signal: AbortSignal): void {
  if (signal.aborted) return
  let stream = streams.get(address)
  if (!stream) {
    const made: EventStream = new EventStream(address, () => {
      if (streams.get(address) === made) streams.delete(address)
    })
    streams.set(address, made)
    stream = made
  }
  const s = stream
  s.add(subscriber)
  signal.addEventListener('abort', () => s.remove(subscriber), {once: true})
}
