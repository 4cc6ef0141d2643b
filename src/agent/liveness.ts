/**
 * Whether the node agent runs, as the CLI shows it (daemon status, print status), from its files
 * alone (src/agent/state.ts; no call to it). `running`: the process the pid file names is alive
 * with the start time recorded beside it (the kit's pidAlive, as the service lock checks its
 * holder) and its heartbeat is fresh; `stale`: there is a pid file, but its process is gone (the
 * agent died without its cleanup: kill -9, a crash) or is alive without a fresh heartbeat (hung,
 * frozen by SIGSTOP, or not beating yet): nothing can be said of what it does; `stopped`: no pid
 * file (never started, or stopped cleanly).
 */
import fs from 'node:fs'
import {pidAlive} from '../drivers/host.js'
import {type AgentInfo, type AgentPid, HEARTBEAT_INTERVAL_MS, agentPaths, readAgentInfo, readAgentPid} from './state.js'

/** Three missed beats make a heartbeat stale. */
export const HEARTBEAT_STALE_MS = 3 * HEARTBEAT_INTERVAL_MS

export type AgentState = 'running' | 'stopped' | 'stale'

export interface AgentLiveness {
  readonly state: AgentState
  /** The process the files name (agent.pid, else a live agent.json's), if any. */
  readonly pid?: number
  readonly startTime?: string
  /** That process is alive (same start time). */
  readonly alive: boolean
  /** agent.json, when it belongs to that process (same pid). */
  readonly info?: AgentInfo
  /** agent.json as found (the last run's, after a stop). */
  readonly lastInfo?: AgentInfo
  /** How old that process's heartbeat is, in ms. */
  readonly heartbeatAgeMs?: number
  /** The pid file names a process that is gone (or a reused pid). */
  readonly stalePidFile: boolean
}

function judge(pidFile: AgentPid | undefined, info: AgentInfo | undefined, now: number): AgentLiveness {
  const infoAlive = info !== undefined && pidAlive(info.pid, info.startTime || undefined)
  // a running agent whose pid file went missing is still a running agent
  const named = pidFile ?? (infoAlive ? {pid: info.pid, startTime: info.startTime} : undefined)
  const last = info ? {lastInfo: info} : {}
  if (!named) return {state: 'stopped', alive: false, stalePidFile: false, ...last}
  const alive = named === pidFile ? pidAlive(named.pid, named.startTime || undefined) : true
  const own = info && info.pid === named.pid ? info : undefined
  const beat = own ? Date.parse(own.heartbeat) : NaN
  const heartbeatAgeMs = Number.isFinite(beat) ? Math.max(0, now - beat) : undefined
  const fresh = heartbeatAgeMs !== undefined && heartbeatAgeMs <= HEARTBEAT_STALE_MS
  return {
    state: alive && fresh ? 'running' : 'stale',
    pid: named.pid,
    ...(named.startTime ? {startTime: named.startTime} : {}),
    alive,
    ...(own ? {info: own} : {}),
    ...last,
    ...(heartbeatAgeMs !== undefined ? {heartbeatAgeMs} : {}),
    stalePidFile: !alive,
  }
}

/** The agent's liveness from agent.pid and agent.json (daemon start, stop, status). */
export function agentLiveness(root: string, now = Date.now()): AgentLiveness {
  return judge(readAgentPid(root), readAgentInfo(root), now)
}

/**
 * The same for print status, which reads one file for it: whether agent.pid exists (a stat), then
 * agent.json (it holds the pid and start time too).
 */
export function agentLivenessForStatus(root: string, now = Date.now()): AgentState {
  const paths = agentPaths(root)
  if (!fs.existsSync(paths.pidFile)) return 'stopped'
  const info = readAgentInfo(root)
  if (!info) return 'stale'
  return judge({pid: info.pid, startTime: info.startTime}, info, now).state
}
