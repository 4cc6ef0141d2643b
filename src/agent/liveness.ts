/**
 * Whether the node agent runs, from its files alone (no call to it): its pid is a live process
 * that started when its files say (the kit's pidAlive, as the service lock checks its holder),
 * and its heartbeat is fresh. `running`: both; `stale`: the process is there but its heartbeat
 * is old (hung, frozen by SIGSTOP, or still starting): what it does is unknown; `stopped`: no
 * process (no files, or files left by a dead one).
 */
import fs from 'node:fs'
import {pidAlive} from '../drivers/host.js'
import {type AgentInfo, agentPaths, readAgentInfo} from './state.js'

/** The agent rewrites its heartbeat at least every 5 s: three missed beats make it stale. */
export const HEARTBEAT_STALE_MS = 15_000

export type AgentState = 'running' | 'stopped' | 'stale'

export interface AgentPid {
  readonly pid: number
  readonly startTime?: string
}

/** agent.pid: its pid and process start time (JSON, or the two words "PID STARTTIME"); undefined when absent or unreadable. */
export function readAgentPidFile(file: string): AgentPid | undefined {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
  try {
    const j = JSON.parse(text) as {pid?: unknown; startTime?: unknown; starttime?: unknown}
    if (typeof j === 'object' && j !== null && typeof j.pid === 'number') {
      const st = j.startTime ?? j.starttime
      return {pid: j.pid, ...(typeof st === 'string' || typeof st === 'number' ? {startTime: String(st)} : {})}
    }
  } catch {}
  const [pid, startTime] = text.trim().split(/\s+/)
  const n = Number(pid)
  return Number.isInteger(n) && n > 0 ? {pid: n, ...(startTime ? {startTime} : {})} : undefined
}

export interface AgentLiveness {
  readonly state: AgentState
  /** The process the files name (agent.pid, else agent.json), if any. */
  readonly pid?: number
  readonly startTime?: string
  /** The process the files name is alive (same start time). */
  readonly alive: boolean
  /** agent.json, when it belongs to that process (same pid). */
  readonly info?: AgentInfo
  /** How old the heartbeat is, in ms. */
  readonly heartbeatAgeMs?: number
  /** The pid file names a process that is gone (or a reused pid). */
  readonly stalePidFile: boolean
}

function judge(pidFile: AgentPid | undefined, info: AgentInfo | undefined, now: number): AgentLiveness {
  const named = pidFile ?? (info ? {pid: info.pid, startTime: info.startTime} : undefined)
  if (!named) return {state: 'stopped', alive: false, stalePidFile: false}
  const alive = pidAlive(named.pid, named.startTime)
  const own = info && info.pid === named.pid ? info : undefined
  const beat = own ? Date.parse(own.heartbeat) : NaN
  const heartbeatAgeMs = Number.isFinite(beat) ? Math.max(0, now - beat) : undefined
  const state: AgentState = !alive
    ? 'stopped'
    : heartbeatAgeMs !== undefined && heartbeatAgeMs <= HEARTBEAT_STALE_MS
      ? 'running'
      : 'stale'
  return {
    state,
    pid: named.pid,
    ...(named.startTime !== undefined ? {startTime: named.startTime} : {}),
    alive,
    ...(own ? {info: own} : {}),
    ...(heartbeatAgeMs !== undefined ? {heartbeatAgeMs} : {}),
    stalePidFile: pidFile !== undefined && !alive,
  }
}

/** The agent's liveness from agent.pid and agent.json (daemon start, stop, status). */
export function agentLiveness(root: string, now = Date.now()): AgentLiveness {
  return judge(readAgentPidFile(agentPaths(root).pidFile), readAgentInfo(root), now)
}

/** The same from agent.json alone (it holds the pid and start time too): print status reads one file for it. */
export function agentLivenessFromInfo(root: string, now = Date.now()): AgentLiveness {
  return judge(undefined, readAgentInfo(root), now)
}
