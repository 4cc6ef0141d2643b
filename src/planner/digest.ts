/**
 * The plan digest: sha256 (hex) of the plan's deterministic JSON (keys sorted at every level, no
 * whitespace). The same plan gives the same digest whatever order its objects were built in; the
 * event stream stamps it on every event, saved plans carry it.
 */
import {createHash} from 'node:crypto'
import type {Plan} from './types.js'

/** JSON with every object's keys sorted (arrays keep their order; undefined members are left out as JSON.stringify does). */
export function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v
    const sorted: Record<string, unknown> = {}
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k]
    return sorted
  })
}

export function planDigest(plan: Plan): string {
  return createHash('sha256').update(sortedJson(plan)).digest('hex')
}
