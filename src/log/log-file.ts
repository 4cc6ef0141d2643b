/**
 * The per-service log file: every action appends what ran, its output and its result.
 * Losing the log must not lose the action: a write that fails (disk full, file made read-only)
 * is reported once on stderr and the action goes on without the file.
 */
import fs from 'node:fs'
import {openStateLogForAppend} from '../config/state-files.js'
import {type ActionEvent, type EventSink, formatEventLine} from './events.js'

export class LogFileSink implements EventSink {
  private fd: number | undefined
  private failed = false

  constructor(
    readonly file: string,
    private readonly warn: (message: string) => void = m => process.stderr.write(`${m}\n`),
  ) {}

  emit(event: ActionEvent): void {
    if (this.failed) return
    try {
      if (this.fd === undefined) {
        this.fd = openStateLogForAppend(this.file)
      }
      // the full ISO date in the file (the terminal form only shows the time), and who acted
      const line = Buffer.from(`${event.time.slice(0, 10)} ${formatEventLine(event, event.actor ?? 'user')}\n`)
      // a short write (a nearly full disk) is a failure too: the rest would be lost silently
      for (let off = 0; off < line.length;) {
        const n = fs.writeSync(this.fd, line, off)
        if (n <= 0) throw Object.assign(new Error('no space left on device, write'), {code: 'ENOSPC'})
        off += n
      }
    } catch (error) {
      this.failed = true
      this.close()
      const e = error as NodeJS.ErrnoException
      this.warn(
        `svcmgr: cannot write the log file ${this.file}: ${e.code ?? e.message}${e.code ? ` (${e.message})` : ''}; continuing without it`,
      )
    }
  }

  /** Whether writing stopped after a failure. */
  get broken(): boolean {
    return this.failed
  }

  close(): void {
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd)
      } catch {}
    }
    this.fd = undefined
  }
}
