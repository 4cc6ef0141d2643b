/**
 * The engine's HTTP API over plain node:http: the unix socket or tcp://host:port, through one
 * keep-alive agent per process (a request reuses an idle connection to the same engine). No
 * dockerode, docker-modem nor ssh2: status, stop and the whole start path (list, inspect,
 * create, start, stop, rm, logs, info, image inspect) cost no module loading beyond node:http.
 * dockerode stays for the streams (pull, an exec probe), loaded only when one is needed.
 *
 * Every request goes through engineCall: its own deadline, the action's signal, and a message
 * starting with `what` (socket missing, connection refused, not answering, the engine's own
 * sentence for an HTTP error).
 */
import {Agent, type IncomingMessage, request} from 'node:http'
import type Dockerode from 'dockerode'
import {parseAddress, type ParsedAddress} from './address.js'
import {type CallOptions, engineCall} from './calls.js'

/** GET /containers/json's row of a container. */
export type ContainerSummary = Dockerode.ContainerInfo
/** GET /containers/{id}/json */
export type ContainerInspect = Dockerode.ContainerInspectInfo
/** POST /containers/create's body, with the name that goes in its query. */
export type CreateRequest = Dockerode.ContainerCreateOptions & {readonly name: string}

/** An HTTP answer the engine gave: the fields engineCall reads (statusCode, json.message). */
export class HttpStatusError extends Error {
  constructor(
    readonly statusCode: number,
    readonly json: {message?: string} | undefined,
    text: string,
  ) {
    super(json?.message ?? (text.trim().slice(0, 200) || `HTTP ${statusCode}`))
  }
}

// one per process: idle sockets are unref'd by node, so they never hold the process up
const agent = new Agent({keepAlive: true})

interface Answer {
  readonly statusCode: number
  readonly body: Buffer
}

interface Req {
  readonly method: 'GET' | 'POST' | 'DELETE'
  readonly path: string
  readonly body?: unknown
}

function send(
  target: ParsedAddress,
  req: Req,
  signal: AbortSignal,
  retry = true,
  onSent?: () => void,
  onDockerAnswer?: () => void,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body))
    const r = request(
      {
        // servername '' (no TLS here): node's agent would otherwise derive one from the Host
        // header, compiling its IP address regexps on the first request (ms of a cold status)
        ...(target.kind === 'unix'
          ? {socketPath: target.socketPath, servername: ''}
          : {host: target.host, port: target.port, servername: ''}),
        method: req.method,
        path: req.path,
        agent,
        signal,
        headers: payload ? {'Content-Type': 'application/json', 'Content-Length': payload.length} : {},
      },
      (res: IncomingMessage) => {
        // a docker daemon sets Api-Version on every answer, an error's too (another server on the socket does not)
        if (res.headers['api-version'] !== undefined) onDockerAnswer?.()
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({statusCode: res.statusCode ?? 0, body: Buffer.concat(chunks)}))
        res.on('error', reject)
      },
    )
    r.on('error', (error: NodeJS.ErrnoException) => {
      // an idle keep-alive connection the engine closed meanwhile (reset, or a write to it
      // refused: EPIPE): a read is safely sent again on a new one; a change is not (it may have
      // been carried out), its failure is reported
      if (
        retry &&
        req.method === 'GET' &&
        r.reusedSocket &&
        (error.code === 'ECONNRESET' || error.code === 'EPIPE') &&
        !signal.aborted
      )
        send(target, req, signal, false, undefined, onDockerAnswer).then(resolve, reject)
      else reject(error)
    })
    if (onSent) {
      r.once('finish', onSent)
      r.once('error', onSent)
    }
    r.end(payload)
  })
}

function decode(a: Answer): unknown {
  if (a.body.length === 0) return undefined
  const text = a.body.toString('utf8')
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** Throws an HttpStatusError unless the engine answered one of `ok`. */
function expectStatus(a: Answer, ok: readonly number[]): Answer {
  if (ok.includes(a.statusCode)) return a
  const body = decode(a)
  const json = typeof body === 'object' && body !== null ? (body as {message?: string}) : undefined
  throw new HttpStatusError(a.statusCode, json, typeof body === 'string' ? body : '')
}

const q = (s: string) => encodeURIComponent(s)

/**
 * A small engine client. Every method takes `what` (the start of its error message) and the
 * call's options (deadline, signal, finishOnInterrupt for changes); a missing container is
 * `undefined` or 'absent', not an error; 304 (already started/stopped) is 'already'.
 */
export interface EngineClient {
  readonly address: string
  /** GET <path>: the decoded JSON, or undefined on a 404. */
  get<T>(what: string, path: string, options: CallOptions): Promise<T | undefined>
  /** GET /containers/json?all=1&filters=... */
  list(
    what: string,
    filters: Readonly<Record<string, readonly string[]>>,
    options: CallOptions,
  ): Promise<ContainerSummary[]>
  inspect(what: string, ref: string, options: CallOptions): Promise<ContainerInspect | undefined>
  /** POST /containers/create?name=...: the new container's id. */
  create(what: string, body: CreateRequest, options: CallOptions): Promise<{Id: string}>
  start(what: string, id: string, options: CallOptions): Promise<'started' | 'already'>
  /** POST /containers/{id}/stop?t=...: the engine answers once the container is down. */
  stop(what: string, id: string, graceSec: number, options: CallOptions): Promise<'stopped' | 'already'>
  remove(what: string, id: string, force: boolean, options: CallOptions): Promise<'removed' | 'absent'>
  /** GET /containers/{id}/logs: the raw bytes (multiplexed unless the container has a tty: see demultiplex). */
  logs(what: string, id: string, tail: number, options: CallOptions): Promise<Buffer>
}

/**
 * When a docker daemon last answered a request of this process at each address (any client,
 * any command's cache): that it answers is a fact of the moment, not of one command's picture.
 */
const lastAnswers = new Map<string, number>()

/** When the daemon at address last answered a request of this process (Date.now()), if it did. */
export function lastDockerAnswer(address: string): number | undefined {
  return lastAnswers.get(address)
}

/** After starting or stopping a daemon: an earlier answer says nothing of the engine now. */
export function forgetDockerAnswer(address: string): void {
  lastAnswers.delete(address)
}

/** The client of an engine address; cheap to make (the agent is shared), no module loaded. */
export function httpClient(address: string): EngineClient {
  const target = parseAddress(address)
  const answered = () => lastAnswers.set(address, Date.now())
  const call = <T>(what: string, options: CallOptions, req: Req, fn: (a: Answer) => T): Promise<T> =>
    engineCall(what, address, options, async signal =>
      fn(await send(target, req, signal, true, options.onSent, answered)),
    )
  const json = <T>(a: Answer, ok: readonly number[]) => decode(expectStatus(a, ok)) as T
  return {
    address,
    get: (what, path, options) =>
      call(what, options, {method: 'GET', path}, a => (a.statusCode === 404 ? undefined : json(a, [200]))),
    list: (what, filters, options) =>
      call(what, options, {method: 'GET', path: `/containers/json?all=1&filters=${q(JSON.stringify(filters))}`}, a =>
        json<ContainerSummary[]>(a, [200]),
      ),
    inspect: (what, ref, options) =>
      call(what, options, {method: 'GET', path: `/containers/${q(ref)}/json`}, a =>
        a.statusCode === 404 ? undefined : json<ContainerInspect>(a, [200]),
      ),
    create: (what, {name, ...body}, options) =>
      call(what, options, {method: 'POST', path: `/containers/create?name=${q(name)}`, body}, a =>
        json<{Id: string}>(a, [201]),
      ),
    start: (what, id, options) =>
      call(what, options, {method: 'POST', path: `/containers/${q(id)}/start`}, a =>
        expectStatus(a, [204, 304]).statusCode === 304 ? 'already' : 'started',
      ),
    stop: (what, id, graceSec, options) =>
      call(what, options, {method: 'POST', path: `/containers/${q(id)}/stop?t=${graceSec}`}, a =>
        expectStatus(a, [204, 304]).statusCode === 304 ? 'already' : 'stopped',
      ),
    remove: (what, id, force, options) =>
      call(what, options, {method: 'DELETE', path: `/containers/${q(id)}${force ? '?force=1' : ''}`}, a =>
        a.statusCode === 404 ? 'absent' : (expectStatus(a, [204]), 'removed'),
      ),
    logs: (what, id, tail, options) =>
      call(
        what,
        options,
        {method: 'GET', path: `/containers/${q(id)}/logs?stdout=1&stderr=1&follow=0&tail=${tail}`},
        a => expectStatus(a, [200]).body,
      ),
  }
}

/**
 * The text of a logs answer of a container without a tty: frames of an 8-byte header (stream
 * 0 stdin, 1 stdout, 2 stderr; three zero bytes; the payload's length, big-endian) and the
 * payload, stdout and stderr in the order they were written. A frame cut short keeps what
 * came; bytes that are not a frame header (an engine that sent raw text after all) are kept
 * as they are, from there on.
 */
export function demultiplex(raw: Buffer): string {
  const parts: Buffer[] = []
  let off = 0
  while (off < raw.length) {
    const header =
      off + 8 <= raw.length && raw[off] <= 2 && raw[off + 1] === 0 && raw[off + 2] === 0 && raw[off + 3] === 0
    if (!header) {
      parts.push(raw.subarray(off))
      break
    }
    const size = raw.readUInt32BE(off + 4)
    parts.push(raw.subarray(off + 8, Math.min(raw.length, off + 8 + size)))
    off += 8 + size
  }
  return Buffer.concat(parts).toString('utf8')
}
