/**
 * Secret masking: the values of keywords a driver marks `secret` never reach a log line, the
 * terminal, a JSON event or a dry-run plan. `KEY=VALUE` words of a `secret: 'values'` keyword
 * become `KEY=***`, a `secret: true` value becomes `***`, in the forms a message may hold them:
 * as written, shell-quoted (as command lines are displayed) and JSON-escaped.
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
  return `'${word.replace(/'/g, `'\\''`)}'`
}

/** The (needle, replacement) pairs of one secret word. */
function pairsOf(word: string, masked: string): Array<[string, string]> {
  return [
    [shellQuoted(word), masked],
    [JSON.stringify(word).slice(1, -1), masked],
    [word, masked],
  ]
}

/** The secret words of one keyword value, each with what it is shown as. */
function secretWords(spec: KeywordSpec, value: KeywordValue): Array<[string, string]> {
  if (value === undefined || typeof value === 'boolean' || typeof value === 'number') return []
  const words = Array.isArray(value) ? (value as readonly string[]) : [value as string]
  const out: Array<[string, string]> = []
  for (const w of words) {
    const eq = w.indexOf('=')
    if (spec.secret === 'values' && eq > 0) {
      // an empty VALUE hides nothing, and masking "KEY=" would also hit "KEY=other"
      if (eq < w.length - 1) out.push([w, `${w.slice(0, eq)}=***`])
    } else if (w !== '') out.push([w, '***'])
  }
  // a whole string value may also appear as written before it was split into words
  if (spec.secret === true && Array.isArray(value) && value.length > 1) out.push([value.join(' '), '***'])
  return out
}

const cache = new WeakMap<object, Masker>()

/** The masker of a service: every secret of every resource, longest first so no secret is left half shown. */
export function secretMasker(service: SecretSource): Masker {
  const cached = cache.get(service)
  if (cached) return cached
  const pairs: Array<[string, string]> = []
  for (const r of service.resources ?? []) {
    for (const spec of r.driver?.keywords ?? []) {
      if (!spec.secret) continue
      for (const [word, masked] of secretWords(spec, r.kw[spec.name])) pairs.push(...pairsOf(word, masked))
    }
  }
  const unique = [...new Map(pairs.filter(([needle]) => needle !== '')).entries()].sort(
    (a, b) => b[0].length - a[0].length,
  )
  const masker: Masker =
    unique.length === 0
      ? identity
      : text => {
          let out = text
          for (const [needle, masked] of unique) if (out.includes(needle)) out = out.split(needle).join(masked)
          return out
        }
  cache.set(service, masker)
  return masker
}

/** The plan with its describe() steps masked: what --dry-run prints as text or JSON. */
export function maskPlan(plan: Plan, mask: Masker): Plan {
  if (mask === identity) return plan
  return {...plan, tasks: plan.tasks.map(t => ({...t, steps: t.steps.map(mask)}))}
}
