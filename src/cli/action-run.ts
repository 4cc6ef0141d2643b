/**
 * Runs an action and reports it (the plan of a dry run, the live view, the result, the failure
 * report): the work of the action commands, `create --provision` and `apply`, and of the lean
 * path (./lean-action.ts) that runs a plain action without oclif. No oclif here: the printer is
 * the command, or the lean path's stand-in.
 */
import {formatActionSummary} from '../render/action-summary.js'
import {ActionOutput} from './action-output.js'
import {type ActionRequest, runServiceAction} from '../services/actions.js'
import {SIGNAL_EXIT_CODE} from '../services/interrupts.js'
import type {Session} from '../services/session.js'
import {EXIT, ActionFailedError, exitCodeOf} from '../errors.js'

/** What a run prints through: an oclif command has these, the lean path its own. */
export interface ActionPrinter {
  printJson(value: unknown): void
  logToStderr(message: string): void
  /** Ends the command with this exit code (throws). */
  exit(code: number): never
}

/**
 * Runs an action with the progress renderer the output calls for, then prints its result: the
 * plan for a dry run, the result document with --format json, and on failure what was done, what
 * was not, and what was rolled back (ActionFailedError: exit code 1, or 128 + the signal's number
 * when a signal interrupted it). Shared by the action commands and `create --provision`.
 */
export async function runAndReport(
  command: ActionPrinter,
  session: Session,
  request: Omit<ActionRequest, 'view'>,
  output: {
    format: string
    verbose?: boolean
    hint?: string
    out?: string
    eventsFile?: string
    detailedExitcode?: boolean
  },
): Promise<void> {
  // the plugins the service cannot need are not loaded (nothing changes once they are)
  if (!request.prepared) session.skipUnneeded(request.service)
  const run = new ActionOutput(
    {...output, dryRun: request.dryRun},
    {node: session.settings.nodename, service: request.service, action: request.prepared?.name ?? request.action},
    session.settings.logLevel,
  )
  try {
    await runAndEnd(command, run, session, request, output.hint, output.detailedExitcode)
  } catch (error) {
    // errors are events too: a config error, a lock refused, a defect; the stream still ends with its summary
    run.fail(error, exitCodeOf(error))
    throw error
  } finally {
    run.close()
  }
}

async function runAndEnd(
  command: ActionPrinter,
  run: ActionOutput,
  session: Session,
  request: Omit<ActionRequest, 'view'>,
  hint: string | undefined,
  detailedExitcode?: boolean,
): Promise<void> {
  const outcome = await runServiceAction(session, {...request, view: run.hub})
  if (outcome.dryRun) {
    await run.printPlan(outcome.plan)
    // --detailed-exitcode: 4 when the plan would change something, 0 when in sync
    const pending = detailedExitcode && outcome.plan.tasks.some(t => t.change !== 'none')
    run.end({exitCode: pending ? EXIT.pending : EXIT.ok, ok: true, dryRun: true})
    if (pending) command.exit(EXIT.pending)
    return
  }
  const r = outcome.result!
  const exitCode = outcome.signal ? SIGNAL_EXIT_CODE[outcome.signal] : outcome.ok ? EXIT.ok : EXIT.failed
  run.end({
    exitCode,
    ok: outcome.ok && exitCode === EXIT.ok,
    result: r,
    ...(outcome.signal ? {signal: outcome.signal} : {}),
  })
  if (run.format === 'json')
    run.document(
      JSON.stringify(
        {
          version: outcome.version,
          service: outcome.service,
          action: outcome.action,
          ok: outcome.ok,
          exitCode,
          error: r.error,
          ...(outcome.signal ? {signal: outcome.signal} : {}),
          tasks: r.tasks,
          notDone: r.notDone,
          rollback: r.rollback,
          events: outcome.events,
        },
        null,
        2,
      ) + '\n',
    )
  if (exitCode === EXIT.ok) return
  if (run.format !== 'json')
    command.logToStderr(
      `svcmgr: ${formatActionSummary(outcome.action, outcome.service, r)}${hint && !outcome.ok ? `\n  ${hint}` : ''}`,
    )
  throw new ActionFailedError(r.error ?? r.interrupted ?? 'interrupted', exitCode)
}
