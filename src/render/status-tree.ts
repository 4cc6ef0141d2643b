/** The status tree, in the layout of OpenSVC's `print status`. */
import type {ServiceStatusReport} from '../status/status.js'

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
  lines.push('`- instances')
  const notices = [
    s.frozen ? 'frozen' : '',
    s.running ? `${s.running} in progress` : 'idle',
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
