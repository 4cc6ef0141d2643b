/** What an action that did not fully succeed did and did not do: the stderr report and the log's last line. */
import type {ExecutionResult} from '../executor/execute.js'

const byRid = (rids: string[]) => rids.join(', ')

export function formatActionSummary(action: string, service: string, r: ExecutionResult): string {
  const lines: string[] = []
  if (r.ok)
    lines.push(
      `${action} ${service}: every task was done${r.interrupted ? ` before the interruption took effect (${r.interrupted})` : ''}.`,
    )
  else lines.push(`${action} ${service} failed: ${r.error}.`)
  const done = r.tasks.filter(t => t.state === 'done').map(t => `${t.rid} ${t.op}`)
  // what the action changed is only worth listing when it stopped half-way
  if (!r.ok && done.length > 0 && r.interrupted) lines.push(`Done: ${byRid(done)}.`)
  if (r.notDone.length > 0)
    lines.push(
      `Not done: ${byRid(r.notDone.map(t => `${t.rid} ${t.op} (${t.state === 'failed' ? `failed: ${t.message}` : (t.message ?? 'not run')})`))}.`,
    )
  const undone = r.rollback.filter(u => !u.skipped)
  if (undone.length > 0)
    lines.push(
      `Rolled back: ${byRid(undone.map(u => `${u.rid} (${u.description}${u.ok ? '' : `: FAILED ${u.error}`})`))}.`,
    )
  const skipped = r.rollback.filter(u => u.skipped)
  if (skipped.length > 0)
    lines.push(
      `Rollback ${skipped[0].error}, left in place: ${byRid(skipped.map(u => `${u.rid} (${u.description})`))}.`,
    )
  return lines.join('\n  ')
}
