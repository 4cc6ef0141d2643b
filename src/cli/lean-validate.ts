/**
 * `svcmgr [-s X] validate [config] [--config FILE|-] [--format text|json]` without oclif, like
 * `print status` (./lean-status.ts, which tries this too): a CI's config check then costs the
 * check, not oclif's loading. Only these words and flags (each once, a plain value); anything
 * else, and neither -s nor --config (oclif's usage error), is oclif's to parse, refuse or run.
 * The run is the command's (src/services/validate.ts, src/render/validation.ts).
 */
import {moveLeadingServiceFlag} from './argv.js'
import {parseLeanFlags} from './lean-flags.js'

export interface LeanValidateRequest {
  readonly service?: string
  readonly config?: string
  readonly format: 'text' | 'json'
}

const STRINGS: ReadonlySet<string> = new Set(['--config'])

export function leanValidateRequest(argv: readonly string[]): LeanValidateRequest | undefined {
  const words = moveLeadingServiceFlag(argv)
  if (words[0] !== 'validate') return undefined
  // `validate config` and `validate`, the same command
  const flags = parseLeanFlags(words, words[1] === 'config' ? 2 : 1, new Set(), {
    strings: STRINGS,
    serviceOptional: true,
  })
  if (!flags) return undefined
  const config = flags.strings.get('--config')
  if (flags.service === '' && config === undefined) return undefined
  return {
    ...(flags.service === '' ? {} : {service: flags.service}),
    ...(config === undefined ? {} : {config}),
    format: flags.format,
  }
}
