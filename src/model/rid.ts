/** A resource id: "<group>#<index>", e.g. "container#3". */
export interface ResourceId {
  readonly group: string
  readonly index: string
}

const RID_RE = /^([a-z][a-z0-9_]*)#([A-Za-z0-9_.-]+)$/

export function parseRid(rid: string): ResourceId | undefined {
  const m = RID_RE.exec(rid)
  return m ? {group: m[1], index: m[2]} : undefined
}

const collator = new Intl.Collator('en', {numeric: true, sensitivity: 'base'})

/** Natural order: container#2 before container#10. */
export function naturalCompare(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0)
}
