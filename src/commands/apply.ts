import {Args, Flags} from '@oclif/core'
import {SvcmgrCommand} from '../cli/base.js'
import {detailedExitcodeFlag, noWaitFlag, parseWaitlock, waitlockFlag} from '../cli/action-command.js'
import {checkApplyFlags, runApply} from '../cli/apply-run.js'
import {EXIT_CODES_HELP} from '../cli/exit-codes.js'

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
    const parsed = {
      plan: args.plan,
      service: flags.service,
      config: flags.config,
      format: flags.format as 'text' | 'json' | 'jsonl',
      dryRun: flags['dry-run'],
      out: flags.out,
      eventsFile: flags['events-file'],
      detailedExitcode: flags['detailed-exitcode'],
      disableRollback: flags['disable-rollback'],
      force: flags.force,
      noWait: flags['no-wait'],
      verbose: flags.verbose,
    }
    checkApplyFlags(parsed)
    const waitlockMs = parseWaitlock(flags.waitlock)
    await runApply(this, await this.session(), {...parsed, waitlockMs})
  }
}
