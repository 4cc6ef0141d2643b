/** Picks how an action shows progress (a live tree on a TTY, one line per event elsewhere, nothing for JSON), and the line printer. */
import {type ActionEvent, type EventLevel, type EventSink, formatEventLine} from '../log/events.js'
import type {RunEvent, RunEventConsumer} from '../log/run-events.js'

export type RendererChoice = 'tty' | 'lines' | 'silent'

/** The terminal's view: none when stdout carries a document (json, jsonl) or a picture (mermaid, dot, svg). */
export function chooseRenderer(options: {format: string; verbose?: boolean}): RendererChoice {
  if (options.format !== 'text') return 'silent'
  if (options.verbose || !process.stdout.isTTY || process.env.CI) return 'lines'
  return 'tty'
}

const LEVEL_RANK: Record<EventLevel, number> = {debug: 0, info: 1, warn: 2, error: 3}

/**
 * One line per event, from `minLevel` up: the `logLevel` setting (info by default; warn or error
 * for quiet scripts), debug with --verbose. The log file keeps every level whatever this says.
 */
export class LinePrinterSink implements EventSink {
  constructor(
    private readonly minLevel: EventLevel = 'info',
    private readonly write: (line: string) => void = l => process.stdout.write(l + '\n'),
  ) {}
  emit(event: ActionEvent): void {
    if (LEVEL_RANK[event.level] < LEVEL_RANK[this.minLevel]) return
    // task state changes are for the JSON result and the log; a line is printed only when it says something
    if (event.state && (event.state === 'running' || event.state === 'done')) return
    this.write(formatEventLine(event))
  }
}

/** A log run event as the action event it came from (the line printer's and the log file's form). */
export function logEventOf(e: RunEvent): ActionEvent {
  return {
    time: e.ts,
    level: e.level ?? 'info',
    node: e.node,
    service: e.service,
    action: e.action,
    ...(e.rid !== undefined ? {rid: e.rid} : {}),
    ...(e.state ? {state: e.state} : {}),
    message: e.message ?? '',
  }
}

/** The "lines" view: every log event of the action as a line, a task's output as any other. */
export class LinesView implements RunEventConsumer {
  private readonly printer: LinePrinterSink
  constructor(minLevel?: EventLevel, write?: (line: string) => void) {
    this.printer = new LinePrinterSink(minLevel, write)
  }

  see(e: RunEvent): void {
    if (e.kind === 'log') this.printer.emit(logEventOf(e))
  }
}
