/**
 * The node agent's view of a service for `print status` (issue 14): whether the agent runs,
 * the monitor's state (idle, restarting, failed with its reason), its last check and the
 * restarts it used per resource. From two small files, agent.json and the service's
 * monitor.json (and a stat of agent.pid): a cold status never calls the agent.
 */
import fs from 'node:fs'
import {type AgentState, agentLivenessForStatus} from '../agent/liveness.js'
import {IDLE_MONITOR_STATE, monitorFile, readMonitorState} from '../agent/state.js'

export interface MonitorView {
  readonly agent: AgentState
  /** When the monitor last checked this service (ISO), null if it never did. */
  readonly last_check: string | null
  /** Restarts used per rid since the service's last start (or clear): only those restarted. */
  readonly restarts: Record<string, number>
  /** `unknown`: a monitor.json that does not read as one (the view is not guessed). */
  readonly state: 'idle' | 'restarting' | 'failed' | 'unknown'
  readonly reason?: string
}

/** The monitor view of the service whose state folder is varDir, under the state root `root`. */
export function monitorView(root: string, varDir: string, now = Date.now()): MonitorView {
  const agent = agentLivenessForStatus(root, now)
  const m = readMonitorState(varDir)
  // the idle state itself comes back for a file that is absent (never monitored) or unreadable
  if (m === IDLE_MONITOR_STATE)
    return {agent, last_check: null, restarts: {}, state: fs.existsSync(monitorFile(varDir)) ? 'unknown' : 'idle'}
  const restarts: Record<string, number> = {}
  for (const [rid, n] of Object.entries(m.restarts)) if (n > 0) restarts[rid] = n
  return {
    agent,
    last_check: m.last_check ?? null,
    restarts,
    state: m.state,
    ...(m.reason ? {reason: m.reason} : {}),
  }
}
