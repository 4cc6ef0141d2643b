/** The shared shape of start, stop, restart, provision and unprovision. */
import {Flags} from '@oclif/core'
import {formatActionSummary} from '../render/action-summary.js'
import {ActionOutput, actionOutputFlags} from './action-output.js'
import {type ActionRequest, runServiceAction} from '../services/actions.js'
import {SIGNAL_EXIT_CODE} from '../services/interrupts.js'
import type {Session} from '../services/session.js'
import type {Selection, ServiceAction} from '../planner/types.js'
import {checkDuration} from '../config/keywords.js'
import {ServiceCommand, type SvcmgrCommand} from './base.js'
import {EXIT, ActionFailedError, UsageError, exitCodeOf} from '../errors.js'

const EXPECTED_ITEMS = {rid: 'rids, groups or group.types', tags: 'tags', subsets: 'subset names'} as const

/**
 * A selection flag's comma list. An empty value or an empty item (`--rid ''`, `--rid ,`,
 * `--rid "$A,$B"` with A unset) is refused: read as "no selection" it would select the whole
 * service.
 */
export function parseSelectionList(
  flag: keyof typeof EXPECTED_ITEMS,
  value: string | undefined,
  what: string = EXPECTED_ITEMS[flag],
): string[] | undefined {
  if (value === undefined) return undefined
  const items = value.split(',').map(s => s.trim())
  const expected = `--${flag}: expected a comma list of ${what}`
  if (items.every(i => i === '')) throw new UsageError(`${expected}, got an empty value ${JSON.stringify(value)}`)
  if (items.includes('')) throw new UsageError(`${expected}, got an empty item in ${JSON.stringify(value)}`)
  return items
}

export function parseSelection(flags: {rid?: string; tags?: string; subsets?: string}): Selection {
  return {
    rids: parseSelectionList('rid', flags.rid),
    tags: parseSelectionList('tags', flags.tags),
    subsets: parseSelectionList('subsets', flags.subsets),
  }
}

export const selectionFlags = {
  rid: Flags.string({
    description:
      'Resources to act on: a comma list of rids (container#3), driver groups (container) or group.type (container.docker). Dependencies are added.',
  }),
  tags: Flags.string({description: 'Act on the resources having any of these comma-separated tags.'}),
  subsets: Flags.string({description: 'Act on the resources of these comma-separated subsets.'}),
}

/** --waitlock of the commands that take the service lock (actions, and config edits waiting for an action). */
export const waitlockFlag = (what = 'another action on this service') =>
  Flags.string({description: `How long to wait for ${what} to finish (e.g. 30s).`, default: '0'})

export function parseWaitlock(value: string): number {
  const waitlock = checkDuration(value)
  if (!waitlock.ok) throw new UsageError(`--waitlock: expected ${waitlock.expected}, got ${JSON.stringify(value)}`)
  return waitlock.value
}

/** --no-wait of the actions that start resources: done once started, no readiness wait (src/readiness). */
export const noWaitFlag = Flags.boolean({
  description: 'Return once everything is started: no readiness wait (readiness_probe) between the stages.',
})

/** --detailed-exitcode of the dry-runs (actions and apply): 0 no changes, 4 changes pending. */
export const detailedExitcodeFlag = Flags.boolean({
  description: 'With --dry-run: exit 0 when there are no changes, 4 when changes are pending.',
})

export abstract class ActionCommand extends ServiceCommand {
  static action: ServiceAction
  static flags = {
    ...selectionFlags,
    'dry-run': Flags.boolean({description: 'Print the plan (order, parallel groups, commands) and change nothing.'}),
    'detailed-exitcode': detailedExitcodeFlag,
    'disable-rollback': Flags.boolean({description: 'On failure, leave what this action started as it is.'}),
    force: Flags.boolean({description: 'Also act on standby resources and allow destructive steps.'}),
    waitlock: waitlockFlag(),
    local: Flags.boolean({
      description: 'Act on this node only (the only mode svcmgr has; accepted for OpenSVC compatibility).',
    }),
    verbose: Flags.boolean({char: 'v', description: 'One line per event, with debug messages.'}),
    ...actionOutputFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(this.constructor as typeof ActionCommand)
    const action = (this.constructor as typeof ActionCommand).action
    const waitlockMs = parseWaitlock(flags.waitlock)
    if (flags['detailed-exitcode'] && !flags['dry-run'])
      throw new UsageError('--detailed-exitcode: only with --dry-run')
    await runAndReport(
      this,
      await this.session(),
      {
        service: flags.service,
        action,
        selection: parseSelection(flags),
        dryRun: flags['dry-run'],
        force: flags.force,
        disableRollback: flags['disable-rollback'],
        waitlockMs,
        noWait: (flags as {'no-wait'?: boolean})['no-wait'],
      },
      {
        format: flags.format,
        verbose: flags.verbose,
        out: flags.out,
        eventsFile: flags['events-file'],
        detailedExitcode: flags['detailed-exitcode'],
      },
    )
  }
}

/**
 * Runs an action with the progress renderer the output calls for, then prints its result: the
 * plan for a dry run, the result document with --format json, and on failure what was done, what
 * was not, and what was rolled back (ActionFailedError: exit code 1, or 128 + the signal's number
 * when a signal interrupted it). Shared by the action commands and `create --provision`.
 */
export async function runAndReport(
  command: SvcmgrCommand,
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
  command: SvcmgrCommand,
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
