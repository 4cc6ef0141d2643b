/**
 * `svcmgr -s X apply --config FILE|-` and `svcmgr apply PLAN.json`, with --dry-run and --format
 * text|json, without oclif, like `print status` (./lean-status.ts, which tries this too): an
 * apply in sync (CI's steady state) then costs its reads and probes, not oclif's loading. Only
 * these words and flags (each once, a plain value); anything else (--out, --force, jsonl, ...)
 * is oclif's to parse, refuse or run. The run is the command's (./apply-run.ts).
 */
import {moveLeadingServiceFlag} from './argv.js'
import {parseLeanFlags} from './lean-flags.js'

export interface LeanApplyRequest {
  /** Given with --config, else the saved plan's (read by the run). */
  readonly service?: string
  readonly config?: string
  readonly plan?: string
  readonly format: 'text' | 'json'
  readonly dryRun: boolean
}

const BOOLEANS: ReadonlySet<string> = new Set(['--dry-run'])
const STRINGS: ReadonlySet<string> = new Set(['--config'])

export function leanApplyRequest(argv: readonly string[]): LeanApplyRequest | undefined {
  const words = moveLeadingServiceFlag(argv)
  if (words[0] !== 'apply') return undefined
  const flags = parseLeanFlags(words, 1, BOOLEANS, {strings: STRINGS, positionals: 1, serviceOptional: true})
  if (!flags) return undefined
  const config = flags.strings.get('--config')
  const plan = flags.positionals[0]
  // a combination the command refuses (./apply-run.ts checkApplyFlags) is refused by oclif's run
  if ((config === undefined) === (plan === undefined) || (config !== undefined && flags.service === ''))
    return undefined
  return {
    ...(flags.service === '' ? {} : {service: flags.service}),
    ...(config === undefined ? {} : {config}),
    ...(plan === undefined ? {} : {plan}),
    format: flags.format,
    dryRun: flags.booleans.has('--dry-run'),
  }
}
