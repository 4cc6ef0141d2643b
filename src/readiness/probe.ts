/**
 * The readiness_probe values: their parser (one for create/set/validate and for the executor),
 * the keywords a driver with the readiness capability gets, and their text for plans and messages.
 *
 *   tcp:PORT  tcp:HOST:PORT  tcp:[IPV6]:PORT
 *   http://:PORT/PATH  http://HOST:PORT/PATH  (2xx/3xx is ready)
 *   exec:CMD ARGS...   (shell-like words, never run through a shell; exit 0 is ready)
 *   health             (the engine's own health status)
 *   none               (started is ready)
 */
import type {KeywordSpec, ReadinessProbe, ReadinessProbeKind} from '../drivers/api.js'
import {splitWords} from '../config/value-types.js'

export const DEFAULT_READINESS_TIMEOUT = '60s'
export const DEFAULT_READINESS_INTERVAL = '250ms'

export const PROBE_FORMS: Record<ReadinessProbeKind, string> = {
  tcp: 'tcp:PORT or tcp:HOST:PORT',
  http: 'http://:PORT/PATH or http://HOST:PORT/PATH',
  exec: 'exec:CMD ARGS...',
  health: 'health',
  none: 'none',
}

export type ParsedProbe = {ok: true; probe: ReadinessProbe} | {ok: false; expected: string}

function port(text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) return undefined
  const n = Number(text)
  return n >= 1 && n <= 65535 ? n : undefined
}

const HOST_RE = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)$/

/** "HOST:PORT", ":PORT" or "PORT" (bareHost: "PORT" alone allowed) → host (brackets dropped) and port. */
function hostPort(text: string, bareHost: boolean): {host?: string; port: number} | undefined {
  const i = text.lastIndexOf(':')
  if (i < 0) {
    const p = bareHost ? port(text) : undefined
    return p === undefined ? undefined : {port: p}
  }
  const host = text.slice(0, i)
  const p = port(text.slice(i + 1))
  if (p === undefined) return undefined
  if (host === '') return {port: p}
  if (!HOST_RE.test(host)) return undefined
  return {host: host.replace(/^\[(.*)\]$/, '$1'), port: p}
}

/** A readiness_probe value parsed for the kinds a driver supports. */
export function parseProbe(
  raw: string,
  kinds: readonly ReadinessProbeKind[] = ['tcp', 'http', 'exec', 'health'],
): ParsedProbe {
  const text = raw.trim()
  const supported = [...kinds.filter(k => k !== 'none'), 'none' as const]
  const expected = (why: string) => ({
    ok: false as const,
    expected: `${why}: one of ${supported.map(k => PROBE_FORMS[k]).join(', ')}`,
  })
  const kindOf = (k: ReadinessProbeKind): ParsedProbe | undefined =>
    supported.includes(k) ? undefined : expected(`a probe this driver runs (not ${k})`)
  if (text === 'none') return {ok: true, probe: {kind: 'none', text: 'none'}}
  if (text === 'health') return kindOf('health') ?? {ok: true, probe: {kind: 'health', text: 'health'}}
  if (text.startsWith('tcp:')) {
    const hp = hostPort(text.slice(4), true)
    if (!hp) return expected('a tcp probe with a port 1-65535')
    return kindOf('tcp') ?? {ok: true, probe: {kind: 'tcp', text, ...hp}}
  }
  if (/^http:\/\//i.test(text)) {
    const rest = text.slice(7)
    const slash = rest.indexOf('/')
    const authority = slash < 0 ? rest : rest.slice(0, slash)
    const path = slash < 0 ? '/' : rest.slice(slash)
    const hp = hostPort(authority, false)
    if (!hp || /\s/.test(path)) return expected('an http probe with a port 1-65535 (http://:PORT/PATH)')
    return kindOf('http') ?? {ok: true, probe: {kind: 'http', text, ...hp, path}}
  }
  if (text.startsWith('exec:')) {
    const argv = splitWords(text.slice(5))
    if (argv === undefined) return expected('an exec probe with balanced quotes')
    if (argv.length === 0) return expected('an exec probe naming a command')
    return kindOf('exec') ?? {ok: true, probe: {kind: 'exec', text, argv}}
  }
  return expected('a readiness probe')
}

/** The readiness keywords of a driver running these probe kinds (added by the core: src/drivers/registry.ts). */
export function readinessKeywords(kinds: readonly ReadinessProbeKind[], defaultHelp?: string): KeywordSpec[] {
  const supported = [...kinds.filter(k => k !== 'none'), 'none' as const]
  return [
    {
      name: 'readiness_probe',
      help: `When the started resource is ready, gating the next stage: ${supported.map(k => PROBE_FORMS[k]).join(', ')}. Probed at once after the start, then every readiness_interval. Unset: ${defaultHelp ?? 'none (started is ready)'}.`,
      check: raw => {
        const p = parseProbe(raw, kinds)
        return p.ok ? undefined : p.expected
      },
    },
    {
      name: 'readiness_timeout',
      type: 'duration',
      default: DEFAULT_READINESS_TIMEOUT,
      help: 'The whole readiness wait of a start: a resource not ready by then fails the start (rolled back).',
      check: (_raw, ms) => (typeof ms === 'number' && ms > 0 ? undefined : 'a duration longer than 0'),
    },
    {
      name: 'readiness_interval',
      type: 'duration',
      default: DEFAULT_READINESS_INTERVAL,
      help: 'The time from one readiness probe to the next while waiting (the first runs right after the start; a probe never overlaps the next).',
      check: (_raw, ms) => (typeof ms === 'number' && ms > 0 ? undefined : 'a duration longer than 0'),
    },
  ]
}

export const READINESS_KEYWORD_NAMES: ReadonlySet<string> = new Set([
  'readiness_probe',
  'readiness_timeout',
  'readiness_interval',
])
