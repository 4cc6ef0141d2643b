/** The status tree, in the layout of OpenSVC's `print status`. */
import type {MonitorView} from '../status/monitor.js'
import type {ServiceStatusReport} from '../status/status.js'
import {formatAge} from './age.js'

const STATUS_COL = 35

function flagsOf(r: ServiceStatusReport['resources'][string], running: boolean): string {
  // R running, M monitored, D disabled, O optional, E encapsulated, P not provisioned, S standby
  return [
    running ? 'R' : '.',
    '.',
    r.disabled ? 'D' : '.',
    r.optional ? 'O' : '.',
    '.',
    r.provisioned === false ? 'P' : '.',
    r.standby ? 'S' : '.',
    '.',
  ].join('')
}

export function formatStatusTree(s: ServiceStatusReport): string {
  const lines: string[] = []
  lines.push(`${s.service.padEnd(STATUS_COL)}${s.overall}`)
  if (s.monitor) lines.push(formatMonitorLine(s.monitor))
  lines.push('`- instances')
  const notices = [
    s.frozen ? 'frozen' : '',
    s.running ? `${s.running} in progress` : 'idle',
    s.monitor?.state === 'failed' ? 'failed' : '',
    s.avail === 'up' ? 'started' : s.avail === 'down' ? 'stopped' : '',
    s.avail === 'up' && !s.ready ? 'not ready' : '',
  ].filter(Boolean)
  lines.push(`${`   \`- ${s.node}`.padEnd(STATUS_COL)}${s.avail.padEnd(11)}${notices.join(', ')}`)
  const rids = Object.keys(s.resources)
  rids.forEach((rid, i) => {
    const r = s.resources[rid]
    const last = i === rids.length - 1
    lines.push(
      `      ${last ? '`-' : '|-'} ${rid.padEnd(16)} ${flagsOf(r, false)} ${r.status.padEnd(10)} ${r.label}`.trimEnd(),
    )
    for (const entry of r.log)
      lines.push(
        `      ${last ? '  ' : '| '}  ${' '.repeat(16)} ${' '.repeat(8)} ${entry.level === 'info' ? '' : `${entry.level}: `}# ${entry.message}`,
      )
  })
  return lines.join('\n') + '\n'
}

/**
 * The monitor's line under the service header: its state, why it failed, whether the agent
 * runs, its last check and the restarts it used (`rid=n`, only those it used).
 */
export function formatMonitorLine(m: MonitorView, now = Date.now()): string {
  const restarts = Object.entries(m.restarts).map(([rid, n]) => `${rid}=${n}`)
  const checked = m.last_check === null ? NaN : Date.parse(m.last_check)
  const parts = [
    m.reason ?? '',
    `agent ${m.agent}`,
    Number.isFinite(checked) ? `last check ${formatAge(now - checked)} ago` : 'never checked',
    restarts.length > 0 ? `restarts ${restarts.join(' ')}` : '',
  ].filter(Boolean)
  return `${'|- monitor'.padEnd(STATUS_COL)}${m.state.padEnd(11)}${parts.join('; ')}`
}
