/** The text of `svcmgr cluster status`: the etcd members, then the nodes. */
import type {ClusterStatusReport} from '../services/cluster-status.js'

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)))
  return (
    rows.map(r => '  ' + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n') + '\n'
  )
}

export function formatClusterStatus(report: ClusterStatusReport): string {
  let out = 'etcd members:\n'
  out += table([
    ['ENDPOINT', 'REACHABLE', 'LEADER', 'RAFT TERM', 'VERSION'],
    ...report.members.map(m =>
      m.reachable
        ? [m.endpoint, 'yes', m.isLeader ? 'yes' : 'no', String(m.raftTerm ?? '-'), m.version ?? '-']
        : [m.endpoint, `no (${m.error ?? 'no answer'})`, '-', '-', '-'],
    ),
  ])
  out += 'nodes:\n'
  if (report.nodes === null) out += `  unknown: etcd did not answer (${report.nodesError})\n`
  else if (report.nodes.length === 0) out += '  none has announced itself yet\n'
  else
    out += table([
      ['NODE', 'AGENT', 'LAST SEEN'],
      ...report.nodes.map(n => [n.node, n.alive ? 'alive' : 'down', n.lastSeen ?? '-']),
    ])
  if (report.services === undefined) return out
  out += 'services:\n'
  if (report.services === null) out += '  unknown: etcd did not answer\n'
  else if (report.services.length === 0) out += '  none\n'
  else
    out += table([
      ['SERVICE', 'OWNER', 'PLACEMENT', 'FROZEN', 'MOVE'],
      ...report.services.map(s => [
        s.service,
        s.owner ?? '-',
        s.placement ?? '-',
        s.frozen ? 'frozen' : '-',
        s.target ? `to ${s.target}` : '-',
      ]),
    ])
  return out
}
