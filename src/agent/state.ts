/**
 * The node agent's state files: the one module that reads and writes them (the agent, the CLI's
 * actions, `daemon status` and print status's monitor view all go through it). Every file is
 * private (0600 in 0700 folders) and replaced atomically (src/config/state-files.ts): a reader
 * sees the old content or the new, never half of it. A file that is absent or does not read as
 * its version 1 shape is "nothing known" (undefined, or the idle monitor state), never an error.
 *
 *   <root>/agent/agent.pid       "<pid> <process start time>\n"
 *   <root>/agent/agent.json      AgentInfo: liveness (heartbeat), what it watches, its last event
 *   <varDir>/monitor.json        MonitorState: restarts used per resource, idle|restarting|failed
 *   <varDir>/intent.json         IntentRecord: started or stopped, by the user or the agent
 */
import fs from 'node:fs'
import path from 'node:path'
import {writeStateFileAtomic} from '../config/state-files.js'
import {pidAlive} from '../drivers/host.js'

export const AGENT_STATE_VERSION = 1

/** The agent rewrites agent.json at least this often: a heartbeat older than 3 periods means a hung agent. */
export const HEARTBEAT_INTERVAL_MS = 5_000

export interface AgentPaths {
  /** <root>/agent */
  readonly dir: string
  /** <root>/agent/agent.pid */
  readonly pidFile: string
  /** <root>/agent/agent.json */
  readonly infoFile: string
  /** <root>/agent/lease.json: the cluster agent's lease (src/cluster/lease.ts), read by its fence too */
  readonly leaseFile: string
}

export function agentPaths(root: string): AgentPaths {
  const dir = path.join(root, 'agent')
  return {
    dir,
    pidFile: path.join(dir, 'agent.pid'),
    infoFile: path.join(dir, 'agent.json'),
    leaseFile: path.join(dir, 'lease.json'),
  }
}

/** What the agent did or saw last (a restart, a failure, a start at boot). */
export interface AgentEvent {
  readonly time: string
  readonly service: string
  readonly rid?: string
  readonly message: string
}

/** <root>/agent/agent.json */
export interface AgentInfo {
  readonly version: 1
  readonly pid: number
  /** The process start time (/proc/<pid>/stat field 22), against pid reuse. */
  readonly startTime: string
  /** ISO time the agent started. */
  readonly startedAt: string
  /** ISO time of the last rewrite, at least every HEARTBEAT_INTERVAL_MS. */
  readonly heartbeat: string
  /** The services it watches now (intent started, not frozen), sorted. */
  readonly watched: readonly string[]
  readonly lastEvent?: AgentEvent
}

/** The pid file's content. */
export interface AgentPid {
  readonly pid: number
  readonly startTime: string
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch {
    return undefined
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function readAgentInfo(root: string): AgentInfo | undefined {
  const v = readJson(agentPaths(root).infoFile)
  if (!isObject(v) || v.version !== 1 || typeof v.pid !== 'number' || typeof v.heartbeat !== 'string') return undefined
  return {...v, watched: Array.isArray(v.watched) ? v.watched.map(String) : []} as unknown as AgentInfo
}

export function writeAgentInfo(root: string, info: AgentInfo): void {
  writeStateFileAtomic(agentPaths(root).infoFile, JSON.stringify(info, null, 2) + '\n')
}

export function readAgentPid(root: string): AgentPid | undefined {
  try {
    const [pid, startTime] = fs.readFileSync(agentPaths(root).pidFile, 'utf8').trim().split(/\s+/)
    const n = Number(pid)
    return Number.isInteger(n) && n > 0 ? {pid: n, startTime: startTime ?? ''} : undefined
  } catch {
    return undefined
  }
}

export function writeAgentPid(root: string, pid: AgentPid): void {
  writeStateFileAtomic(agentPaths(root).pidFile, `${pid.pid} ${pid.startTime}\n`)
}

/** Removes the pid file if it is still this process's (a newer agent's is left alone). */
export function removeAgentPid(root: string, pid: number): void {
  if (readAgentPid(root)?.pid === pid) fs.rmSync(agentPaths(root).pidFile, {force: true})
}

/**
 * Whether an agent runs for this state root: 'running' (the pid file's process is alive, with
 * the start time recorded beside it), 'stale' (a pid file left by an agent that died without
 * its cleanup: kill -9, a crash), 'stopped' (no pid file: never started, or stopped cleanly;
 * agent.json, when there, is its last run's). `info` is agent.json as found.
 */
export function agentLiveness(root: string): {
  state: 'running' | 'stale' | 'stopped'
  pid?: AgentPid
  info?: AgentInfo
} {
  const pid = readAgentPid(root)
  const info = readAgentInfo(root)
  const found = {...(pid ? {pid} : {}), ...(info ? {info} : {})}
  if (!pid) return {state: 'stopped', ...found}
  return {state: pidAlive(pid.pid, pid.startTime || undefined) ? 'running' : 'stale', ...found}
}

export type MonitorStateValue = 'idle' | 'restarting' | 'failed'

/** <varDir>/monitor.json: the agent's view of one service. */
export interface MonitorState {
  readonly version: 1
  readonly state: MonitorStateValue
  /** Why it is failed (or what it is restarting). */
  readonly reason?: string
  /** Restarts used per resource since the service's last start by a user (or the agent's own start). */
  readonly restarts: Readonly<Record<string, number>>
  /** ISO time of the agent's last check of the service. */
  readonly last_check?: string
  /**
   * The resources of the restart in progress (state restarting): an agent that finds them
   * after its predecessor died mid-restart does not count that attempt (it never concluded).
   */
  readonly restarting?: readonly string[]
  /**
   * Per resource, the interrupted restarts already not counted since the last start by a user:
   * one is forgiven, a second counts, so an agent killed at every restart still exhausts `restart`.
   */
  readonly forgiven?: Readonly<Record<string, number>>
}

export const IDLE_MONITOR_STATE: MonitorState = {version: 1, state: 'idle', restarts: {}}

export const monitorFile = (varDir: string) => path.join(varDir, 'monitor.json')
export const intentFile = (varDir: string) => path.join(varDir, 'intent.json')

const MONITOR_STATES: ReadonlySet<string> = new Set(['idle', 'restarting', 'failed'])

/** The monitor state; the idle one with no restarts when there is none (never monitored, or reset). */
export function readMonitorState(varDir: string): MonitorState {
  const v = readJson(monitorFile(varDir))
  if (!isObject(v) || v.version !== 1 || typeof v.state !== 'string' || !MONITOR_STATES.has(v.state))
    return IDLE_MONITOR_STATE
  const restarts = isObject(v.restarts) ? countsOf(v.restarts) : {}
  return {
    version: 1,
    state: v.state as MonitorStateValue,
    ...(typeof v.reason === 'string' ? {reason: v.reason} : {}),
    restarts,
    ...(typeof v.last_check === 'string' ? {last_check: v.last_check} : {}),
    ...(Array.isArray(v.restarting) ? {restarting: v.restarting.map(String)} : {}),
    ...(isObject(v.forgiven) ? {forgiven: countsOf(v.forgiven)} : {}),
  }
}

function countsOf(v: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [rid, n] of Object.entries(v)) if (typeof n === 'number' && n >= 0) out[rid] = n
  return out
}

export function writeMonitorState(varDir: string, state: Omit<MonitorState, 'version'>): void {
  const doc: MonitorState = {
    version: 1,
    state: state.state,
    ...(state.reason !== undefined ? {reason: state.reason} : {}),
    restarts: state.restarts,
    ...(state.last_check !== undefined ? {last_check: state.last_check} : {}),
    ...(state.restarting?.length ? {restarting: state.restarting} : {}),
    ...(state.forgiven && Object.keys(state.forgiven).length ? {forgiven: state.forgiven} : {}),
  }
  writeStateFileAtomic(monitorFile(varDir), JSON.stringify(doc, null, 2) + '\n')
}

export type Intent = 'started' | 'stopped'
/** Who acted: a user (the CLI), the agent, or the fence (./fence.ts: the agent's watchdog, for a lost lease). */
export type Actor = 'user' | 'agent' | 'fence'

/** <varDir>/intent.json: what the service should be, as the last successful start/stop said. */
export interface IntentRecord {
  readonly version: 1
  readonly intent: Intent
  readonly by: Actor
  /** ISO time it was written. */
  readonly time: string
}

export function readIntent(varDir: string): IntentRecord | undefined {
  const v = readJson(intentFile(varDir))
  if (!isObject(v) || v.version !== 1 || (v.intent !== 'started' && v.intent !== 'stopped')) return undefined
  return {
    version: 1,
    intent: v.intent,
    by: v.by === 'agent' || v.by === 'fence' ? v.by : 'user',
    time: typeof v.time === 'string' ? v.time : '',
  }
}

export function writeIntent(varDir: string, intent: {intent: Intent; by: Actor; time?: string}): void {
  const doc: IntentRecord = {
    version: 1,
    intent: intent.intent,
    by: intent.by,
    time: intent.time ?? new Date().toISOString(),
  }
  writeStateFileAtomic(intentFile(varDir), JSON.stringify(doc, null, 2) + '\n')
}
