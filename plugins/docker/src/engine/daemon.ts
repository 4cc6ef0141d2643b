/**
 * Private dockerd instances: one per service that asks for it (DEFAULT docker_data_dir or
 * docker_daemon_private), and svcmgr's own local engine (`svcmgr engine start`). Starting,
 * stopping and probing them. No dockerode here: a raw /_ping is enough, and the `engine`
 * commands stay cheap.
 */
import {setTimeout as sleep} from 'node:timers/promises'
// node:crypto and node:child_process are taken where used (process.getBuiltinModule): loading
// them is a few ms of every cold command that loads this plugin, status included
import {closeSync, existsSync, writeSync} from 'node:fs'
import {readFile, rm} from 'node:fs/promises'
import path from 'node:path'
import type {HostKit, ServiceView} from 'svcmgr'
import {pingAddress} from './address.js'

/** Flags every private engine gets: it stays off the host's network and firewall. */
export const ISOLATION_FLAGS = ['--iptables=false', '--ip6tables=false', '--ip-masq=false', '--bridge=none'] as const

/** Unix socket paths are limited to 107 bytes; these keep well under it. */
const MAX_SOCKET_PATH = 100
const MAX_RUN_DIR = 50

export interface DaemonSpec {
  /** What this daemon is for, in messages: "docker daemon of service svc2", "svcmgr's local engine". */
  readonly title: string
  readonly socket: string
  /** unix://<socket> */
  readonly address: string
  readonly dataRoot: string
  readonly execRoot: string
  readonly pidfile: string
  readonly logFile: string
  readonly extraArgs: readonly string[]
}

export class DaemonError extends Error {}

/** The DEFAULT keywords this plugin registers (see hooks/drivers.ts), parsed by the core. */
export interface PrivateDaemonConfig {
  readonly dataDir?: string
  readonly args: readonly string[]
}

export function privateDaemonConfig(service: Pick<ServiceView, 'kw'>): PrivateDaemonConfig | undefined {
  const kw = service.kw
  const dataDir = (kw.docker_data_dir as string | undefined)?.trim() || undefined
  if (!dataDir && kw.docker_daemon_private !== true) return undefined
  return {dataDir, args: (kw.docker_daemon_args as readonly string[] | undefined) ?? []}
}

function shortRunDir(seed: string, prefix: string): string {
  return path.join(
    '/run',
    `${prefix}-${process.getBuiltinModule('node:crypto').createHash('sha256').update(seed).digest('hex').slice(0, 12)}`,
  )
}

/**
 * The private engine of a service, or undefined when it uses the shared engine.
 * Socket, exec root and pid file live in `<varDir>/docker` (or in a short folder under /run
 * when that path is too long for a unix socket); data in docker_data_dir or `<varDir>/docker/data`.
 */
export function serviceDaemonSpec(service: Pick<ServiceView, 'name' | 'kw' | 'varDir'>): DaemonSpec | undefined {
  const cfg = privateDaemonConfig(service)
  if (!cfg) return undefined
  const base = path.join(service.varDir, 'docker')
  const runDir = base.length <= MAX_RUN_DIR ? base : shortRunDir(base, 'svcmgr-docker')
  const socket = path.join(runDir, 'docker.sock')
  return {
    title: `docker daemon of service ${service.name}`,
    socket,
    address: `unix://${socket}`,
    dataRoot: cfg.dataDir ?? path.join(base, 'data'),
    execRoot: path.join(runDir, 'exec'),
    pidfile: path.join(runDir, 'docker.pid'),
    logFile: path.join(base, 'dockerd.log'),
    extraArgs: cfg.args,
  }
}

/** svcmgr's own local engine: socket `<root>/var/engine/docker.sock`. */
export function ownEngineSocket(root: string): string {
  return path.join(root, 'var', 'engine', 'docker.sock')
}

export function ownEngineSpec(root: string): DaemonSpec {
  const base = path.join(root, 'var', 'engine')
  const socket = ownEngineSocket(root)
  if (socket.length > MAX_SOCKET_PATH)
    throw new DaemonError(
      `the engine socket path ${socket} is too long for a unix socket (${socket.length} > ${MAX_SOCKET_PATH} characters): set SVCMGR_ROOT to a shorter folder`,
    )
  const runDir = base.length <= MAX_RUN_DIR ? base : shortRunDir(base, 'svcmgr-engine')
  return {
    title: "svcmgr's local docker engine",
    socket,
    address: `unix://${socket}`,
    dataRoot: path.join(base, 'data'),
    execRoot: path.join(runDir, 'exec'),
    pidfile: path.join(base, 'docker.pid'),
    logFile: path.join(base, 'dockerd.log'),
    extraArgs: [],
  }
}

/** The dockerd argument vector for a spec. */
export function dockerdArgs(spec: DaemonSpec): string[] {
  return [
    '--data-root',
    spec.dataRoot,
    '--exec-root',
    spec.execRoot,
    '-H',
    spec.address,
    '--pidfile',
    spec.pidfile,
    ...ISOLATION_FLAGS,
    ...spec.extraArgs,
  ]
}

export const DOCKERD_MISSING =
  'dockerd is not installed (the docker CLI alone is not an engine): apt-get install docker.io'

/** The pid in the spec's pid file when that process is alive. */
export async function daemonPid(host: HostKit, spec: DaemonSpec): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(spec.pidfile, 'utf8')).trim())
    return host.pidAlive(pid) ? pid : undefined
  } catch {
    return undefined
  }
}

export interface DaemonState {
  readonly answering: boolean
  readonly pid?: number
}

export async function daemonState(host: HostKit, spec: DaemonSpec, timeoutMs = 1500): Promise<DaemonState> {
  const answering = existsSync(spec.socket) && (await pingAddress(spec.address, timeoutMs))
  return {answering, pid: await daemonPid(host, spec)}
}

async function logTail(file: string, lines = 15): Promise<string> {
  try {
    const text = (await readFile(file, 'utf8')).trimEnd().split('\n')
    return text.slice(-lines).join('\n')
  } catch {
    return ''
  }
}

export interface StartDaemonOptions {
  readonly timeoutMs: number
  /** Told the command line before the daemon is spawned. */
  readonly onSpawn?: (commandLine: readonly string[]) => void
  /** Stops the wait (Ctrl-C, the action's deadline); a daemon already spawned keeps starting. */
  readonly signal?: AbortSignal
}

/**
 * Starts the daemon unless it already answers; waits until it answers. Returns 'running' when
 * nothing was started. The daemon runs detached (its own session, output to spec.logFile)
 * and outlives this process.
 */
export async function startDaemon(
  host: HostKit,
  spec: DaemonSpec,
  options: StartDaemonOptions,
): Promise<'started' | 'running'> {
  if (existsSync(spec.socket) && (await pingAddress(spec.address))) return 'running'
  const deadline = Date.now() + options.timeoutMs
  let exited: string | undefined
  let child: import('node:child_process').ChildProcess | undefined
  const existing = await daemonPid(host, spec)
  if (existing === undefined) {
    const dockerd = await host.which('dockerd')
    if (!dockerd) throw new DaemonError(DOCKERD_MISSING)
    const args = dockerdArgs(spec)
    let out: number
    try {
      for (const d of [
        spec.dataRoot,
        spec.execRoot,
        path.dirname(spec.socket),
        path.dirname(spec.pidfile),
        path.dirname(spec.logFile),
      ])
        host.ensurePrivateDir(d)
      out = host.openPrivateAppend(spec.logFile)
    } catch (error) {
      throw new DaemonError(`${spec.title}: ${(error as Error).message}`)
    }
    options.onSpawn?.([dockerd, ...args])
    try {
      writeSync(out, `---- ${new Date().toISOString()} svcmgr starts ${spec.title}\n`)
      child = process
        .getBuiltinModule('node:child_process')
        .spawn(dockerd, args, {detached: true, stdio: ['ignore', out, out]})
    } finally {
      closeSync(out)
    }
    child.on('error', e => (exited = e.message))
    child.on('exit', (code, signal) => (exited = signal ? `killed by ${signal}` : `exit code ${code}`))
    child.unref()
  }
  for (;;) {
    if (existsSync(spec.socket) && (await pingAddress(spec.address, 1000)))
      return existing === undefined ? 'started' : 'running'
    if (exited !== undefined) {
      const tail = await logTail(spec.logFile)
      throw new DaemonError(
        `${spec.title} exited at start (${exited})${tail ? `; last lines of ${spec.logFile}:\n${tail}` : ''}`,
      )
    }
    if (options.signal?.aborted)
      throw new DaemonError(`waiting for ${spec.title} to answer at ${spec.address}: interrupted`)
    if (Date.now() >= deadline) {
      if (child?.pid) process.kill(child.pid, 'SIGTERM')
      const tail = await logTail(spec.logFile)
      throw new DaemonError(
        `${spec.title} did not answer at ${spec.address} within ${options.timeoutMs / 1000}s${tail ? `; last lines of ${spec.logFile}:\n${tail}` : ''}`,
      )
    }
    await sleep(200)
  }
}

/** TERM, then KILL after timeoutMs. dockerd stops its containers on the way out. */
export async function stopDaemon(
  host: HostKit,
  spec: DaemonSpec,
  options: {timeoutMs: number},
): Promise<'stopped' | 'not running'> {
  const pid = await daemonPid(host, spec)
  const alive = (p: number) => host.pidAlive(p)
  if (pid === undefined) return 'not running'
  process.kill(pid, 'SIGTERM')
  const deadline = Date.now() + options.timeoutMs
  while (alive(pid) && Date.now() < deadline) await sleep(100)
  if (alive(pid)) {
    process.kill(pid, 'SIGKILL')
    const killDeadline = Date.now() + 5000
    while (alive(pid) && Date.now() < killDeadline) await sleep(100)
  }
  if (alive(pid)) throw new DaemonError(`${spec.title} (pid ${pid}) did not exit after SIGKILL`)
  await rm(spec.pidfile, {force: true})
  return 'stopped'
}
