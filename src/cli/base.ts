/** Base classes for svcmgr commands: shared flags, the session, and errors ended with their exit code (../errors.ts). */
import {Command, Flags} from '@oclif/core'
import {iniProblems} from '../config/ini.js'
import {installInterruptHandlers, receivedInterrupt, restoreTerminal, SIGNAL_EXIT_CODE} from '../services/interrupts.js'
import {Session} from '../services/session.js'
import {ActionFailedError, EXIT, UsageError, exitCodeOf} from '../errors.js'

export abstract class SvcmgrCommand extends Command {
  static baseFlags = {
    format: Flags.string({
      description: 'Output format.',
      options: ['text', 'json'],
      default: 'text',
      helpGroup: 'GLOBAL',
    }),
  }

  private sessionPromise?: Promise<Session>

  async init(): Promise<void> {
    // bin/run.js installs them first thing; again here for commands run in-process
    installInterruptHandlers()
    await super.init()
  }

  protected session(): Promise<Session> {
    this.sessionPromise ??= Session.open(this.config)
    return this.sessionPromise
  }

  printJson(value: unknown): void {
    process.stdout.write(JSON.stringify(value, null, 2) + '\n')
  }

  async catch(error: Error & {oclif?: {exit?: number}}): Promise<never> {
    if (error.oclif?.exit !== undefined) throw error
    const usage = exitCodeOf(error) === EXIT.usage
    // an interrupted command exits with its signal's code whatever error it ended with
    const signal = receivedInterrupt()
    const code = signal ? SIGNAL_EXIT_CODE[signal] : exitCodeOf(error)
    if (!(error instanceof ActionFailedError)) this.logToStderr(`svcmgr: ${error.message}`)
    if (process.env.SVCMGR_DEBUG && !usage && error.stack) this.logToStderr(error.stack)
    if (signal) restoreTerminal()
    return this.exit(code)
  }
}

export abstract class ServiceCommand extends SvcmgrCommand {
  static baseFlags = {
    ...SvcmgrCommand.baseFlags,
    service: Flags.string({
      char: 's',
      description: 'The service name (may also come before the command: svcmgr -s svc2 start).',
      required: true,
      helpGroup: 'GLOBAL',
    }),
  }
}

/** Parses --kw "section.keyword=value" (no section: DEFAULT). Keywords never hold a dot; section names may. */
export function parseKwAssignment(spec: string, withValue: boolean): {section: string; keyword: string; value: string} {
  const eq = spec.indexOf('=')
  if (withValue && eq === -1)
    throw new UsageError(`--kw: expected <section>.<keyword>=<value>, got ${JSON.stringify(spec)}`)
  if (!withValue && eq !== -1)
    throw new UsageError(`--kw: expected <section>.<keyword> without a value, got ${JSON.stringify(spec)}`)
  const path = withValue ? spec.slice(0, eq) : spec
  const dot = path.lastIndexOf('.')
  const section = dot === -1 ? 'DEFAULT' : path.slice(0, dot)
  const keyword = dot === -1 ? path : path.slice(dot + 1)
  if (!/^[a-z_][a-z0-9_]*$/i.test(keyword) || section === '')
    throw new UsageError(
      `--kw: expected <section>.<keyword>${withValue ? '=<value>' : ''} such as container#3.image${withValue ? '=redis:3.0' : ''}, got ${JSON.stringify(spec)}`,
    )
  const value = withValue ? spec.slice(eq + 1) : ''
  // a value the config file cannot hold as given (a control character, a line break that would start a new line) is refused here, before anything is read or written
  const problems = iniProblems([{name: section, entries: [[keyword, withValue ? value : 'x']]}])
  if (problems.length > 0) throw new UsageError(`--kw: ${problems[0]}`)
  return {section, keyword, value}
}
