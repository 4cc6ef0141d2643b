/**
 * TEMPORARY copy of the agent's state files contract (wt-agent owns this file; its seam commit
 * replaces it at the merge). The node agent's files: <root>/agent/agent.pid (pid and process
 * start time), <root>/agent/agent.json (what it does, with a heartbeat), and per service
 * <varDir>/monitor.json (the monitor's view) and <varDir>/intent.json (started/stopped by whom).
 */
import fs from 'node:fs'
import path from 'node:path'
import {writeStateFileAtomic} from '../config/state-files.js'

export interface AgentPaths {
  readonly dir: string
  readonly pidFile: string
  readonly infoFile: string
  readonly logFile: string
}

export function agentPaths(root: string): AgentPaths {
  const dir = path.join(root, 'agent')
  return {
    dir,
    pidFile: path.join(dir, 'agent.pid'),
    infoFile: path.join(dir, 'agent.json'),
    logFile: path.join(dir, 'agent.log'),
  }
}

export interface AgentEvent {
  readonly time: string
  readonly service: string
  readonly rid?: string
  readonly message: string
}

export interface AgentInfo {
  readonly version: 1
  readonly pid: number
  readonly startTime: string
  readonly startedAt: string
  readonly heartbeat: string
  readonly watched: readonly string[]
  readonly lastEvent?: AgentEvent
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch {
    return undefined
  }
}

export function readAgentInfo(root: string): AgentInfo | undefined {
  const info = readJson(agentPaths(root).infoFile) as AgentInfo | undefined
  return typeof info?.pid === 'number' ? info : undefined
}

export type MonitorStateName = 'idle' | 'restarting' | 'failed'

export interface MonitorState {
  readonly version: 1
  readonly state: MonitorStateName
  readonly reason?: string
  readonly restarts: Record<string, number>
  readonly last_check?: string
}

export function readMonitorState(varDir: string): MonitorState | undefined {
  const state = readJson(path.join(varDir, 'monitor.json')) as MonitorState | undefined
  return typeof state?.state === 'string' ? state : undefined
}

export function writeMonitorState(varDir: string, state: MonitorState): void {
  writeStateFileAtomic(path.join(varDir, 'monitor.json'), JSON.stringify(state, null, 2) + '\n')
}

export interface Intent {
  readonly version: 1
  readonly intent: 'started' | 'stopped'
  readonly by: 'user' | 'agent'
  readonly time: string
}

export function readIntent(varDir: string): Intent | undefined {
  const intent = readJson(path.join(varDir, 'intent.json')) as Intent | undefined
  return typeof intent?.intent === 'string' ? intent : undefined
}

export function writeIntent(varDir: string, intent: Intent): void {
  writeStateFileAtomic(path.join(varDir, 'intent.json'), JSON.stringify(intent, null, 2) + '\n')
}
