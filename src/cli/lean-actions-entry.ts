/**
 * The entry of dist/bundle/lean-actions.mjs: a plain action (./lean-action.ts), a plain apply
 * (./lean-apply.ts) and a plain validate (./lean-validate.ts) without oclif, through the same
 * machinery as `print status` (./lean-status.ts).
 */
import {leanActionCommand} from './lean-action-run.js'
import {leanApplyCommand} from './lean-apply-run.js'
import {leanValidateCommand} from './lean-validate-run.js'
import {runLean} from './lean-status.js'

export const runLeanStatus = (argv: readonly string[], root: string): Promise<boolean> =>
  runLean(argv, root, [leanActionCommand, leanApplyCommand, leanValidateCommand])
