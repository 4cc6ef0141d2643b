/** The lean dry-run's work (./lean-dry-run.ts): the action command's dry-run, printed as it prints it. */
import {formatPlanText} from '../render/plan-text.js'
import {runServiceAction} from '../services/actions.js'
import type {Session} from '../services/session.js'
import type {LeanDryRunRequest} from './lean-dry-run.js'

export async function runLeanDryRun(session: Session, request: LeanDryRunRequest): Promise<void> {
  const outcome = await runServiceAction(session, {
    service: request.service,
    action: request.action,
    selection: {},
    dryRun: true,
  })
  process.stdout.write(
    request.format === 'json' ? JSON.stringify(outcome.plan, null, 2) + '\n' : formatPlanText(outcome.plan),
  )
}
