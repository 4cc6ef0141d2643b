/** The shared shape of start, stop, restart, provision and unprovision. */
import {Flags} from '@oclif/core'
import {formatPlanText} from '../render/plan-text.js'
import {LinePrinterSink, chooseRenderer} from '../render/renderer.js'
import {runServiceAction} from '../services/actions.js'
import type {ServiceAction} from '../planner/types.js'
import {parseDuration} from '../config/keywords.js'
import {UsageError} from '../config/store.js'
import {ActionFailedError, ServiceCommand} from './base.js'

const list = (v?: string) => (v ? v.split(',').map(s => s.trim()).filter(Boolean) : undefined)

export const selectionFlags = {
  rid: Flags.string({description: 'Resources to act on: a comma list of rids (container#3), driver groups (container) or group.type (container.docker). Dependencies are added.'}),
  tags: Flags.string({description: 'Act on the resources having any of these comma-separated tags.'}),
  subsets: Flags.string({description: 'Act on the resources of these comma-separated subsets.'}),
}

export abstract class ActionCommand extends ServiceCommand {
  static action: ServiceAction
  static flags = {
    ...selectionFlags,
    'dry-run': Flags.boolean({description: 'Print the plan (order, parallel groups, commands) and change nothing.'}),
    'disable-rollback': Flags.boolean({description: 'On failure, leave what this action started as it is.'}),
    force: Flags.boolean({description: 'Also act on standby resources and allow destructive steps.'}),
    waitlock: Flags.string({description: 'How long to wait for another action on this service to finish (e.g. 30s).', default: '0'}),
    local: Flags.boolean({description: 'Act on this node only (the only mode svcmgr has; accepted for OpenSVC compatibility).'}),
    verbose: Flags.boolean({char: 'v', description: 'One line per event, with debug messages.'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(this.constructor as typeof ActionCommand)
    const action = (this.constructor as typeof ActionCommand).action
    const waitlockMs = parseDuration(flags.waitlock)
    if (waitlockMs === undefined) throw new UsageError(`--waitlock: expected a duration like 30s or 1m, got ${JSON.stringify(flags.waitlock)}`)
    const format = flags.format as 'text' | 'json'
    const renderer = chooseRenderer({format, verbose: flags.verbose})
    const session = await this.session()
    const outcome = await runServiceAction(session, {
      service: flags.service,
      action,
      selection: {rids: list(flags.rid), tags: list(flags.tags), subsets: list(flags.subsets)},
      dryRun: flags['dry-run'],
      force: flags.force,
      disableRollback: flags['disable-rollback'],
      waitlockMs,
      renderer,
      progress: renderer === 'lines' ? new LinePrinterSink(flags.verbose) : undefined,
    })
    if (outcome.dryRun) {
      if (format === 'json') this.printJson(outcome.plan)
      else process.stdout.write(formatPlanText(outcome.plan))
      return
    }
    if (format === 'json') this.printJson({version: outcome.version, service: outcome.service, action: outcome.action, ok: outcome.ok, error: outcome.result?.error, tasks: outcome.result?.tasks, rollback: outcome.result?.rollback, events: outcome.events})
    if (!outcome.ok) {
      const r = outcome.result!
      const rolled = r.rollback.length > 0 ? ` Rolled back: ${r.rollback.map(u => `${u.rid} (${u.description}${u.ok ? '' : `: FAILED ${u.error}`})`).join(', ')}.` : ''
      if (format !== 'json') this.logToStderr(`svcmgr: ${action} ${outcome.service} failed: ${r.error}.${rolled}`)
      throw new ActionFailedError(r.error)
    }
  }
}
