/**
 * Engine addresses (unix:///path, tcp://host:port) and a dependency-free ping, so that
 * status on a machine without an engine answers fast without loading dockerode.
 */
import {request} from 'node:http'

export const DEFAULT_SOCKET = '/var/run/docker.sock'
export const DEFAULT_ADDRESS = `unix://${DEFAULT_SOCKET}`

export type ParsedAddress = {kind: 'unix'; socketPath: string} | {kind: 'tcp'; host: string; port: number}

/** Accepts unix:///path, a bare /path, tcp://host[:port] and host:port (as DOCKER_HOST does). */
export function parseAddress(address: string): ParsedAddress {
  if (address.startsWith('unix://')) return {kind: 'unix', socketPath: address.slice('unix://'.length) || DEFAULT_SOCKET}
  if (address.startsWith('/')) return {kind: 'unix', socketPath: address}
  const withScheme = address.includes('://') ? address : `tcp://${address}`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    throw new Error(`unsupported docker engine address "${address}": expected unix:///path/to/docker.sock or tcp://host:port`)
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:')
    throw new Error(`unsupported docker engine address "${address}": expected unix:///path/to/docker.sock or tcp://host:port`)
  return {kind: 'tcp', host: url.hostname, port: url.port ? Number(url.port) : 2375}
}

/** unix:///path for a socket path, the address itself otherwise. */
export function normalizeAddress(address: string): string {
  const p = parseAddress(address)
  return p.kind === 'unix' ? `unix://${p.socketPath}` : `tcp://${p.host}:${p.port}`
}

/** GET /_ping with a hard deadline. Never throws: false when nothing answers "OK" in time. */
export function pingAddress(address: string, timeoutMs = 1500): Promise<boolean> {
  let target: ParsedAddress
  try {
    target = parseAddress(address)
  } catch {
    return Promise.resolve(false)
  }
  return new Promise(resolve => {
    let done = false
    const finish = (ok: boolean) => {
      if (done) return
      done = true
      clearTimeout(timer)
      req.destroy()
      resolve(ok)
    }
    const req = request(
      {
        ...(target.kind === 'unix' ? {socketPath: target.socketPath} : {host: target.host, port: target.port}),
        path: '/_ping',
        method: 'GET',
        agent: false,
      },
      res => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (body += c))
        res.on('end', () => finish(res.statusCode === 200 && body.trim() === 'OK'))
        res.on('error', () => finish(false))
      },
    )
    const timer = setTimeout(() => finish(false), timeoutMs)
    req.on('error', () => finish(false))
    req.end()
  })
}
