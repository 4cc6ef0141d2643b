/**
 * The CI event stream: the run events (src/log/run-events.ts) as JSON lines, one object a line,
 * written as they happen (`--format jsonl` on stdout or --out, `--events-file` beside the live
 * view). Written synchronously: a line is out before the next event, and the summary a process
 * exit writes (a signal outside an action, an uncaught end) cannot be lost behind a buffer.
 */
import fs from 'node:fs'
import type {EventLevel} from '../log/events.js'
import type {RunEvent, RunEventConsumer} from '../log/run-events.js'

const LEVEL_RANK: Record<EventLevel, number> = {debug: 0, info: 1, warn: 2, error: 3}

export class JsonLinesWriter implements RunEventConsumer {
  constructor(
    private readonly write: (line: string) => void,
    private readonly minLevel: EventLevel = 'info',
  ) {}

  see(e: RunEvent): void {
    if (e.kind === 'log') {
      // a task's state line is the log file's form of its end: the task event says it, with more
      if (e.state) return
      if (LEVEL_RANK[e.level ?? 'info'] < LEVEL_RANK[this.minLevel]) return
    }
    this.write(JSON.stringify(e) + '\n')
  }
}

/** A file the stream goes to: created or truncated now (0644, as a CI artifact), each line written through. */
export function openEventsFile(file: string): {write: (line: string) => void; close: () => void} {
  const fd = fs.openSync(file, 'w', 0o644)
  let open = true
  return {
    write: line => {
      if (open) fs.writeSync(fd, line)
    },
    close: () => {
      if (!open) return
      open = false
      fs.closeSync(fd)
    },
  }
}

/** stdout, written through (fs.writeSync: a pipe or a file, nothing buffered behind an exit). */
export function stdoutLines(line: string): void {
  fs.writeSync(1, line)
}
