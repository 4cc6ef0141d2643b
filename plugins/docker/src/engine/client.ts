/**
 * Which engine a service's containers live in, and a dockerode client for it.
 *
 * Resolution: the service's private daemon when it has one (DEFAULT docker_data_dir or
 * docker_daemon_private); else the dockerHost setting (or DOCKER_HOST); else
 * /var/run/docker.sock when it exists; else svcmgr's own engine socket
 * `<root>/var/engine/docker.sock` when it exists (`svcmgr engine start`); else the default
 * socket, which then reports "docker daemon is not running".
 *
 * dockerode is imported lazily (ssh2, its crypto and gRPC loading), and only by the paths that
 * still use it (start and provision: image pulls, create): status, stop and unprovision talk to
 * the engine over node:http (./http.ts), one keep-alive agent per process.
 */
import {existsSync} from 'node:fs'
import type Dockerode from 'dockerode'
import type {DriverSettings, ServiceView} from 'svcmgr'
import {DEFAULT_ADDRESS, DEFAULT_SOCKET, normalizeAddress, parseAddress, pingAddress} from './address.js'
import {CALL_TIMEOUT_MS, EngineError} from './calls.js'
import {engineClient} from './containers.js'
import {type DaemonSpec, ownEngineSocket, serviceDaemonSpec} from './daemon.js'

export interface Engine {
  /** unix:///path or tcp://host:port */
  readonly address: string
  /** Set when this is the service's private daemon. */
  readonly daemon?: DaemonSpec
  /** How an operator reaches this engine with the docker CLI: ['docker'] or ['docker', '-H', address]. */
  readonly cli: readonly string[]
}

/** The engine a plain `docker` would talk to from this process's environment. */
function cliDefaultAddress(): string {
  try {
    return process.env.DOCKER_HOST ? normalizeAddress(process.env.DOCKER_HOST) : DEFAULT_ADDRESS
  } catch {
    return DEFAULT_ADDRESS
  }
}

export function cliFor(address: string): string[] {
  return address === cliDefaultAddress() ? ['docker'] : ['docker', '-H', address]
}

/** The shared engine's address (no private daemon involved). */
export async function resolveSharedAddress(settings: Pick<DriverSettings, 'root' | 'dockerHost'>): Promise<string> {
  if (settings.dockerHost) return normalizeAddress(settings.dockerHost)
  const own = ownEngineSocket(settings.root)
  if (!existsSync(own)) return DEFAULT_ADDRESS
  if (!existsSync(DEFAULT_SOCKET)) return `unix://${own}`
  return (await pingAddress(DEFAULT_ADDRESS, 1000)) ? DEFAULT_ADDRESS : `unix://${own}`
}

export async function resolveEngine(
  service: Pick<ServiceView, 'name' | 'kw' | 'varDir'>,
  settings: Pick<DriverSettings, 'root' | 'dockerHost'>,
): Promise<Engine> {
  const daemon = serviceDaemonSpec(service)
  const address = daemon ? daemon.address : await resolveSharedAddress(settings)
  return {address, daemon, cli: cliFor(address)}
}

type Cache = Map<string, unknown>

function memo<T>(cache: Cache, key: string, make: () => Promise<T>): Promise<T> {
  let p = cache.get(key) as Promise<T> | undefined
  if (!p) {
    p = make()
    cache.set(key, p)
    // a failed attempt is not remembered: the next caller tries again
    p.catch(() => cache.delete(key))
  }
  return p
}

/** The engine of a service, resolved once per command. */
export function serviceEngine(service: ServiceView, settings: DriverSettings, cache: Cache): Promise<Engine> {
  return memo(cache, `docker:engine:${service.name}`, () => resolveEngine(service, settings))
}

export async function createClient(address: string): Promise<Dockerode> {
  const {default: Docker} = await import('dockerode')
  const target = parseAddress(address)
  return target.kind === 'unix'
    ? new Docker({socketPath: target.socketPath})
    : new Docker({host: target.host, port: target.port, protocol: 'http'})
}

/** One dockerode client per engine address per command. */
export function dockerClient(address: string, cache: Cache): Promise<Dockerode> {
  return memo(cache, `docker:client:${address}`, () => createClient(address))
}

/** Engine facts (CgroupDriver, ...), fetched once per command (GET /info over node:http). */
export function engineInfo(
  address: string,
  cache: Cache,
  signal?: AbortSignal,
): Promise<{CgroupDriver?: string; ServerVersion?: string}> {
  return memo(cache, `docker:info:${address}`, async () => {
    const info = await engineClient(address, cache).get<{CgroupDriver?: string; ServerVersion?: string}>(
      'docker info',
      '/info',
      {timeoutMs: CALL_TIMEOUT_MS, signal},
    )
    if (!info) throw new EngineError(`docker info: ${address} has no /info: not a docker engine`)
    return info
  })
}

/** The engine's HTTP status code of a dockerode error (404 for a missing container or image). */
export function statusCode(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'statusCode' in error
    ? (error as {statusCode?: number}).statusCode
    : undefined
}

/** A short message of a dockerode error: the engine's own sentence when there is one. */
export function engineMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const json = (error as {json?: {message?: string}}).json
    if (json?.message) return json.message
    if (error instanceof Error) return error.message.replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '')
  }
  return String(error)
}
