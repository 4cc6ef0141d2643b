/**
 * The agent's own lines: on stderr in the action logs' line format (for systemd's journal or a
 * container's log), from the logLevel setting up, and for what concerns a service, in that
 * service's log file with the actor `agent`, beside its actions' lines.
 */
import {type ActionEvent, type EventLevel, formatEventLine} from '../log/events.js'
import {LogFileSink} from '../log/log-file.js'
import type {Actor} from './state.js'

const LEVEL_RANK: Record<EventLevel, number> = {debug: 0, info: 1, warn: 2, error: 3}

export interface AgentLogOptions {
  readonly node: string
  readonly minLevel: EventLevel
  /** The log file of a service. */
  readonly logFile: (service: string) => string
  readonly write?: (line: string) => void
  /** Who the lines are from (default the agent; the fence: ./fence-run.ts). */
  readonly actor?: Actor
}

export class AgentLog {
  private readonly write: (line: string) => void

  constructor(private readonly options: AgentLogOptions) {
    this.write = options.write ?? (l => process.stderr.write(l + '\n'))
  }

  /** A line on stderr, from the minimum level up. */
  line(event: ActionEvent): void {
    if (LEVEL_RANK[event.level] < LEVEL_RANK[this.options.minLevel]) return
    if (event.state && (event.state === 'running' || event.state === 'done')) return
    try {
      this.write(formatEventLine(event))
    } catch {}
  }

  /** The agent's own message: stderr, and the service's log file when it is about one. */
  emit(level: EventLevel, message: string, where: {service?: string; rid?: string} = {}): ActionEvent {
    const event: ActionEvent = {
      time: new Date().toISOString(),
      level,
      node: this.options.node,
      service: where.service ?? '',
      ...(where.rid ? {rid: where.rid} : {}),
      action: 'monitor',
      actor: this.options.actor ?? 'agent',
      message,
    }
    this.line(event)
    // the service's log keeps what the agent saw and did, not its routine checks
    if (where.service && level !== 'debug') {
      const file = new LogFileSink(this.options.logFile(where.service), () => undefined)
      file.emit(event)
      file.close()
    }
    return event
  }

  info(message: string, where?: {service?: string; rid?: string}) {
    return this.emit('info', message, where)
  }
  warn(message: string, where?: {service?: string; rid?: string}) {
    return this.emit('warn', message, where)
  }
  error(message: string, where?: {service?: string; rid?: string}) {
    return this.emit('error', message, where)
  }
  debug(message: string, where?: {service?: string; rid?: string}) {
    return this.emit('debug', message, where)
  }
}
