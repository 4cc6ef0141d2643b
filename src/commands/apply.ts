import {Args, Flags} from '@oclif/core'
import {SvcmgrCommand} from '../cli/base.js'
import {detailedExitcodeFlag, noWaitFlag, parseWaitlock, runAndReport, waitlockFlag} from '../cli/action-command.js'
import {formatApplyPlanText, formatChangeCounts, formatConfigDiff} from '../render/apply-plan.js'
import {applyRequest, assertPlanCurrent, planApply, servicesOfPlan} from '../services/apply.js'
import {readConfigInput} from '../services/config-edit.js'
import {readSavedPlan, serializePlan, writeSavedPlan} from '../services/saved-plan.js'
import {EXIT_CODES_HELP} from '../cli/exit-codes.js'
import {EXIT, UsageError} from '../errors.js'
import {ActionOutput} from '../cli/action-output.js'

export default class Apply extends SvcmgrCommand {
  static summary = 'Create or update a service from a config and converge it, or run a saved plan.'
  static description = `With --config: store the config (printing its diff keyword by keyword), then provision what is absent, recreate what drifted, start what should be up, and stop and remove what the removed sections made. Run twice, the second run prints "no changes". --dry-run prints the diff and the plan only; --out saves the plan, which \`svcmgr apply FILE\` runs as saved, refusing (exit 3) when the stored config or the observed state changed since.

${EXIT_CODES_HELP}`
  static examples = [
    '<%= config.bin %> -s svc2 apply --config svc2.json',
    'cat svc2.conf | <%= config.bin %> -s svc2 apply --config=-',
    '<%= config.bin %> -s svc2 apply --config svc2.json --dry-run --detailed-exitcode',
    '<%= config.bin %> -s svc2 apply --config svc2.json --dry-run --out plan.json',
    '<%= config.bin %> apply plan.json',
  ]
  static args = {
    // ignoreStdin: the config may come on standard input (--config=-), never the plan's name
    plan: Args.string({
      description: 'A saved plan (apply --dry-run --out FILE) to run as saved.',
      required: false,
      ignoreStdin: true,
    }),
  }
  static flags = {
    format: Flags.string({
      description:
        'Output format: text, json (the plan of a dry run, or the result), jsonl (one event a line as the apply runs, then a summary; not with --dry-run).',
      options: ['text', 'json', 'jsonl'],
      default: 'text',
      helpGroup: 'GLOBAL',
    }),
    'events-file': Flags.string({
      description:
        'Also write the event stream (JSON lines, as --format jsonl) to this file while the terminal shows the live view.',
    }),
    service: Flags.string({
      char: 's',
      description: 'The service name (with --config; a saved plan names its own).',
      helpGroup: 'GLOBAL',
    }),
    config: Flags.string({description: 'The config file (INI or JSON, flat or wrapped), or - for standard input.'}),
    'dry-run': Flags.boolean({description: 'Print the config diff and the plan; change nothing.'}),
    out: Flags.string({description: 'With --dry-run: save the plan to this file (0600: it holds the config).'}),
    'detailed-exitcode': detailedExitcodeFlag,
    'disable-rollback': Flags.boolean({description: 'On failure, leave what this apply started as it is.'}),
    force: Flags.boolean({description: 'Also act on standby resources and allow destructive steps.'}),
    'no-wait': noWaitFlag,
    waitlock: waitlockFlag(),
    verbose: Flags.boolean({char: 'v', description: 'One line per event, with debug messages.'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Apply)
    const dryRun = flags['dry-run']
    if (flags.out !== undefined && !dryRun)
      throw new UsageError('--out: only with --dry-run (the plan is saved, not run)')
    if (flags['detailed-exitcode'] && !dryRun) throw new UsageError('--detailed-exitcode: only with --dry-run')
    if (args.plan !== undefined && flags.config !== undefined)
      throw new UsageError(`--config: not with a saved plan (${args.plan} holds its config)`)
    if (args.plan === undefined && flags.config === undefined)
      throw new UsageError('expected --config FILE (with -s NAME) or a saved plan file')
    if (args.plan === undefined && flags.service === undefined)
      throw new UsageError('-s/--service: required with --config')
    const format = flags.format as 'text' | 'json' | 'jsonl'
    if (dryRun && (format === 'jsonl' || flags['events-file'] !== undefined))
      throw new UsageError(
        `${format === 'jsonl' ? '--format jsonl' : '--events-file'}: the event stream of a run, not with --dry-run (its plan: --format json)`,
      )
    const waitlockMs = parseWaitlock(flags.waitlock)
    const session = await this.session()

    let planned
    if (args.plan !== undefined) {
      if (flags.out !== undefined) throw new UsageError('--out: not with a saved plan')
      const plan = readSavedPlan(args.plan)
      if (flags.service !== undefined && flags.service !== plan.service)
        throw new UsageError(`-s/--service: ${flags.service}, but the plan ${args.plan} is for ${plan.service}`)
      const services = await servicesOfPlan(session, plan)
      // a dry run of a saved plan says whether it would still run (exit 3 when stale)
      if (dryRun) await assertPlanCurrent(session, plan, services)
      planned = {plan, services, mask: services.mask}
    } else {
      const input = await readConfigInput(flags.config!)
      planned = await planApply(session, flags.service!, input, {
        force: flags.force,
        disableRollback: flags['disable-rollback'],
        noWait: flags['no-wait'],
      })
    }
    const {plan, mask} = planned

    if (dryRun) {
      if (flags.out !== undefined) writeSavedPlan(flags.out, plan)
      // stdout (a CI log) never shows a secret value; the --out file keeps them, 0600, to be applied
      if (format === 'json') process.stdout.write(mask(serializePlan(plan)))
      else {
        process.stdout.write(formatApplyPlanText(plan, mask))
        if (flags.out !== undefined) this.log(`plan saved to ${flags.out}: svcmgr apply ${flags.out}`)
      }
      if (flags['detailed-exitcode'] && plan.changes) this.exit(EXIT.pending)
      return
    }
    if (!plan.changes) {
      // a saved plan of nothing is still checked: "no changes" must be true now
      if (args.plan !== undefined) await assertPlanCurrent(session, plan, {...planned.services, mask})
      if (format === 'json')
        this.printJson({
          version: 1,
          service: plan.service,
          action: 'apply',
          ok: true,
          exitCode: 0,
          changes: false,
          digest: plan.digest,
        })
      else if (format === 'text') this.log(`apply ${plan.service}: no changes`)
      if (format === 'jsonl' || flags['events-file'] !== undefined) {
        // the stream of an apply with nothing to do: its summary (done, no task)
        const run = new ActionOutput(
          {format, eventsFile: flags['events-file']},
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
      this.log(`changes: ${formatChangeCounts([remove, converge])} (plan digest ${plan.digest})`)
    }
    await runAndReport(
      this,
      session,
      await applyRequest(session, planned, {saved: args.plan !== undefined, waitlockMs, verified}),
      {
        format,
        verbose: flags.verbose,
        eventsFile: flags['events-file'],
        hint: `(run \`svcmgr -s ${plan.service} print status\` to see where it stands; apply again once the cause is fixed)`,
      },
    )
  }
}
