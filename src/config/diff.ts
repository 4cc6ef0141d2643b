/**
 * The difference between two service configs, keyword by keyword: what `apply` prints before
 * it converges and what a stale saved plan names. Deterministic: sections in natural rid order
 * (DEFAULT first), keywords in the order the newer config lists them, removed ones after.
 */
import type {ServiceDocument} from './document.js'
import {naturalCompare} from '../model/rid.js'

export type ConfigDiffEntry =
  /** A keyword added (a new section lists each of its keywords so). */
  | {readonly op: 'add'; readonly section: string; readonly keyword: string; readonly to: string}
  /** A new section without keywords. */
  | {readonly op: 'add-section'; readonly section: string}
  | {
      readonly op: 'change'
      readonly section: string
      readonly keyword: string
      readonly from: string
      readonly to: string
    }
  /** A keyword removed from a section that stays. */
  | {readonly op: 'remove'; readonly section: string; readonly keyword: string; readonly from: string}
  /** A whole section removed: its resource is stopped and removed. */
  | {readonly op: 'remove-section'; readonly section: string}

function sectionOrder(a: string, b: string): number {
  if (a === b) return 0
  if (a === 'DEFAULT') return -1
  if (b === 'DEFAULT') return 1
  return naturalCompare(a, b)
}

/** `before` absent: the service does not exist yet, everything is added. */
export function diffDocuments(before: ServiceDocument | undefined, after: ServiceDocument): ConfigDiffEntry[] {
  const old = new Map((before ?? []).map(s => [s.name, new Map(s.entries)]))
  const next = new Map(after.map(s => [s.name, s.entries]))
  const names = [...new Set([...old.keys(), ...next.keys()])].sort(sectionOrder)
  const out: ConfigDiffEntry[] = []
  for (const section of names) {
    const was = old.get(section)
    const now = next.get(section)
    if (!now) {
      // an empty DEFAULT is no section at all
      if (section !== 'DEFAULT' || was!.size > 0) out.push({op: 'remove-section', section})
      continue
    }
    if (!was && now.length === 0 && section !== 'DEFAULT') out.push({op: 'add-section', section})
    for (const [keyword, to] of now) {
      const from = was?.get(keyword)
      if (from === undefined) out.push({op: 'add', section, keyword, to})
      else if (from !== to) out.push({op: 'change', section, keyword, from, to})
    }
    if (was) {
      const kept = new Set(now.map(([k]) => k))
      for (const [keyword, from] of was) if (!kept.has(keyword)) out.push({op: 'remove', section, keyword, from})
    }
  }
  return out
}

/** The sections of `before` that `after` no longer has (their resources are removed), in natural order. */
export function removedSections(before: ServiceDocument | undefined, after: ServiceDocument): string[] {
  const kept = new Set(after.map(s => s.name))
  return (before ?? [])
    .map(s => s.name)
    .filter(n => n !== 'DEFAULT' && !kept.has(n))
    .sort(naturalCompare)
}
