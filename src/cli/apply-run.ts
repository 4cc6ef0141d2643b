/**
 * `apply`'s work once its flags are parsed: the checks of their combinations, the plan (from a
 * config or a saved plan), the dry-run's print, `no changes`, or the run. Shared by the oclif
 * command (src/commands/apply.ts) and the lean path (./lean-apply.ts), so both print and exit alike.
 */
import {parseDocument, type ServiceDocument} from '../config/document.js'
import {formatApplyPlanText, formatChangeCounts, formatConfigDiff} from '../render/apply-plan.js'
import {applyRequest, assertPlanCurrent, planApply, servicesOfPlan} from '../services/apply.js'
import {readConfigInput} from '../services/config-edit.js'
import {type ApplyPlanOptions, readSavedPlan, serializePlan, writeSavedPlan} from '../services/saved-plan.js'
import type {Session} from '../services/session.js'
import {EXIT, UsageError} from '../errors.js'
import {ActionOutput} from './action-output.js'
import {type ActionPrinter, runAndReport} from './action-run.js'

/** What apply prints through: an action's printer and oclif's `log` (one line on stdout). */
export interface ApplyPrinter extends ActionPrinter {
  log(message: string): void
}

export interface ApplyFlags {
  readonly plan?: string
  readonly service?: string
  readonly config?: string
  readonly format: 'text' | 'json' | 'jsonl'
  readonly dryRun: boolean
  readonly out?: string
  readonly eventsFile?: string
  // undefined when not given, as oclif's parse leaves them (a saved plan's options hold what was given)
  readonly detailedExitcode?: boolean
  readonly disableRollback?: boolean
  readonly force?: boolean
  readonly noWait?: boolean
  readonly verbose?: boolean
  readonly waitlockMs: number
  /** The config --config names, when the caller read it already (the lean path: once, see ./lean-apply-run.ts). */
  readonly input?: {readonly text: string; readonly origin: string}
}

/** The usage errors of flags that do not go together (before any session or file is opened). */
export function checkApplyFlags(flags: Omit<ApplyFlags, 'waitlockMs' | 'input'>): void {
  const {dryRun, format} = flags
  if (flags.out !== undefined && !dryRun)
    throw new UsageError('--out: only with --dry-run (the plan is saved, not run)')
  if (flags.detailedExitcode && !dryRun) throw new UsageError('--detailed-exitcode: only with --dry-run')
  if (flags.plan !== undefined && flags.config !== undefined)
    throw new UsageError(`--config: not with a saved plan (${flags.plan} holds its config)`)
  if (flags.plan === undefined && flags.config === undefined)
    throw new UsageError('expected --config FILE (with -s NAME) or a saved plan file')
  if (flags.plan === undefined && flags.service === undefined)
    throw new UsageError('-s/--service: required with --config')
  if (dryRun && (format === 'jsonl' || flags.eventsFile !== undefined))
    throw new UsageError(
      `${format === 'jsonl' ? '--format jsonl' : '--events-file'}: the event stream of a run, not with --dry-run (its plan: --format json)`,
    )
}

export async function runApply(command: ApplyPrinter, session: Session, flags: ApplyFlags): Promise<void> {
  const {dryRun, format} = flags
  let planned
  if (flags.plan !== undefined) {
    if (flags.out !== undefined) throw new UsageError('--out: not with a saved plan')
    const plan = readSavedPlan(flags.plan)
    if (flags.service !== undefined && flags.service !== plan.service)
      throw new UsageError(`-s/--service: ${flags.service}, but the plan ${flags.plan} is for ${plan.service}`)
    const services = await servicesOfPlan(session, plan)
    // a dry run of a saved plan says whether it would still run (exit 3 when stale)
    if (dryRun) await assertPlanCurrent(session, plan, services)
    planned = {plan, services, mask: services.mask}
  } else {
    const input = flags.input ?? (await readConfigInput(flags.config!))
    // the plugins neither config can need are not loaded; a config that does not parse loads
    // them all (its error is the plan's to report); a saved plan loads them all too
    let doc: ServiceDocument | undefined
    try {
      doc = parseDocument(input.text, flags.service!, input.origin)
    } catch {
      // reported by planApply
    }
    if (doc) session.skipUnneeded(flags.service!, [doc])
    // as oclif's parse gives them: a flag not given is undefined, left out of the saved plan (and its digest)
    const options = {force: flags.force, disableRollback: flags.disableRollback, noWait: flags.noWait}
    planned = await planApply(session, flags.service!, input, options as ApplyPlanOptions, doc)
  }
  const {plan, mask} = planned

  if (dryRun) {
    if (flags.out !== undefined) writeSavedPlan(flags.out, plan)
    // stdout (a CI log) never shows a secret value; the --out file keeps them, 0600, to be applied
    if (format === 'json') process.stdout.write(mask(serializePlan(plan)))
    else {
      process.stdout.write(formatApplyPlanText(plan, mask))
      if (flags.out !== undefined) command.log(`plan saved to ${flags.out}: svcmgr apply ${flags.out}`)
    }
    if (flags.detailedExitcode && plan.changes) command.exit(EXIT.pending)
    return
  }
  if (!plan.changes) {
    // a saved plan of nothing is still checked: "no changes" must be true now
    if (flags.plan !== undefined) await assertPlanCurrent(session, plan, {...planned.services, mask})
    if (format === 'json')
      command.printJson({
        version: 1,
        service: plan.service,
        action: 'apply',
        ok: true,
        exitCode: 0,
        changes: false,
        digest: plan.digest,
      })
    else if (format === 'text') command.log(`apply ${plan.service}: no changes`)
    if (format === 'jsonl' || flags.eventsFile !== undefined) {
      // the stream of an apply with nothing to do: its summary (done, no task)
      const run = new ActionOutput(
        {format, eventsFile: flags.eventsFile},
        {node: session.settings.nodename, service: plan.service, action: 'apply'},
        session.settings.logLevel,
      )
      run.end({exitCode: EXIT.ok, ok: true})
      run.close()
    }
    return
  }
  // printed holding the lock, once the plan is known current: a stale one prints only its refusal
  const verified = (remove: typeof plan.remove, converge: typeof plan.converge) => {
    if (format !== 'text') return
    process.stdout.write(formatConfigDiff(plan, mask))
    command.log(`changes: ${formatChangeCounts([remove, converge])} (plan digest ${plan.digest})`)
  }
  await runAndReport(
    command,
    session,
    await applyRequest(session, planned, {saved: flags.plan !== undefined, waitlockMs: flags.waitlockMs, verified}),
    {
      format,
      verbose: flags.verbose,
      eventsFile: flags.eventsFile,
      hint: `(run \`svcmgr -s ${plan.service} print status\` to see where it stands; apply again once the cause is fixed)`,
    },
  )
}
