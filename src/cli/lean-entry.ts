/**
 * The entry of dist/bundle/lean.mjs: `print status` without oclif (./lean-status.ts). A bundle
 * of its own, apart from the actions' (./lean-actions-entry.ts): one file holds all a cold status
 * runs, where code shared with the actions would be split into chunks it loads one by one.
 */
import {leanStatusCommand, runLean} from './lean-status.js'

export const runLeanStatus = (argv: readonly string[], root: string): Promise<boolean> =>
  runLean(argv, root, [leanStatusCommand])
