/** Action events: what every renderer, the per-service log file and the JSON result are made of. */

export type EventLevel = 'debug' | 'info' | 'warn' | 'error'
/**
 * 'skipped': the plan itself runs nothing there (a standby resource on stop, ...): not a failure.
 * 'not-run': the task should have run and did not (interrupted, or after a failure): the action failed.
 */
export type TaskState = 'running' | 'done' | 'unchanged' | 'failed' | 'skipped' | 'not-run' | 'rolled-back'

export interface ActionEvent {
  readonly time: string
  readonly level: EventLevel
  readonly node: string
  readonly service: string
  readonly rid?: string
  readonly action?: string
  readonly state?: TaskState
  /** Who acted: 'user' (a CLI command), 'agent' (svcmgr daemon) or 'fence' (the agent's watchdog). Set on the events of actions. */
  readonly actor?: 'user' | 'agent' | 'fence'
  readonly message: string
}

export interface EventSink {
  emit(event: ActionEvent): void
}

/**
 * Fans one event out to several sinks. A sink that throws (a full disk under the log file, a
 * closed output) never reaches the action: it is reported once through `onSinkError` and left
 * out from then on, while the other sinks keep receiving every event.
 */
export class EventBus implements EventSink {
  private readonly sinks: EventSink[] = []
  onSinkError: (sink: EventSink, error: Error) => void = (_sink, error) =>
    process.stderr.write(`svcmgr: warning: an event sink failed: ${error.message}; continuing without it\n`)

  constructor(...sinks: EventSink[]) {
    this.sinks.push(...sinks)
  }

  add(sink: EventSink): void {
    this.sinks.push(sink)
  }

  emit(event: ActionEvent): void {
    for (const s of [...this.sinks]) {
      try {
        s.emit(event)
      } catch (error) {
        this.sinks.splice(this.sinks.indexOf(s), 1)
        try {
          this.onSinkError(s, error as Error)
        } catch {}
      }
    }
  }
}

/** Keeps events for a JSON result. */
export class EventCollector implements EventSink {
  readonly events: ActionEvent[] = []
  emit(event: ActionEvent): void {
    if (event.level !== 'debug') this.events.push(event)
  }
}

/** "deb1.svc2.container#3" as in OpenSVC's logs. */
export function eventOrigin(e: Pick<ActionEvent, 'node' | 'service' | 'rid'>): string {
  return [e.node, e.service, e.rid].filter(Boolean).join('.')
}

/**
 * One line per event, timestamp first: the non-TTY and log-file form. The log file also names
 * who acted (`actor`: user, agent or fence) after the level; the terminal form does not.
 */
export function formatEventLine(e: ActionEvent, actor?: string): string {
  const time = e.time.slice(11, 23)
  const origin = eventOrigin(e).padEnd(28)
  const who = actor === undefined ? '' : `${actor.padEnd(5)} `
  const lines = e.message.split('\n')
  const first = `${time} ${e.level.toUpperCase().padEnd(5)} ${who}${origin} ${lines[0]}`
  return [
    first,
    ...lines.slice(1).map(l => `${' '.repeat(19)}${' '.repeat(who.length)}${' '.repeat(origin.length)}  ${l}`),
  ].join('\n')
}
