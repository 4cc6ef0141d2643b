/**
 * The flags the lean paths (./lean-status.ts, ./lean-action.ts, ./lean-apply.ts) take without
 * oclif: -s/--service and --format text|json, each once with a plain value, the given boolean
 * flags, each once, and for apply the given string flags (once, a plain value or `-`) and
 * positional arguments. Anything else (another flag, a repeat, a bad value, one argument too
 * many) is undefined: oclif's to parse, refuse or run.
 */
export interface LeanFlags {
  /** Required unless the caller said it is optional (apply of a saved plan). */
  readonly service: string
  readonly format: 'text' | 'json'
  /** The boolean flags given (of those allowed). */
  readonly booleans: ReadonlySet<string>
  /** The string flags given (of those allowed), by name (`--config`). */
  readonly strings: ReadonlyMap<string, string>
  readonly positionals: readonly string[]
}

export interface LeanFlagsAllowed {
  readonly booleans?: ReadonlySet<string>
  /** String flags whose value may also be `-` (standard input). */
  readonly strings?: ReadonlySet<string>
  /** How many positional arguments oclif takes (none by default). */
  readonly positionals?: number
  readonly serviceOptional?: boolean
}

export function parseLeanFlags(
  words: readonly string[],
  from: number,
  booleans: ReadonlySet<string> = new Set(),
  allowed: Omit<LeanFlagsAllowed, 'booleans'> = {},
): LeanFlags | undefined {
  let service: string | undefined
  let format: string | undefined
  const given = new Set<string>()
  const strings = new Map<string, string>()
  const positionals: string[] = []
  const plain = (v: string | undefined) => v !== undefined && v !== '' && !v.startsWith('-')
  for (let i = from; i < words.length; i++) {
    const w = words[i]
    if (booleans.has(w)) {
      if (given.has(w)) return undefined
      given.add(w)
      continue
    }
    const eq = w.indexOf('=')
    const stringFlag = w.startsWith('--') ? (eq === -1 ? w : w.slice(0, eq)) : undefined
    if (stringFlag !== undefined && allowed.strings?.has(stringFlag)) {
      const value = eq === -1 ? words[++i] : w.slice(eq + 1)
      if (strings.has(stringFlag) || (value !== '-' && !plain(value))) return undefined
      strings.set(stringFlag, value)
      continue
    }
    if (plain(w) && positionals.length < (allowed.positionals ?? 0)) {
      positionals.push(w)
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
  if (service === undefined && !allowed.serviceOptional) return undefined
  return {service: service ?? '', format: (format ?? 'text') as 'text' | 'json', booleans: given, strings, positionals}
}
