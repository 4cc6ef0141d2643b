/** A resource id: "<group>#<index>", e.g. "container#3". */
export interface ResourceId {
  readonly group: string
  /** A decimal integer without leading zeros: the rid is a name part of what a driver creates (container names). */
  readonly index: string
}

const RID_RE = /^([a-z][a-z0-9_]*)#(0|[1-9][0-9]{0,8})$/
const RID_LIKE_RE = /^([a-z][a-z0-9_]*)#(.*)$/s

export function parseRid(rid: string): ResourceId | undefined {
  const m = RID_RE.exec(rid)
  return m ? {group: m[1], index: m[2]} : undefined
}

/**
 * Why a section name that looks like a rid ("container#…") is not one, or undefined when it is
 * a rid or does not look like one. A dotted or non-numeric index would make two rids map to
 * the same container name (container#1.container.2), so only decimal integers are rids.
 */
export function ridProblem(name: string): string | undefined {
  if (RID_RE.test(name)) return undefined
  const m = RID_LIKE_RE.exec(name)
  if (!m) return undefined
  return `[${name}]: expected a rid <group>#<n> with <n> a decimal integer without leading zeros (0 to 999999999) such as ${m[1]}#1, got the index ${JSON.stringify(m[2])}`
}

const isDigit = (c: number) => c >= 48 && c <= 57

/** Natural order: container#2 before container#10 (digit runs compare by value). Hot in planning: no Intl. */
export function naturalCompare(a: string, b: string): number {
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i)
    const cb = b.charCodeAt(j)
    if (isDigit(ca) && isDigit(cb)) {
      let ei = i
      let ej = j
      while (ei < a.length && isDigit(a.charCodeAt(ei))) ei++
      while (ej < b.length && isDigit(b.charCodeAt(ej))) ej++
      // strip leading zeros, then the longer run is the larger number
      let si = i
      let sj = j
      while (si < ei - 1 && a.charCodeAt(si) === 48) si++
      while (sj < ej - 1 && b.charCodeAt(sj) === 48) sj++
      if (ei - si !== ej - sj) return ei - si - (ej - sj)
      for (let k = 0; k < ei - si; k++) {
        const d = a.charCodeAt(si + k) - b.charCodeAt(sj + k)
        if (d !== 0) return d
      }
      i = ei
      j = ej
      continue
    }
    if (ca !== cb) return ca - cb
    i++
    j++
  }
  return a.length - i - (b.length - j) || (a < b ? -1 : a > b ? 1 : 0)
}
