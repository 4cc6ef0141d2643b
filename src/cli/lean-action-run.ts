/** The lean action's work (./lean-action.ts): the action command's run, through the same runAndReport. */
import {runAndReport, type ActionPrinter} from './action-run.js'
import type {Session} from '../services/session.js'
import {type LeanActionRequest, leanActionRequest} from './lean-action.js'
import {exitOnceWritten, type LeanCommand} from './lean-status.js'

/** The exit code a lean action ends with when it is not 0 (oclif's `this.exit`). */
export class LeanExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`)
    this.name = 'LeanExit'
  }
}

const printer: ActionPrinter = {
  printJson: value => process.stdout.write(JSON.stringify(value, null, 2) + '\n'),
  logToStderr: message => process.stderr.write(message + '\n'),
  exit(code: number): never {
    throw new LeanExit(code)
  },
}

export async function runLeanAction(session: Session, request: LeanActionRequest): Promise<void> {
  await runAndReport(
    printer,
    session,
    {service: request.service, action: request.action, selection: {}, dryRun: request.dryRun},
    {format: request.format},
  )
}

export const leanActionCommand: LeanCommand<LeanActionRequest> = {
  request: leanActionRequest,
  async run(session, _config, request) {
    await runLeanAction(session, request)
    // a dry-run changed nothing and leaves nothing pending: it ends once its plan is written
    if (request.dryRun) await exitOnceWritten('')
  },
}
