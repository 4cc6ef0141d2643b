/**
 * The plan digest: sha256 (hex) of the plan's deterministic JSON (keys sorted at every level, no
 * whitespace: stableStringify of ./observe.ts). The same plan gives the same digest whatever
 * order its objects were built in; the event stream stamps it on every event, saved plans carry it.
 */
import {createHash} from 'node:crypto'
import {stableStringify} from './observe.js'
import type {Plan} from './types.js'

export function planDigest(plan: Plan): string {
  return createHash('sha256').update(stableStringify(plan)).digest('hex')
}
