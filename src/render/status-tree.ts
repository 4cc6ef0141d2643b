/** The status tree, in the layout of OpenSVC's `print status`. */
import type {MonitorView} from '../status/monitor.js'
import type {ServiceStatusReport} from '../status/status.js'
import type {ClusterInstanceView, ClusterView} from '../status/cluster-view.js'
import {formatAge} from './age.js'

const STATUS_COL = 35

function flagsOf(r: ServiceStatusReport['resources'][string], running: boolean): string {
  // R running, M monitored, D disabled, O optional, E encapsulated, P not provisioned, S standby
  return [
    running ? 'R' : '.',
    r.monitor ? 'M' : '.',
    r.disabled ? 'D' : '.',
    r.optional ? 'O' : '.',
    '.',
    r.provisioned === false ? 'P' : '.',
    r.standby ? 'S' : '.',
    '.',
  ].join('')
}

export function formatStatusTree(s: ServiceStatusReport, now = Date.now()): string {
  const lines: string[] = []
  lines.push(`${s.service.padEnd(STATUS_COL)}${s.overall}`)
  if (s.cluster) lines.push(formatClusterLine(s.cluster))
  if (s.monitor) lines.push(formatMonitorLine(s.monitor))
  lines.push('`- instances')
  const notices = [
    s.frozen ? 'frozen' : '',
    s.running ? `${s.running} in progress` : 'idle',
    s.monitor?.state === 'failed' ? 'failed' : '',
    s.avail === 'up' ? 'started' : s.avail === 'down' ? 'stopped' : '',
    s.avail === 'up' && !s.ready ? 'not ready' : '',
  ].filter(Boolean)
  const c = s.cluster
  // a cluster service: one line per node of its `nodes`, this node's resources under its own
  const others = c ? Object.keys(c.instances) : []
  const order = c ? (others.includes(s.node) ? others : [...others, s.node]) : [s.node]
  order.forEach((node, n) => {
    const lastNode = n === order.length - 1
    const branch = `   ${lastNode ? '`-' : '|-'} ${node}`.padEnd(STATUS_COL)
    if (node !== s.node) {
      const i = c!.instances[node]
      lines.push(`${branch}${i.avail.padEnd(11)}${clusterNotices(c!, node, i, now).join(', ')}`.trimEnd())
      return
    }
    const here = c?.instances[node]
    const all = c && here ? [...clusterNotices(c, node, here, now, true), ...notices] : notices
    lines.push(`${branch}${s.avail.padEnd(11)}${all.join(', ')}`.trimEnd())
    const indent = lastNode ? '      ' : '   |  '
    const rids = Object.keys(s.resources)
    rids.forEach((rid, i) => {
      const r = s.resources[rid]
      const last = i === rids.length - 1
      lines.push(
        `${indent}${last ? '`-' : '|-'} ${rid.padEnd(16)} ${flagsOf(r, false)} ${r.status.padEnd(10)} ${r.label}`.trimEnd(),
      )
      for (const entry of r.log)
        lines.push(
          `${indent}${last ? '  ' : '| '}  ${' '.repeat(16)} ${' '.repeat(8)} ${entry.level === 'info' ? '' : `${entry.level}: `}# ${entry.message}`,
        )
    })
  })
  return lines.join('\n') + '\n'
}

/** The cluster line: owner and its lease's time left, the placement leader, a freeze, a pending move. */
export function formatClusterLine(c: ClusterView): string {
  const parts = c.error
    ? [`etcd did not answer: ${c.error}`]
    : [
        c.owner
          ? `owner ${c.owner}${c.lease_remaining_s === null ? '' : c.lease_remaining_s < 0 ? ' (lease gone)' : ` (lease ${c.lease_remaining_s}s left)`}`
          : 'no owner',
        `placement leader ${c.placement ?? 'none'}`,
        c.frozen ? `frozen cluster-wide by ${c.frozen.by} at ${c.frozen.time}` : '',
        c.target ? `move to ${c.target.node} pending (asked by ${c.target.by} at ${c.target.time})` : '',
      ].filter(Boolean)
  const state = c.error ? 'unknown' : c.frozen ? 'frozen' : 'thawed'
  return `${'|- cluster'.padEnd(STATUS_COL)}${state.padEnd(11)}${parts.join('; ')}`
}

function clusterNotices(c: ClusterView, node: string, i: ClusterInstanceView, now: number, here = false): string[] {
  const t = i.transition
  const at = t ? Date.parse(t.time) : NaN
  return [
    c.owner === node ? 'owner' : '',
    c.placement === node ? 'leader' : '',
    here ? 'this node' : '',
    !here && i.frozen ? 'frozen' : '',
    !here && i.failed ? `failed${i.reason ? ` (${i.reason})` : ''}` : '',
    i.agent === 'alive' ? '' : `agent ${i.agent}`,
    t ? `last ${t.from} -> ${t.to}${Number.isFinite(at) ? ` ${formatAge(now - at)} ago` : ''}: ${t.reason}` : '',
  ].filter(Boolean)
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
