/** Picks how an action shows progress (a live tree on a TTY, one line per event elsewhere, nothing for JSON), and the line printer. */
import type {ExecutionObserver} from '../executor/observer.js'
import {type ActionEvent, type EventLevel, type EventSink, formatEventLine} from '../log/events.js'

export type RendererChoice = 'tty' | 'lines' | 'silent'

export function chooseRenderer(options: {format: 'text' | 'json'; verbose?: boolean}): RendererChoice {
  if (options.format === 'json') return 'silent'
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

/** The "lines" view: every event of the action as a line, a task's output as any other. */
export class LinesView implements ExecutionObserver {
  private readonly printer: LinePrinterSink
  constructor(minLevel?: EventLevel, write?: (line: string) => void) {
    this.printer = new LinePrinterSink(minLevel, write)
  }

  taskOutput(_task: unknown, event: ActionEvent): void {
    this.printer.emit(event)
  }

  event(event: ActionEvent): void {
    this.printer.emit(event)
  }
}
