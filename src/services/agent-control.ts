/**
 * `svcmgr daemon start|stop|status|install-unit`: the node agent (`svcmgr daemon run`) run in
 * the background and looked at from its files (src/agent/state.ts). Every wait has a deadline
 * and ends in a state that is said: started (its heartbeat seen), not started (its log's tail,
 * the process stopped), stopped (the process gone), still running (named).
 */
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {type AgentLiveness, agentLiveness} from '../agent/liveness.js'
import {type AgentEvent, agentPaths} from '../agent/state.js'
import {fenceDeadline, liveFence, readFenceArm} from '../agent/fence.js'
import {monotonicClock, readLeaseFile} from '../cluster/lease.js'

/** Where `daemon start` sends a background agent's stdout and stderr. */
export const agentLogFile = (root: string) => path.join(agentPaths(root).dir, 'agent.log')
import {DEFAULT_UNIT_PATH, systemdUnit} from '../agent/unit-file.js'
import {ensureStateDir, openStateLogForAppend} from '../config/state-files.js'
import type {Settings} from '../config/settings.js'
import {pidAlive, processStartTime} from '../drivers/host.js'
import {acquireServiceLock} from '../executor/lock.js'
import {AgentError, UsageError} from '../errors.js'

export const DAEMON_STATUS_VERSION = 1
/** How long `daemon start` waits for the first heartbeat, `daemon stop` for the process to end. */
export const START_TIMEOUT_MS = 30_000
export const STOP_TIMEOUT_MS = 60_000
const POLL_MS = 50

const seconds = (ms: number) => (ms < 1000 ? `${ms}ms` : `${Math.round(ms / 1000)}s`)
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/** What a run of the agent is named by in messages. */
const describe = (l: AgentLiveness) => `pid ${l.pid}${l.info?.startedAt ? `, since ${l.info.startedAt}` : ''}`

/** The end of the agent's log from byte `from` on: at most `lines` lines. */
function logTail(file: string, from: number, lines = 20): string {
  let text = ''
  try {
    const fd = fs.openSync(file, 'r')
    try {
      const size = fs.fstatSync(fd).size
      const start = Math.max(from, size - 64 * 1024)
      const buf = Buffer.alloc(Math.max(0, size - start))
      fs.readSync(fd, buf, 0, buf.length, start)
      text = buf.toString('utf8')
    } finally {
      fs.closeSync(fd)
    }
  } catch {}
  const all = text.split('\n').filter(l => l.trim() !== '')
  return all.length === 0
    ? '  (nothing)'
    : all
        .slice(-lines)
        .map(l => `  ${l}`)
        .join('\n')
}

export interface StartRequest {
  /** svcmgr's bin/run.js, absolute. */
  readonly script: string
  readonly timeoutMs?: number
}

export interface StartOutcome {
  readonly pid: number
  readonly log: string
  /** A pid file of a dead agent found and replaced. */
  readonly replacedStale?: number
}

/**
 * Starts `svcmgr daemon run` detached (its own session, stdin closed, stdout and stderr
 * appended to <root>/agent/agent.log, working folder /), with this command's settings (the
 * state root and settings file it found are passed on: the agent does not search from /).
 * Returns once the agent's heartbeat names the new process. Refused while an agent runs.
 */
export async function startAgent(settings: Settings, request: StartRequest): Promise<StartOutcome> {
  const timeoutMs = request.timeoutMs ?? START_TIMEOUT_MS
  const dir = agentPaths(settings.root).dir
  ensureStateDir(dir)
  // one `daemon start` at a time per state root: a second one waits for the first to be done,
  // then finds its agent running (the lock's holder check, file <root>/agent/lock)
  const lock = await acquireServiceLock(dir, 'agent', 'daemon start', {waitMs: timeoutMs + 10_000})
  try {
    return await startLocked(settings, request, timeoutMs)
  } finally {
    lock.release()
  }
}

async function startLocked(settings: Settings, request: StartRequest, timeoutMs: number): Promise<StartOutcome> {
  const paths = agentPaths(settings.root)
  const before = agentLiveness(settings.root)
  if (before.alive)
    throw new AgentError(
      `the agent already runs (${describe(before)}${before.state === 'stale' ? `; its heartbeat is ${before.heartbeatAgeMs === undefined ? 'missing' : `${Math.round(before.heartbeatAgeMs / 1000)}s old`}` : ''}): \`svcmgr daemon stop\` stops it`,
    )
  ensureStateDir(paths.dir)
  // a dead agent's pid file (checked just above: not a live process) is not the new one's
  if (before.stalePidFile) fs.rmSync(paths.pidFile, {force: true})
  const out = openStateLogForAppend(agentLogFile(settings.root))
  const offset = fs.fstatSync(out).size
  const env: NodeJS.ProcessEnv = {...process.env, SVCMGR_ROOT: settings.root}
  if (settings.source && settings.source !== 'defaults' && path.isAbsolute(settings.source))
    env.SVCMGR_CONFIG = settings.source
  const spawnedAt = Date.now()
  let exited: {code: number | null; signal: NodeJS.Signals | null} | undefined
  let spawnError: Error | undefined
  const child = (() => {
    try {
      return spawn(process.execPath, [request.script, 'daemon', 'run'], {
        detached: true,
        stdio: ['ignore', out, out],
        cwd: '/',
        env,
      })
    } finally {
      fs.closeSync(out)
    }
  })()
  child.on('error', e => (spawnError = e))
  child.on('exit', (code, signal) => (exited = {code, signal}))
  child.unref()
  const pid = child.pid
  // the child's own start time: what the deadline's SIGTERM checks it against (not the pid file's)
  const childStart = pid === undefined ? undefined : processStartTime(pid)
  const deadline = spawnedAt + timeoutMs
  for (;;) {
    if (spawnError || pid === undefined)
      throw new AgentError(`cannot start the agent: ${spawnError?.message ?? 'no process was made'}`)
    const now = agentLiveness(settings.root)
    const beat = now.info ? Date.parse(now.info.heartbeat) : NaN
    if (now.pid === pid && now.state === 'running' && beat >= spawnedAt - 1000)
      return {
        pid,
        log: agentLogFile(settings.root),
        ...(before.stalePidFile && before.pid ? {replacedStale: before.pid} : {}),
      }
    if (exited)
      throw new AgentError(
        `the agent (pid ${pid}) exited ${exited.signal ? `on ${exited.signal}` : `with code ${exited.code}`} before its first heartbeat; the end of its log ${agentLogFile(settings.root)}:\n${logTail(agentLogFile(settings.root), offset)}`,
      )
    if (Date.now() >= deadline) {
      // not left half-started: stopped, and said so
      const stopped = await terminate(pid, childStart, 5000)
      throw new AgentError(
        `the agent (pid ${pid}) wrote no heartbeat within ${seconds(timeoutMs)} (--timeout); ${stopped ? 'it was stopped' : 'it is still running: `svcmgr daemon stop` stops it'}; the end of its log ${agentLogFile(settings.root)}:\n${logTail(agentLogFile(settings.root), offset)}`,
      )
    }
    await sleep(POLL_MS)
  }
}

/** SIGTERM, then waits for the process to end (true) until the deadline (false). */
async function terminate(pid: number, startTime: string | undefined, timeoutMs: number): Promise<boolean> {
  try {
    process.kill(pid, 'SIGTERM')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ESRCH') return true
    throw new AgentError(`cannot signal the agent (pid ${pid}): ${code ?? (error as Error).message}`)
  }
  const deadline = Date.now() + timeoutMs
  while (pidAlive(pid, startTime)) {
    if (Date.now() >= deadline) return false
    await sleep(POLL_MS)
  }
  return true
}

export type StopOutcome =
  | {readonly result: 'not-running'}
  | {readonly result: 'stale-removed'; readonly pid: number; readonly pidFile: string}
  | {readonly result: 'stopped'; readonly pid: number}

/**
 * Stops the agent: SIGTERM to the process its pid file names (only if it is that process:
 * same start time), then waits for it to end. Past the deadline it is still running: said,
 * exit 1. A pid file naming a dead process is reported and removed.
 */
export async function stopAgent(settings: Settings, timeoutMs = STOP_TIMEOUT_MS): Promise<StopOutcome> {
  const paths = agentPaths(settings.root)
  const live = agentLiveness(settings.root)
  if (live.pid === undefined) return {result: 'not-running'}
  if (!live.alive) {
    if (!live.stalePidFile) return {result: 'not-running'}
    fs.rmSync(paths.pidFile, {force: true})
    return {result: 'stale-removed', pid: live.pid, pidFile: paths.pidFile}
  }
  const pid = live.pid
  if (!(await terminate(pid, live.startTime, timeoutMs)))
    throw new AgentError(
      `the agent (pid ${pid}) is still running ${seconds(timeoutMs)} after SIGTERM (an action it runs ends first; its log: ${agentLogFile(settings.root)}); \`svcmgr daemon stop\` again waits longer`,
    )
  // an agent that ended without removing its pid file leaves it to whoever saw it end
  const after = agentLiveness(settings.root)
  if (after.pid === pid && !after.alive) fs.rmSync(paths.pidFile, {force: true})
  return {result: 'stopped', pid}
}

export interface AgentStatusReport {
  readonly version: number
  readonly agent: AgentLiveness['state']
  readonly pid: number | null
  readonly startedAt: string | null
  readonly uptime_s: number | null
  readonly heartbeat: string | null
  readonly heartbeat_age_s: number | null
  readonly watched: readonly string[]
  readonly lastEvent: AgentEvent | null
  /** A pid file naming a dead process (daemon stop or start removes it). */
  readonly stalePidFile: boolean
  readonly pidFile: string
  readonly log: string
  /** The cluster agent's fence (src/agent/fence.ts): null when none runs and none is armed (no `etcd`, or disarmed). */
  readonly fence: FenceStatus | null
}

export interface FenceStatus {
  /** The live fence process, or null (not running: it fired and ended, or it was killed). */
  readonly pid: number | null
  /** What it is armed with: null when disarmed. */
  readonly lease: string | null
  /** Seconds to its deadline (negative: passed), null when disarmed. */
  readonly deadline_in_s: number | null
  readonly services: readonly string[]
}

/** The fence as its files say (the deadline on CLOCK_MONOTONIC, shared with the fence). */
function fenceStatus(root: string): FenceStatus | null {
  const live = liveFence(root)
  const arm = readFenceArm(root)
  if (!live && !arm) return null
  const deadline = arm ? fenceDeadline(arm, readLeaseFile(agentPaths(root).leaseFile)) : undefined
  return {
    pid: live?.pid ?? null,
    lease: arm?.lease ?? null,
    deadline_in_s: deadline === undefined ? null : Math.round((deadline - monotonicClock.now()) / 100) / 10,
    services: arm?.services ?? [],
  }
}

export function agentStatus(settings: Settings, now = Date.now()): AgentStatusReport {
  const paths = agentPaths(settings.root)
  const live = agentLiveness(settings.root, now)
  const info = live.alive ? live.info : undefined
  const started = info ? Date.parse(info.startedAt) : NaN
  return {
    version: DAEMON_STATUS_VERSION,
    agent: live.state,
    pid: live.alive && live.pid !== undefined ? live.pid : null,
    startedAt: info?.startedAt ?? null,
    uptime_s: Number.isFinite(started) ? Math.max(0, Math.floor((now - started) / 1000)) : null,
    heartbeat: info?.heartbeat ?? null,
    heartbeat_age_s: info && live.heartbeatAgeMs !== undefined ? Math.floor(live.heartbeatAgeMs / 1000) : null,
    watched: info?.watched ?? [],
    // the last event is worth showing after the agent ended too
    lastEvent: live.lastInfo?.lastEvent ?? null,
    stalePidFile: live.stalePidFile,
    pidFile: paths.pidFile,
    log: agentLogFile(settings.root),
    fence: fenceStatus(settings.root),
  }
}

export interface InstallUnitRequest {
  readonly path?: string
  readonly force?: boolean
  /** svcmgr's bin/run.js, absolute. */
  readonly script: string
}

/** The unit this svcmgr would write: its node and entry point, the state root, settings file and engine it was given. */
export function agentUnitText(settings: Settings, script: string): string {
  const environment: Record<string, string> = {}
  if (process.env.SVCMGR_ROOT) environment.SVCMGR_ROOT = settings.root
  if (settings.source && settings.source !== 'defaults' && path.isAbsolute(settings.source))
    environment.SVCMGR_CONFIG = settings.source
  if (process.env.DOCKER_HOST) environment.DOCKER_HOST = process.env.DOCKER_HOST
  return systemdUnit({node: process.execPath, script, environment})
}

/**
 * Writes the agent's systemd unit (src/agent/unit-file.ts) with this svcmgr's node and entry
 * point, and the state root, settings file and engine this command was given. A different
 * file already there is refused without --force (exit 2, nothing written); the same one is
 * left as it is.
 */
export function installUnit(
  settings: Settings,
  request: InstallUnitRequest,
): {path: string; changed: boolean; text: string} {
  const target = path.resolve(request.path ?? DEFAULT_UNIT_PATH)
  const text = agentUnitText(settings, request.script)
  let current: string | undefined
  try {
    current = fs.readFileSync(target, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'ENOENT') throw new AgentError(`cannot read ${target}: ${code ?? (error as Error).message}`)
  }
  if (current === text) return {path: target, changed: false, text}
  if (current !== undefined && !request.force)
    throw new UsageError(
      `--path: ${target} exists and differs from the unit svcmgr would write; --force replaces it (\`svcmgr daemon install-unit --print\` shows the new one)`,
    )
  const dir = path.dirname(target)
  if (!fs.statSync(dir, {throwIfNoEntry: false})?.isDirectory())
    throw new AgentError(`cannot write ${target}: no folder ${dir} (is this a systemd host?)`)
  // a unit file is the system's, readable by all (0644), replaced by a rename (never half-written)
  const tmp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    fs.writeFileSync(tmp, text, {mode: 0o644, flag: 'wx'})
    fs.chmodSync(tmp, 0o644)
    fs.renameSync(tmp, target)
  } catch (error) {
    fs.rmSync(tmp, {force: true})
    const code = (error as NodeJS.ErrnoException).code
    throw new AgentError(`cannot write ${target}: ${code ?? (error as Error).message}`)
  }
  return {path: target, changed: true, text}
}
