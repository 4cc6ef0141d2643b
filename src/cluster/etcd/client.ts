/**
 * An etcd v3 client over etcd's HTTP/JSON gateway (the way Patroni talks to etcd), on node:http:
 * no dependency. docs/architecture.md says why this and not the `etcd3` package or gRPC.
 *
 * Every call has a deadline; a call tries the endpoints in turn (the last one that answered
 * first) until one answers or the deadline passes. Reads are linearizable unless asked
 * otherwise: a member without quorum fails them rather than answering stale data. Keys and
 * values are base64 on the wire, int64 fields are decimal strings (proto3's JSON mapping).
 */
import http from 'node:http'
import {EtcdError, EtcdUnavailableError, isRetryable} from './errors.js'

export {EtcdError, EtcdUnavailableError} from './errors.js'

export interface EtcdClientOptions {
  readonly endpoints: readonly string[]
  /** The default deadline of a call, in ms (default 5000). */
  readonly timeoutMs?: number
}

export interface CallOptions {
  /** This call's deadline in ms from now (default: the client's timeoutMs). */
  readonly timeoutMs?: number
}

export interface KeyValue {
  readonly key: string
  readonly value: string
  readonly createRevision: number
  readonly modRevision: number
  readonly version: number
  /** The lease the key is bound to ("0": none). A lease id is kept as a decimal string: it is an int64. */
  readonly lease: string
}

export interface RangeResult {
  readonly kvs: readonly KeyValue[]
  /** The store's revision when the read was served. */
  readonly revision: number
}

export type Compare =
  | {readonly key: string; readonly target: 'CREATE'; readonly createRevision: number}
  | {readonly key: string; readonly target: 'MOD'; readonly modRevision: number}
  | {readonly key: string; readonly target: 'VERSION'; readonly version: number}
  | {readonly key: string; readonly target: 'VALUE'; readonly value: string}
  /** The key is bound to this lease (etcd ≥ 3.3). */
  | {readonly key: string; readonly target: 'LEASE'; readonly lease: string}

export type TxnOp =
  | {readonly put: {readonly key: string; readonly value: string; readonly lease?: string}}
  | {readonly delete: {readonly key: string}}
  | {readonly range: {readonly key: string}}

export interface TxnResult {
  readonly succeeded: boolean
  readonly revision: number
  /** The ranges asked for, in order (puts and deletes give none). */
  readonly ranges: readonly (readonly KeyValue[])[]
}

export interface MemberStatus {
  readonly endpoint: string
  readonly reachable: boolean
  readonly memberId?: string
  readonly leader?: string
  readonly isLeader?: boolean
  readonly raftTerm?: number
  readonly version?: string
  readonly error?: string
}

export interface WatchEvent {
  readonly type: 'put' | 'delete'
  readonly kv: KeyValue
}

export interface WatchOptions {
  readonly prefix?: boolean
  /** Watch from this revision (default: the next one). */
  readonly startRevision?: number
  /** Called when the stream broke and is opened again (from the revision after the last one seen). */
  readonly onReconnect?: (error: Error) => void
  /** Called when the watch cannot go on (the revision it needs was compacted); the watch is then closed. */
  readonly onError?: (error: Error) => void
}

export interface Watch {
  /** The revision of the last event delivered (or the one the watch started after). */
  readonly lastRevision: number
  close(): void
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')
const unb64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString('utf8') : '')
const num = (s: unknown) => (s === undefined || s === null || s === '' ? 0 : Number(s))

/** The range_end of a prefix: the key just after every key that starts with it (base64). */
function rangeEndB64(prefix: string): string {
  const buf = Buffer.from(prefix, 'utf8')
  for (let i = buf.length - 1; i >= 0; i--) {
    if (buf[i] < 0xff) {
      const end = Buffer.from(buf.subarray(0, i + 1))
      end[i]++
      return end.toString('base64')
    }
  }
  return Buffer.from([0]).toString('base64')
}

interface RawKv {
  key?: string
  value?: string
  create_revision?: string
  mod_revision?: string
  version?: string
  lease?: string
}

function toKv(raw: RawKv): KeyValue {
  return {
    key: unb64(raw.key),
    value: unb64(raw.value),
    createRevision: num(raw.create_revision),
    modRevision: num(raw.mod_revision),
    version: num(raw.version),
    lease: raw.lease ?? '0',
  }
}

interface RawHeader {
  header?: {revision?: string; raft_term?: string; member_id?: string}
}

export class EtcdClient {
  readonly endpoints: readonly string[]
  readonly timeoutMs: number
  /** The endpoint tried first: the last one that answered. */
  private preferred = 0
  private readonly agent = new http.Agent({keepAlive: true, maxSockets: 8})

  constructor(options: EtcdClientOptions) {
    if (options.endpoints.length === 0) throw new EtcdError('no etcd endpoint given')
    this.endpoints = options.endpoints.map(e => e.replace(/\/+$/, ''))
    this.timeoutMs = options.timeoutMs ?? 5000
  }

  /** Closes the idle connections (a client with watches open closes them first). */
  close(): void {
    this.agent.destroy()
  }

  /**
   * POSTs body to path on the endpoints in turn until one answers or the deadline passes.
   * Each attempt gets a share of the time left, so that an endpoint that does not answer at
   * all (a cut link) leaves time for the others.
   */
  async call<T>(path: string, body: unknown, options: CallOptions = {}): Promise<T> {
    const deadline = Date.now() + (options.timeoutMs ?? this.timeoutMs)
    const errors: string[] = []
    const n = this.endpoints.length
    for (let attempt = 0; ; attempt++) {
      const left = deadline - Date.now()
      if (left <= 0) break
      const index = (this.preferred + attempt) % n
      const endpoint = this.endpoints[index]
      const triesLeftInRound = n - (attempt % n)
      const attemptMs = Math.max(Math.min(left, 300), Math.floor(left / triesLeftInRound))
      try {
        const result = await this.post<T>(endpoint, path, body, attemptMs)
        this.preferred = index
        return result
      } catch (error) {
        const e = error as Error
        errors.push(`${endpoint}: ${e.message}`)
        if (!isRetryable(e)) throw e
        // one full round failed fast (refused connections): wait a little before the next
        if (attempt % n === n - 1) await sleep(Math.min(100, Math.max(0, deadline - Date.now())))
      }
    }
    // a write sent to a member that lost its quorum may still commit when quorum returns
    const unknown = /\/(put|txn|deleterange)$/.test(path) ? ' (its outcome is unknown: read before retrying)' : ''
    throw new EtcdUnavailableError(
      `etcd did not answer ${path} within ${options.timeoutMs ?? this.timeoutMs} ms${unknown}: ${lastPerEndpoint(errors).join('; ')}`,
    )
  }

  /** One POST to one endpoint, with its own timeout. */
  post<T>(endpoint: string, path: string, body: unknown, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const url = new URL(endpoint + path)
      const data = JSON.stringify(body)
      const req = http.request(
        {
          host: url.hostname,
          port: url.port || 2379,
          path: url.pathname,
          method: 'POST',
          agent: this.agent,
          headers: {'content-type': 'application/json', 'content-length': Buffer.byteLength(data)},
        },
        res => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('error', reject)
          res.on('end', () => {
            clearTimeout(timer)
            const text = Buffer.concat(chunks).toString('utf8')
            let parsed: unknown
            try {
              parsed = text ? JSON.parse(text) : {}
            } catch {
              reject(new EtcdError(`not JSON from ${endpoint}${path} (HTTP ${res.statusCode}): ${text.slice(0, 200)}`))
              return
            }
            const p = parsed as {error?: string; message?: string; code?: number; result?: unknown}
            if ((res.statusCode ?? 500) >= 400 || p.error !== undefined) {
              reject(new EtcdError(p.message ?? p.error ?? `HTTP ${res.statusCode}`, p.code, res.statusCode))
              return
            }
            resolve(parsed as T)
          })
        },
      )
      const timer = setTimeout(() => {
        req.destroy(new EtcdError(`no answer within ${timeoutMs} ms`, 4))
      }, timeoutMs)
      req.on('error', error => {
        clearTimeout(timer)
        reject(error instanceof EtcdError ? error : new EtcdError(error.message, 14))
      })
      req.end(data)
    })
  }

  async get(key: string, options: CallOptions & {serializable?: boolean} = {}): Promise<KeyValue | undefined> {
    return (await this.range(key, options)).kvs[0]
  }

  /** A range read: linearizable unless serializable is set (a member's possibly stale local copy). */
  async range(
    key: string,
    options: CallOptions & {prefix?: boolean; serializable?: boolean} = {},
  ): Promise<RangeResult> {
    const body: Record<string, unknown> = {key: b64(key)}
    if (options.prefix) body.range_end = rangeEndB64(key)
    if (options.serializable) body.serializable = true
    const r = await this.call<RawHeader & {kvs?: RawKv[]}>('/v3/kv/range', body, options)
    return {kvs: (r.kvs ?? []).map(toKv), revision: num(r.header?.revision)}
  }

  async put(key: string, value: string, options: CallOptions & {lease?: string} = {}): Promise<number> {
    const body: Record<string, unknown> = {key: b64(key), value: b64(value)}
    if (options.lease && options.lease !== '0') body.lease = options.lease
    const r = await this.call<RawHeader>('/v3/kv/put', body, options)
    return num(r.header?.revision)
  }

  async delete(key: string, options: CallOptions & {prefix?: boolean} = {}): Promise<number> {
    const body: Record<string, unknown> = {key: b64(key)}
    if (options.prefix) body.range_end = rangeEndB64(key)
    const r = await this.call<{deleted?: string}>('/v3/kv/deleterange', body, options)
    return num(r.deleted)
  }

  async txn(
    compare: readonly Compare[],
    success: readonly TxnOp[],
    failure: readonly TxnOp[] = [],
    options: CallOptions = {},
  ): Promise<TxnResult> {
    const cmp = compare.map(c => {
      const base = {key: b64(c.key), target: c.target, result: 'EQUAL'}
      switch (c.target) {
        case 'CREATE':
          return {...base, create_revision: String(c.createRevision)}
        case 'MOD':
          return {...base, mod_revision: String(c.modRevision)}
        case 'VERSION':
          return {...base, version: String(c.version)}
        case 'VALUE':
          return {...base, value: b64(c.value)}
        case 'LEASE':
          return {...base, lease: c.lease}
      }
    })
    const op = (o: TxnOp) => {
      if ('put' in o) {
        const p: Record<string, unknown> = {key: b64(o.put.key), value: b64(o.put.value)}
        if (o.put.lease && o.put.lease !== '0') p.lease = o.put.lease
        return {request_put: p}
      }
      if ('delete' in o) return {request_delete_range: {key: b64(o.delete.key)}}
      return {request_range: {key: b64(o.range.key)}}
    }
    const r = await this.call<RawHeader & {succeeded?: boolean; responses?: {response_range?: {kvs?: RawKv[]}}[]}>(
      '/v3/kv/txn',
      {compare: cmp, success: success.map(op), failure: failure.map(op)},
      options,
    )
    return {
      succeeded: r.succeeded === true,
      revision: num(r.header?.revision),
      ranges: (r.responses ?? []).filter(x => x.response_range).map(x => (x.response_range!.kvs ?? []).map(toKv)),
    }
  }

  /** Grants a lease; returns its id (a decimal string) and the TTL granted. */
  async leaseGrant(ttlSeconds: number, options: CallOptions = {}): Promise<{id: string; ttl: number}> {
    const r = await this.call<{ID?: string; TTL?: string; error?: string}>(
      '/v3/lease/grant',
      {TTL: ttlSeconds},
      options,
    )
    if (!r.ID) throw new EtcdError(`lease grant gave no id${r.error ? `: ${r.error}` : ''}`)
    return {id: r.ID, ttl: num(r.TTL)}
  }

  /** One keepalive; returns the TTL it was renewed for, 0 when the lease no longer exists. */
  async leaseKeepAlive(id: string, options: CallOptions = {}): Promise<number> {
    // the gateway streams {"result": ...} objects; one request body gives one answer
    const r = await this.call<{result?: {TTL?: string}}>('/v3/lease/keepalive', {ID: id}, options)
    return num(r.result?.TTL)
  }

  async leaseRevoke(id: string, options: CallOptions = {}): Promise<void> {
    try {
      await this.call('/v3/lease/revoke', {ID: id}, options)
    } catch (error) {
      if (!(error instanceof EtcdError && /lease not found/.test(error.message))) throw error
    }
  }

  /** The lease's remaining TTL in seconds (-1: it does not exist). */
  async leaseTimeToLive(id: string, options: CallOptions = {}): Promise<{ttl: number; grantedTtl: number}> {
    const r = await this.call<{TTL?: string; grantedTTL?: string}>('/v3/lease/timetolive', {ID: id}, options)
    return {ttl: num(r.TTL), grantedTtl: num(r.grantedTTL)}
  }

  /** Each endpoint's own status (no failover: this is about the member itself). */
  async memberStatuses(timeoutMs = 2000): Promise<MemberStatus[]> {
    return Promise.all(
      this.endpoints.map(async endpoint => {
        try {
          const r = await this.post<RawHeader & {version?: string; leader?: string; raftTerm?: string}>(
            endpoint,
            '/v3/maintenance/status',
            {},
            timeoutMs,
          )
          const memberId = r.header?.member_id
          return {
            endpoint,
            reachable: true,
            memberId,
            leader: r.leader,
            isLeader: memberId !== undefined && memberId === r.leader,
            raftTerm: num(r.raftTerm ?? r.header?.raft_term),
            version: r.version,
          }
        } catch (error) {
          return {endpoint, reachable: false, error: (error as Error).message}
        }
      }),
    )
  }

  /**
   * Watches a key (or a prefix), calling onEvents with each batch in order. When the stream
   * breaks it is opened again, on the next endpoint, from the revision after the last one
   * delivered: no event is lost or delivered twice while etcd keeps that history.
   */
  watch(key: string, onEvents: (events: WatchEvent[], revision: number) => void, options: WatchOptions = {}): Watch {
    let lastRevision = (options.startRevision ?? 0) - 1
    let closed = false
    let current: http.ClientRequest | undefined
    let index = this.preferred
    let retryTimer: NodeJS.Timeout | undefined
    const open = () => {
      if (closed) return
      const endpoint = this.endpoints[index % this.endpoints.length]
      const create: Record<string, unknown> = {key: b64(key)}
      if (options.prefix) create.range_end = rangeEndB64(key)
      if (lastRevision >= 0) create.start_revision = String(lastRevision + 1)
      const data = JSON.stringify({create_request: create})
      const url = new URL(endpoint + '/v3/watch')
      let buffered = ''
      let failed = false
      const fail = (error: Error) => {
        if (failed || closed) return
        failed = true
        current?.destroy()
        index++
        options.onReconnect?.(error)
        retryTimer = setTimeout(open, 200)
      }
      const req = http.request(
        {
          host: url.hostname,
          port: url.port || 2379,
          path: url.pathname,
          method: 'POST',
          headers: {'content-type': 'application/json', 'content-length': Buffer.byteLength(data)},
        },
        res => {
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            buffered += chunk
            let nl: number
            while ((nl = buffered.indexOf('\n')) >= 0) {
              const line = buffered.slice(0, nl).trim()
              buffered = buffered.slice(nl + 1)
              if (line) handle(line)
            }
          })
          res.on('end', () => fail(new EtcdError('the watch stream ended', 14)))
          res.on('error', fail)
        },
      )
      // a watch stream is idle between events: a cut link shows only as TCP keepalive failing
      req.on('socket', s => s.setKeepAlive(true, 1000))
      const handle = (line: string) => {
        let msg: {
          result?: RawHeader & {
            events?: {type?: string; kv?: RawKv}[]
            compact_revision?: string
            canceled?: boolean
            cancel_reason?: string
          }
          error?: {message?: string}
        }
        try {
          msg = JSON.parse(line)
        } catch {
          fail(new EtcdError(`not JSON on the watch stream: ${line.slice(0, 200)}`))
          return
        }
        if (msg.error) return fail(new EtcdError(msg.error.message ?? 'watch error', 14))
        const r = msg.result
        if (!r) return
        if (num(r.compact_revision) > 0 || r.canceled) {
          closed = true
          current?.destroy()
          options.onError?.(
            new EtcdError(
              num(r.compact_revision) > 0
                ? `the watch needs revision ${lastRevision + 1}, compacted (etcd keeps from ${r.compact_revision})`
                : `the watch was canceled: ${r.cancel_reason ?? 'no reason given'}`,
            ),
          )
          return
        }
        const events = (r.events ?? []).map(e => ({
          type: e.type === 'DELETE' ? ('delete' as const) : ('put' as const),
          kv: toKv(e.kv ?? {}),
        }))
        if (events.length === 0) {
          // created, or a progress notification: nothing to deliver, but the revision counts
          if (lastRevision < 0) lastRevision = num(r.header?.revision)
          return
        }
        lastRevision = Math.max(...events.map(e => e.kv.modRevision))
        onEvents(events, lastRevision)
      }
      req.on('error', fail)
      req.end(data)
      current = req
    }
    open()
    return {
      get lastRevision() {
        return lastRevision
      },
      close() {
        closed = true
        if (retryTimer) clearTimeout(retryTimer)
        current?.destroy()
      },
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

/** The last error of each endpoint, for a message that stays short. */
function lastPerEndpoint(errors: string[]): string[] {
  const byEndpoint = new Map<string, string>()
  for (const e of errors) byEndpoint.set(e.slice(0, e.indexOf(': ')), e)
  return [...byEndpoint.values()]
}
