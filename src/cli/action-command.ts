/** The shared shape of start, stop, restart, provision and unprovision. */
import {Flags} from '@oclif/core'
import {runAndReport} from './action-run.js'
import type {Selection, ServiceAction} from '../planner/types.js'
import {checkDuration} from '../config/keywords.js'
import {ServiceCommand} from './base.js'
import {UsageError} from '../errors.js'
import {ACTION_FORMATS} from './action-output.js'

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

/** --format, --out, --events-file of the actions (./action-output.ts prints them). */
export const actionOutputFlags = {
  format: Flags.string({
    description:
      'Output format: text, json (the result, or the plan of a dry run), jsonl (one event a line as the action runs, then a summary), or a picture of the plan with --dry-run: mermaid, dot, svg (needs --out).',
    options: [...ACTION_FORMATS],
    default: 'text',
    helpGroup: 'GLOBAL',
  }),
  out: Flags.string({description: 'Write the output to this file instead of stdout (--format svg needs it).'}),
  'events-file': Flags.string({
    description:
      'Also write the event stream (JSON lines, as --format jsonl) to this file while the terminal shows the live view.',
  }),
}

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

export {runAndReport} from './action-run.js'
