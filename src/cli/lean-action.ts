/**
 * `svcmgr -s X <action> [--dry-run] [--format text|json]` without oclif, like `print status`
 * (./lean-status.ts, which tries this too): a plain action's cost, and the state-aware dry-run's,
 * is then its own work, not oclif's loading (tens of ms of a start). Only these exact words and
 * flags (each once, with a plain value); anything else is oclif's to parse, refuse or run. The
 * run itself is the action commands' (./action-run.ts): the same plan, view, result and exit code.
 */
import type {ServiceAction} from '../planner/types.js'
import {moveLeadingServiceFlag} from './argv.js'
import {parseLeanFlags} from './lean-flags.js'

export interface LeanActionRequest {
  readonly service: string
  readonly action: ServiceAction
  readonly format: 'text' | 'json'
  readonly dryRun: boolean
}

const ACTIONS: ReadonlySet<string> = new Set(['start', 'stop', 'restart', 'provision', 'unprovision'])
const DRY_RUN: ReadonlySet<string> = new Set(['--dry-run'])

export function leanActionRequest(argv: readonly string[]): LeanActionRequest | undefined {
  const words = moveLeadingServiceFlag(argv)
  const action = words[0]
  if (!ACTIONS.has(action)) return undefined
  const flags = parseLeanFlags(words, 1, DRY_RUN)
  return (
    flags && {
      service: flags.service,
      action: action as ServiceAction,
      format: flags.format,
      dryRun: flags.booleans.has('--dry-run'),
    }
  )
}
