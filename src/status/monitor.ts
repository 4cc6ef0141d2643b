/**
 * The node agent's view of a service for `print status` (issue 14): whether the agent runs,
 * the monitor's state (idle, restarting, failed with its reason), its last check and the
 * restarts it used per resource. Read from two small files, agent.json and the service's
 * monitor.json: a cold status pays two reads and a /proc lookup, never a call to the agent.
 */
import fs from 'node:fs'
import path from 'node:path'
import {type AgentState, agentLivenessFromInfo} from '../agent/liveness.js'
import {readMonitorState} from '../agent/state.js'

export interface MonitorView {
  readonly agent: AgentState
  /** When the monitor last checked this service (ISO), null if it never did. */
  readonly last_check: string | null
  /** Restarts used per rid since the service's last start (or clear). */
  readonly restarts: Record<string, number>
  /** `unknown`: a monitor.json that cannot be read (the view is not guessed). */
  readonly state: 'idle' | 'restarting' | 'failed' | 'unknown'
  readonly reason?: string
}

/** The monitor view of the service whose state folder is varDir, under the state root `root`. */
export function monitorView(root: string, varDir: string, now = Date.now()): MonitorView {
  const agent = agentLivenessFromInfo(root, now).state
  const state = readMonitorState(varDir)
  if (!state) {
    // absent: the agent never judged this service; present but unreadable: unknown, said so
    const present = fs.existsSync(path.join(varDir, 'monitor.json'))
    return {agent, last_check: null, restarts: {}, state: present ? 'unknown' : 'idle'}
  }
  const restarts: Record<string, number> = {}
  for (const [rid, n] of Object.entries(state.restarts ?? {})) if (typeof n === 'number' && n > 0) restarts[rid] = n
  const known = ['idle', 'restarting', 'failed'].includes(state.state)
  return {
    agent,
    last_check: typeof state.last_check === 'string' ? state.last_check : null,
    restarts,
    state: known ? state.state : 'unknown',
    ...(typeof state.reason === 'string' && state.reason ? {reason: state.reason} : {}),
  }
}
