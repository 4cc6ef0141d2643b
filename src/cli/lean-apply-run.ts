/** The lean apply's work (./lean-apply.ts): the command's run (./apply-run.ts), printing as oclif does. */
import type {ServiceDocument} from '../config/document.js'
import {parseDocument} from '../config/document.js'
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

/**
 * Runs the apply. skipUnneeded: leaves out the core plugins none of these configs can need; the
 * config to apply is read once, here, so that what decides the plugins is what is applied (a
 * saved plan loads them all).
 */
export async function runLeanApply(
  session: Session,
  request: LeanApplyRequest,
  skipUnneeded: (docs: readonly ServiceDocument[]) => void,
): Promise<void> {
  const input = request.config === undefined ? undefined : await readConfigInput(request.config)
  if (input && request.service !== undefined) {
    let doc: ServiceDocument | undefined
    try {
      doc = parseDocument(input.text, request.service, input.origin)
    } catch {
      // its error is the run's to report, with every plugin loaded
    }
    if (doc) skipUnneeded([doc])
  }
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
  // with a saved plan, or a config that does not parse, every core plugin is loaded
  run: (session, config, request) =>
    runLeanApply(session, request, docs => config.skipUnneeded(session, request.service!, docs)),
}
