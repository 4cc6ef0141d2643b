/**
 * The flags the lean paths (./lean-status.ts, ./lean-action.ts) take without oclif: -s/--service
 * and --format text|json, each once with a plain value, and the given boolean flags, each once.
 * Anything else (another flag, a repeat, a bad value) is undefined: oclif's to parse, refuse or run.
 */
export interface LeanFlags {
  readonly service: string
  readonly format: 'text' | 'json'
  /** The boolean flags given (of those allowed). */
  readonly booleans: ReadonlySet<string>
}

export function parseLeanFlags(
  words: readonly string[],
  from: number,
  booleans: ReadonlySet<string> = new Set(),
): LeanFlags | undefined {
  let service: string | undefined
  let format: string | undefined
  const given = new Set<string>()
  const plain = (v: string | undefined) => v !== undefined && v !== '' && !v.startsWith('-')
  for (let i = from; i < words.length; i++) {
    const w = words[i]
    if (booleans.has(w)) {
      if (given.has(w)) return undefined
      given.add(w)
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
  return {service, format: (format ?? 'text') as 'text' | 'json', booleans: given}
}
