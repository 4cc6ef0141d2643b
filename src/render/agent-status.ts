/** `svcmgr daemon status` as text: one `name  value` line per fact. */
import type {AgentStatusReport} from '../services/agent-control.js'
import {formatAge} from './age.js'

export function formatAgentStatus(r: AgentStatusReport): string {
  const rows: Array<[string, string]> = [['agent', r.agent]]
  if (r.pid !== null) rows.push(['pid', String(r.pid)])
  if (r.uptime_s !== null) rows.push(['uptime', `${formatAge(r.uptime_s * 1000)} (since ${r.startedAt})`])
  if (r.pid !== null)
    rows.push(['heartbeat', r.heartbeat_age_s === null ? 'none yet' : `${formatAge(r.heartbeat_age_s * 1000)} ago`])
  if (r.pid !== null)
    rows.push([
      'watched',
      r.watched.length === 0 ? 'no service' : `${r.watched.length} service(s): ${r.watched.join(', ')}`,
    ])
  if (r.lastEvent)
    rows.push([
      'last event',
      `${r.lastEvent.time} ${r.lastEvent.service}${r.lastEvent.rid ? ` ${r.lastEvent.rid}` : ''}: ${r.lastEvent.message}`,
    ])
  if (r.stalePidFile)
    rows.push(['pid file', `${r.pidFile}: stale (its process is gone; daemon start or stop removes it)`])
  if (r.fence) {
    const f = r.fence
    const armed =
      f.lease === null
        ? 'disarmed'
        : `armed for lease ${f.lease}, deadline ${f.deadline_in_s !== null && f.deadline_in_s < 0 ? `passed ${-f.deadline_in_s}s ago` : `in ${f.deadline_in_s}s`}${f.services.length ? ` (${f.services.length} service(s): ${f.services.join(', ')})` : ''}`
    rows.push(['fence', `${f.pid === null ? 'not running' : `pid ${f.pid}`}; ${armed}`])
  }
  rows.push(['log', r.log])
  return rows.map(([k, v]) => `${k.padEnd(11)} ${v}`).join('\n') + '\n'
}
