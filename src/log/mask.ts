/**
 * Secret masking: the values of keywords a driver marks `secret` never reach a log line, the
 * terminal, a JSON event or a dry-run plan. `KEY=VALUE` words of a `secret: 'values'` keyword
 * (and those a keyword's `secretValues` names) become `KEY=***`, a `secret: true` value becomes
 * `***`, in the forms a message may hold them: as written, shell-quoted (as command lines are
 * displayed) and JSON-escaped.
 */
import type {KeywordSpec, KeywordValue} from '../drivers/api.js'
import type {Plan} from '../planner/types.js'

export type Masker = (text: string) => string

interface SecretSource {
  readonly resources?: ReadonlyArray<{
    readonly kw: Readonly<Record<string, KeywordValue>>
    readonly driver?: {readonly keywords: readonly KeywordSpec[]}
  }>
}

const identity: Masker = text => text

function shellQuoted(word: string): string {
  // most words hold no quote: no regex replace for each of a large service's secrets
  return word.includes("'") ? `'${word.replace(/'/g, `'\\''`)}'` : `'${word}'`
}

/** The word as JSON writes it in a string: itself unless it holds what JSON escapes. */
function jsonForm(word: string): string {
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i)
    // a control character, a quote, a backslash, a surrogate (lone ones are escaped)
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(word).slice(1, -1)
  }
  return word
}

/** Adds the needles of one secret word (its written forms) with their replacement. */
function addNeedles(maskedBy: Map<string, string>, word: string, masked: string): void {
  maskedBy.set(shellQuoted(word), masked)
  maskedBy.set(jsonForm(word), masked)
  maskedBy.set(word, masked)
}

/** A KEY=VALUE word masked as `KEY=***`; nothing for an empty VALUE (masking "KEY=" would also hit "KEY=other"). */
function maskedValue(out: Array<[string, string]>, w: string): void {
  const eq = w.indexOf('=')
  if (eq > 0 && eq < w.length - 1) out.push([w, `${w.slice(0, eq)}=***`])
}

/** The secret words of one keyword value, each with what it is shown as. */
function secretWords(spec: KeywordSpec, value: KeywordValue): Array<[string, string]> {
  if (value === undefined || typeof value === 'boolean' || typeof value === 'number') return []
  const out: Array<[string, string]> = []
  // the driver names the KEY=VALUE words (the value's other words are not secret)
  if (spec.secretValues) for (const w of spec.secretValues(value)) maskedValue(out, w)
  if (!spec.secret) return out
  const words = Array.isArray(value) ? (value as readonly string[]) : [value as string]
  for (const w of words) {
    if (spec.secret === 'values' && w.indexOf('=') > 0) maskedValue(out, w)
    else if (w !== '') out.push([w, '***'])
  }
  // a whole string value may also appear as written before it was split into words
  if (spec.secret === true && Array.isArray(value) && value.length > 1) out.push([value.join(' '), '***'])
  return out
}

const cache = new WeakMap<object, Masker>()
const NO_SPECS: readonly KeywordSpec[] = []
const secretSpecsOf = new WeakMap<readonly KeywordSpec[], {length: number; secret: readonly KeywordSpec[]}>()

/** A manifest's secret keywords, found once per manifest (10,000 resources share a few; again if it grew). */
function secretSpecs(keywords: readonly KeywordSpec[]): readonly KeywordSpec[] {
  let found = secretSpecsOf.get(keywords)
  if (found?.length !== keywords.length) {
    found = {length: keywords.length, secret: keywords.filter(spec => spec.secret || spec.secretValues)}
    secretSpecsOf.set(keywords, found)
  }
  return found.secret
}

/** The masker of a service: every secret of every resource, longest first so no secret is left half shown. */
export function secretMasker(service: SecretSource): Masker {
  const cached = cache.get(service)
  if (cached) return cached
  // each needle once, where it was first met, with the replacement it was last given
  const maskedBy = new Map<string, string>()
  const resources = service.resources ?? []
  // indexed: most resources have no secret keyword, and this loop then only looks
  for (let i = 0; i < resources.length; i++) {
    const r = resources[i]
    const specs = secretSpecs(r.driver?.keywords ?? NO_SPECS)
    for (let k = 0; k < specs.length; k++) {
      for (const [word, masked] of secretWords(specs[k], r.kw[specs[k].name])) addNeedles(maskedBy, word, masked)
    }
  }
  maskedBy.delete('')
  // longest first, in that order among equal lengths (a stable sort by length, by buckets)
  const byLength: Array<Array<[string, string]>> = []
  for (const pair of maskedBy) (byLength[pair[0].length] ??= []).push(pair)
  const unique: Array<[string, string]> = []
  for (let length = byLength.length - 1; length > 0; length--) {
    const bucket = byLength[length]
    if (bucket) for (const pair of bucket) unique.push(pair)
  }
  if (unique.length === 0) {
    cache.set(service, identity)
    return identity
  }
  let matcher: Finder | undefined
  const firstAt = firstCharSearch(unique.map(([needle]) => needle))
  // a needle overlapping a replacement lies within this many code units of it
  const reach = unique[0][0].length - 1
  const masker: Masker = text => {
    // the same replacements as trying every needle in turn, longest first (`includes`, then
    // split/join), but only for the needles the text holds: one scan finds them (it used to
    // be every needle of every resource for every message: quadratic in a large service)
    // every occurrence begins with some needle's first character: most plan steps hold none
    const from = firstAt(text)
    if (from < 0) return text
    const m = (matcher ??= finderOf(unique.map(([needle]) => needle)))
    let present = m.present(text, from, text.length)
    let out = text
    for (let k = 0; k < present.length; k++) {
      const [needle, masked] = unique[present[k]]
      let at = out.indexOf(needle)
      if (at < 0) continue
      // out.split(needle).join(masked), noting where each replacement lands
      let next = ''
      let last = 0
      const landed: number[] = []
      while (at >= 0) {
        next += out.slice(last, at)
        landed.push(next.length)
        next += masked
        last = at + needle.length
        at = out.indexOf(needle, last)
      }
      out = next + out.slice(last)
      // a later needle the text now holds was there before (still listed) or overlaps a
      // replacement: the text around each replacement is scanned again, not the whole text
      const after = present[k]
      const found = new Set(present.slice(k + 1))
      const scan = (a: number, b: number) => {
        for (const i of m.present(out, Math.max(0, a), Math.min(out.length, b))) if (i > after) found.add(i)
      }
      // the windows, overlapping ones merged (an occurrence may straddle two)
      let a = landed[0] - reach
      let b = landed[0] + masked.length + reach
      for (let j = 1; j < landed.length; j++) {
        if (landed[j] - reach > b) {
          scan(a, b)
          a = landed[j] - reach
        }
        b = landed[j] + masked.length + reach
      }
      scan(a, b)
      present = [...found].sort((x, y) => x - y)
      k = -1
    }
    return out
  }
  cache.set(service, masker)
  return masker
}

/**
 * Where the first of the needles' first code units is in a text, -1 when none is: a search
 * that skips what holds none. A few distinct first characters (a service's secrets mostly
 * share theirs: `TOKEN=`, a quote) are each an indexOf, which scans faster than a regex.
 */
function firstCharSearch(needles: readonly string[]): (text: string) => number {
  const codes = new Set<number>()
  for (const n of needles) codes.add(n.charCodeAt(0))
  if (codes.size <= 4) {
    const chars = [...codes].map(c => String.fromCharCode(c))
    return text => {
      let first = -1
      for (const c of chars) {
        const at = text.indexOf(c)
        if (at >= 0 && (first < 0 || at < first)) first = at
      }
      return first
    }
  }
  const hex = (c: number) => `\\u${c.toString(16).padStart(4, '0')}`
  const re = new RegExp(`[${[...codes].map(hex).join('')}]`)
  return text => text.search(re)
}

/** `present(text, from, to)`: the sorted indexes of the needles occurring within text[from, to). */
interface Finder {
  present(text: string, from: number, to: number): number[]
}

/** The most distinct lengths among the needles of one first character for which NeedleAtMatcher is used. */
const AT_MAX_LENGTHS = 24

/** The cheaper finder for the needles: NeedleAtMatcher unless their lengths are too many. */
function finderOf(needles: readonly string[]): Finder {
  const lengths = new Map<number, Set<number>>()
  for (const n of needles) {
    const c = n.charCodeAt(0)
    let l = lengths.get(c)
    if (!l) lengths.set(c, (l = new Set()))
    l.add(n.length)
    if (l.size > AT_MAX_LENGTHS) return new NeedleMatcher(needles)
  }
  return new NeedleAtMatcher(needles, lengths)
}

/**
 * The needles that start at each position holding one of their first characters, looked up
 * by the text there of each length they have: no automaton to build (a 10,000-resource
 * service's 20,000 needles took 25-45 ms for Aho-Corasick's), and a text is read only where
 * a needle could start. For needles of few distinct lengths per first character (finderOf).
 */
class NeedleAtMatcher implements Finder {
  private readonly index = new Map<string, number>()
  /** the needles' lengths by first code unit, ascending */
  private readonly lengthsOf = new Map<number, number[]>()
  /** 1 at the code units a needle starts with */
  private readonly first = new Uint8Array(0x10000)
  /** those code units as strings, when they are few */
  private readonly chars: string[] | undefined
  private readonly seen: Int32Array
  private stamp = 0

  constructor(needles: readonly string[], lengths: ReadonlyMap<number, ReadonlySet<number>>) {
    needles.forEach((n, i) => this.index.set(n, i))
    for (const [c, l] of lengths) {
      this.lengthsOf.set(
        c,
        [...l].sort((a, b) => a - b),
      )
      this.first[c] = 1
    }
    this.chars = lengths.size <= 4 ? [...lengths.keys()].map(c => String.fromCharCode(c)) : undefined
    this.seen = new Int32Array(needles.length)
  }

  present(text: string, from = 0, to = text.length): number[] {
    const stamp = ++this.stamp
    const found: number[] = []
    const at = (i: number, lengths: readonly number[]) => {
      for (const l of lengths) {
        if (i + l > to) break
        const k = this.index.get(text.slice(i, i + l))
        if (k !== undefined && this.seen[k] !== stamp) {
          this.seen[k] = stamp
          found.push(k)
        }
      }
    }
    if (this.chars) {
      // a few first characters: indexOf hops from one to the next (a native scan, not a loop here)
      const chars = this.chars
      const next = chars.map(c => text.indexOf(c, from))
      for (;;) {
        let j = -1
        for (let q = 0; q < next.length; q++) if (next[q] >= 0 && (j < 0 || next[q] < next[j])) j = q
        if (j < 0 || next[j] >= to) break
        const i = next[j]
        at(i, this.lengthsOf.get(chars[j].charCodeAt(0))!)
        next[j] = text.indexOf(chars[j], i + 1)
      }
    } else {
      const first = this.first
      for (let i = from; i < to; i++) {
        const c = text.charCodeAt(i)
        if (first[c] !== 0) at(i, this.lengthsOf.get(c)!)
      }
    }
    return found.length > 1 ? found.sort((a, b) => a - b) : found
  }
}

/**
 * Aho-Corasick over the needles: `present(text)` is the sorted indexes of every needle that
 * occurs in text (overlapping and nested occurrences included), in one pass over the text.
 * The transitions live in one open-addressing table of typed arrays (a Map keyed by
 * node * 65536 + code unit boxed its keys past 2^31 and spent the time in the collector).
 */
class NeedleMatcher implements Finder {
  /** the root's transitions by UTF-16 code unit (0: none; the root is nobody's child) */
  private readonly rootNext = new Int32Array(0x10000)
  private readonly slotNode: Int32Array
  private readonly slotCode: Uint16Array
  private readonly slotChild: Int32Array
  private readonly mask: number
  private readonly fail: Int32Array
  /** the needle ending at a node, else -1 */
  private readonly ends: Int32Array
  /** the nearest node on the fail chain (itself excluded) where a needle ends, else 0 */
  private readonly endLink: Int32Array
  private readonly seen: Int32Array
  private stamp = 0

  constructor(needles: readonly string[]) {
    let total = 1
    for (const n of needles) total += n.length
    let size = 16
    while (size < 2 * total) size *= 2
    this.mask = size - 1
    this.slotNode = new Int32Array(size).fill(-1)
    this.slotCode = new Uint16Array(size)
    this.slotChild = new Int32Array(size)
    const parent = new Int32Array(total)
    const code = new Uint16Array(total)
    const depth = new Int32Array(total)
    this.ends = new Int32Array(total).fill(-1)
    let nodes = 1
    needles.forEach((needle, index) => {
      let node = 0
      for (let i = 0; i < needle.length; i++) {
        const c = needle.charCodeAt(i)
        let child = this.child(node, c)
        if (child === 0) {
          child = nodes++
          parent[child] = node
          code[child] = c
          depth[child] = depth[node] + 1
          if (node === 0) this.rootNext[c] = child
          else this.insert(node, c, child)
        }
        node = child
      }
      this.ends[node] = index
    })
    this.fail = new Int32Array(nodes)
    this.endLink = new Int32Array(nodes)
    this.seen = new Int32Array(nodes)
    // shallower first (a counting sort by depth): a node's fail link is the longest proper
    // suffix of its path in the trie, found from its parent's
    let maxDepth = 0
    for (let n = 1; n < nodes; n++) if (depth[n] > maxDepth) maxDepth = depth[n]
    const start = new Int32Array(maxDepth + 2)
    for (let n = 1; n < nodes; n++) start[depth[n] + 1]++
    for (let d = 1; d <= maxDepth + 1; d++) start[d] += start[d - 1]
    const order = new Int32Array(nodes)
    for (let n = 1; n < nodes; n++) order[start[depth[n]]++] = n
    for (let k = 0; k < nodes - 1; k++) {
      const n = order[k]
      const f = parent[n] === 0 ? 0 : this.step(this.fail[parent[n]], code[n])
      this.fail[n] = f
      this.endLink[n] = this.ends[f] >= 0 ? f : this.endLink[f]
    }
  }

  private slot(node: number, c: number): number {
    return (Math.imul(node, 0x9e3779b1) ^ Math.imul(c, 0x85ebca6b)) & this.mask
  }

  private insert(node: number, c: number, child: number): void {
    let s = this.slot(node, c)
    while (this.slotNode[s] !== -1) s = (s + 1) & this.mask
    this.slotNode[s] = node
    this.slotCode[s] = c
    this.slotChild[s] = child
  }

  /** The child of `node` by code unit `c`, 0 when none. */
  private child(node: number, c: number): number {
    if (node === 0) return this.rootNext[c]
    for (let s = this.slot(node, c); this.slotNode[s] !== -1; s = (s + 1) & this.mask)
      if (this.slotNode[s] === node && this.slotCode[s] === c) return this.slotChild[s]
    return 0
  }

  /** The node after reading code unit `c` in `node`. */
  private step(node: number, c: number): number {
    for (;;) {
      const child = this.child(node, c)
      if (child !== 0 || node === 0) return child
      node = this.fail[node]
    }
  }

  /** The needles occurring within text[from, to). */
  present(text: string, from = 0, to = text.length): number[] {
    const stamp = ++this.stamp
    const found: number[] = []
    let node = 0
    for (let i = from; i < to; i++) {
      node = this.step(node, text.charCodeAt(i))
      if (node === 0) continue
      // every needle ending here: this node and its end chain, each node reported once per text
      for (
        let n = this.ends[node] >= 0 ? node : this.endLink[node];
        n > 0 && this.seen[n] !== stamp;
        n = this.endLink[n]
      ) {
        this.seen[n] = stamp
        found.push(this.ends[n])
      }
    }
    return found.length > 1 ? found.sort((a, b) => a - b) : found
  }
}

/** The plan with its describe() steps masked: what --dry-run prints as text or JSON. */
export function maskPlan(plan: Plan, mask: Masker): Plan {
  if (mask === identity) return plan
  // a task holding no secret is kept as it is, not copied (most of a large plan's tasks)
  const tasks = plan.tasks.map(t => {
    let steps: string[] | undefined
    for (let i = 0; i < t.steps.length; i++) {
      const masked = mask(t.steps[i])
      if (masked !== t.steps[i]) (steps ??= t.steps.slice())[i] = masked
    }
    const cause = mask(t.cause)
    return steps || cause !== t.cause ? {...t, steps: steps ?? t.steps, cause} : t
  })
  return {...plan, tasks}
}
