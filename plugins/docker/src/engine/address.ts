/**
 * Engine addresses (unix:///path, tcp://host:port) and a dependency-free ping, so that
 * status on a machine without an engine answers fast without loading dockerode.
 */
import {request} from 'node:http'
import {timerDelay} from '../util/timers.js'

export const DEFAULT_SOCKET = '/var/run/docker.sock'
export const DEFAULT_ADDRESS = `unix://${DEFAULT_SOCKET}`

export type ParsedAddress = {kind: 'unix'; socketPath: string} | {kind: 'tcp'; host: string; port: number}

/** Accepts unix:///path, a bare /path, tcp://host[:port] and host:port (as DOCKER_HOST does). */
export function parseAddress(address: string): ParsedAddress {
  if (address.startsWith('unix://'))
    return {kind: 'unix', socketPath: address.slice('unix://'.length) || DEFAULT_SOCKET}
  if (address.startsWith('/')) return {kind: 'unix', socketPath: address}
  const withScheme = address.includes('://') ? address : `tcp://${address}`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    throw new Error(
      `unsupported docker engine address "${address}": expected unix:///path/to/docker.sock or tcp://host:port`,
    )
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:')
    throw new Error(
      `unsupported docker engine address "${address}": expected unix:///path/to/docker.sock or tcp://host:port`,
    )
  return {kind: 'tcp', host: url.hostname, port: url.port ? Number(url.port) : 2375}
}

/** unix:///path for a socket path, the address itself otherwise. */
export function normalizeAddress(address: string): string {
  const p = parseAddress(address)
  return p.kind === 'unix' ? `unix://${p.socketPath}` : `tcp://${p.host}:${p.port}`
}

export function secs(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`
}

/** Where an address points, in words: the socket path or host:port. */
export function addressPlace(address: string): string {
  try {
    const t = parseAddress(address)
    return t.kind === 'unix' ? t.socketPath : `${t.host}:${t.port}`
  } catch {
    return address
  }
}

/** Why a request got no answer, from its socket error; undefined when the error is not about reaching the engine. */
export function unreachableReason(error: unknown, address: string): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as NodeJS.ErrnoException).code : undefined
  const place = addressPlace(address)
  switch (code) {
    case 'ENOENT':
      return `docker daemon socket ${place} missing`
    case 'ECONNREFUSED':
      return `connection refused on ${place}`
    case 'EACCES':
    case 'EPERM':
      return `permission denied on ${place}`
    case 'ENOTSOCK':
      return `${place} is not a socket`
    case 'ECONNRESET':
    case 'EPIPE':
      return `the docker daemon at ${place} closed the connection`
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot reach the docker daemon at ${place} (${code})`
    default:
      return undefined
  }
}

/**
 * The engine accepted the connection (or the connect is still pending) and sent no answer in
 * time: busy or hung, not absent (an absent one refuses at once or has no socket).
 */
export function noAnswer(address: string, ms: number): string {
  return `docker daemon at ${addressPlace(address)} not answering after ${secs(ms)}`
}

/** The ping of status (which must answer within the core's 15 s status bound). */
export const PING_TIMEOUT_MS = 5_000
/**
 * The ping of an action: a slow engine (a busy machine, a stall) gets this long before the
 * action gives up; one that is absent (socket missing, connection refused) fails at once.
 */
export const ACTION_PING_TIMEOUT_MS = 30_000

export type UnreachableKind = 'missing' | 'refused' | 'denied' | 'timeout' | 'other'

export type EngineProbe =
  | {readonly answering: true}
  | {
      readonly answering: false
      readonly kind: UnreachableKind
      readonly reason: string
    }

const KINDS: Record<string, 'missing' | 'refused' | 'denied'> = {
  ENOENT: 'missing',
  ECONNREFUSED: 'refused',
  EACCES: 'denied',
  EPERM: 'denied',
}

/** What kind of unreachable a socket error is. */
export function unreachableKind(error: unknown): UnreachableKind {
  const code = typeof error === 'object' && error !== null ? (error as NodeJS.ErrnoException).code : undefined
  return (code && KINDS[code]) || 'other'
}

/**
 * GET /_ping with a hard deadline. Never throws: says whether the engine answered "OK", and
 * when it did not, why (socket missing, connection refused, permission denied, no answer).
 */
export function probeAddress(address: string, timeoutMs = PING_TIMEOUT_MS): Promise<EngineProbe> {
  let target: ParsedAddress
  try {
    target = parseAddress(address)
  } catch (error) {
    return Promise.resolve({answering: false, kind: 'other', reason: (error as Error).message})
  }
  return new Promise(resolve => {
    let done = false
    const finish = (p: EngineProbe) => {
      if (done) return
      done = true
      clearTimeout(timer)
      req.destroy()
      resolve(p)
    }
    const req = request(
      {
        // no TLS: no servername for the agent to derive (its IP regexps; see ./http.ts)
        ...(target.kind === 'unix'
          ? {socketPath: target.socketPath, servername: ''}
          : {host: target.host, port: target.port, servername: ''}),
        path: '/_ping',
        method: 'GET',
        agent: false,
      },
      res => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (body += c))
        res.on('end', () =>
          finish(
            res.statusCode === 200 && body.trim() === 'OK'
              ? {answering: true}
              : {
                  answering: false,
                  kind: 'other',
                  reason: `${addressPlace(address)} answered /_ping with HTTP ${res.statusCode} ${JSON.stringify(body.trim().slice(0, 80))}, not as a docker daemon`,
                },
          ),
        )
        res.on('error', error =>
          finish({
            answering: false,
            kind: 'other',
            reason:
              unreachableReason(error, address) ?? `reading /_ping from ${addressPlace(address)}: ${error.message}`,
          }),
        )
      },
    )
    const timer = setTimeout(
      () => finish({answering: false, kind: 'timeout', reason: noAnswer(address, timeoutMs)}),
      timerDelay(timeoutMs),
    )
    req.on('error', error => {
      const code = (error as NodeJS.ErrnoException).code ?? ''
      finish({
        answering: false,
        kind: KINDS[code] ?? 'other',
        reason: unreachableReason(error, address) ?? `${addressPlace(address)}: ${error.message}`,
      })
    })
    req.end()
  })
}

/** GET /_ping with a hard deadline. Never throws: false when nothing answers "OK" in time. */
export async function pingAddress(address: string, timeoutMs = 1500): Promise<boolean> {
  return (await probeAddress(address, timeoutMs)).answering
}
