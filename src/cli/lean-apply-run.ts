/** The lean apply's work (./lean-apply.ts): the command's run (./apply-run.ts), printing as oclif does. */
import {readConfigInput} from '../services/config-edit.js'
import type {Session} from '../services/session.js'
import {runApply, type ApplyPrinter} from './apply-run.js'
import {LeanExit} from './lean-action-run.js'
import {type LeanApplyRequest, leanApplyRequest} from './lean-apply.js'
import type {LeanCommand} from './lean-status.js'

const printer: ApplyPrinter = {
  printJson: value => process.stdout.write(JSON.stringify(value, null, 2) + '\n'),
  log: message => process.stdout.write(message + '\n'),
  logToStderr: message => process.stderr.write(message + '\n'),
  exit(code: number): never {
    throw new LeanExit(code)
  },
}

/** Runs the apply; the config to apply is read here, once, and handed to runApply. */
export async function runLeanApply(session: Session, request: LeanApplyRequest): Promise<void> {
  const input = request.config === undefined ? undefined : await readConfigInput(request.config)
  await runApply(printer, session, {
    plan: request.plan,
    service: request.service,
    config: request.config,
    format: request.format,
    dryRun: request.dryRun,
    // oclif's default --waitlock, 0
    waitlockMs: 0,
    ...(input ? {input} : {}),
  })
}

export const leanApplyCommand: LeanCommand<LeanApplyRequest> = {
  request: leanApplyRequest,
  run: (session, _config, request) => runLeanApply(session, request),
}
