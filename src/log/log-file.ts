/** The per-service log file: every action appends what ran, its output and its result. */
import fs from 'node:fs'
import {openStateLogForAppend} from '../config/state-files.js'
import {type ActionEvent, type EventSink, formatEventLine} from './events.js'

export class LogFileSink implements EventSink {
  private fd: number | undefined

  constructor(readonly file: string) {}

  emit(event: ActionEvent): void {
    if (this.fd === undefined) {
      this.fd = openStateLogForAppend(this.file)
    }
    // the full ISO date in the file: the terminal form only shows the time
    fs.writeSync(this.fd, `${event.time.slice(0, 10)} ${formatEventLine(event)}\n`)
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd)
    this.fd = undefined
  }
}
