/**
 * `svcmgr -s X <action> [--dry-run] [--format text|json]` without oclif, like `print status`
 * (./lean-status.ts, which tries this too): a plain action's cost, and the state-aware dry-run's,
 * is then its own work, not oclif's loading (tens of ms of a start). Only these exact words and
 * flags (each once, with a plain value); anything else is oclif's to parse, refuse or run. The
 * run itself is the action commands' (./action-run.ts): the same plan, view, result and exit code.
 */
import type {ServiceAction} from '../planner/types.js'
import {moveLeadingServiceFlag} from './argv.js'

export interface LeanActionRequest {
  readonly service: string
  readonly action: ServiceAction
  readonly format: 'text' | 'json'
  readonly dryRun: boolean
}

const ACTIONS: ReadonlySet<string> = new Set(['start', 'stop', 'restart', 'provision', 'unprovision'])

export function leanActionRequest(argv: readonly string[]): LeanActionRequest | undefined {
  const words = moveLeadingServiceFlag(argv)
  const action = words[0]
  if (!ACTIONS.has(action)) return undefined
  let service: string | undefined
  let format: string | undefined
  let dryRun = false
  const plain = (v: string | undefined) => v !== undefined && v !== '' && !v.startsWith('-')
  for (let i = 1; i < words.length; i++) {
    const w = words[i]
    if (w === '--dry-run') {
      if (dryRun) return undefined
      dryRun = true
      continue
    }
    let name: 'service' | 'format'
    let value: string | undefined
    if (w === '-s' || w === '--service' || w === '--format') {
      name = w === '--format' ? 'format' : 'service'
      value = words[++i]
    } else if (w.startsWith('--service=') || w.startsWith('--format=')) {
      name = w.startsWith('--service=') ? 'service' : 'format'
      value = w.slice(w.indexOf('=') + 1)
    } else if (w.startsWith('-s') && !w.startsWith('-s=') && w.length > 2) {
      name = 'service'
      value = w.slice(2)
    } else {
      return undefined
    }
    if (!plain(value)) return undefined
    if (name === 'service') {
      if (service !== undefined) return undefined
      service = value
    } else {
      if (format !== undefined || (value !== 'text' && value !== 'json')) return undefined
      format = value
    }
  }
  if (service === undefined) return undefined
  return {service, action: action as ServiceAction, format: (format ?? 'text') as 'text' | 'json', dryRun}
}
