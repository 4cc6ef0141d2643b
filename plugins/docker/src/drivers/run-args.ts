/**
 * The docker run options run_args may hold, mapped onto the engine's create request.
 * Only options with a faithful API equivalent are accepted; anything else is refused at
 * config time (an option silently dropped would be worse).
 */

export interface RunArgsSpec {
  env: string[]
  binds: string[]
  labels: Record<string, string>
  capAdd: string[]
  capDrop: string[]
  tmpfs: Record<string, string>
  hostname?: string
  user?: string
  workdir?: string
  entrypoint?: string
  stopSignal?: string
  privileged?: boolean
  interactive?: boolean
  tty?: boolean
  init?: boolean
  readOnly?: boolean
}

type ValueOption = (spec: RunArgsSpec, value: string) => string | undefined

const VALUE_OPTIONS: Record<string, ValueOption> = {
  env: (s, v) => {
    // docker's `-e NAME` copies the caller's variable: not reproducible from a config file
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*=/.test(v)) return `KEY=VALUE after --env (not ${JSON.stringify(v)})`
    s.env.push(v)
    return undefined
  },
  volume: (s, v) => {
    if (!/^[^:\s]+:\/[^:]*(:(ro|rw))?$/.test(v)) return `SOURCE:/DEST[:ro|rw] after --volume (not ${JSON.stringify(v)})`
    s.binds.push(v)
    return undefined
  },
  hostname: (s, v) => void (s.hostname = v),
  user: (s, v) => void (s.user = v),
  workdir: (s, v) => void (s.workdir = v),
  label: (s, v) => {
    const i = v.indexOf('=')
    s.labels[i < 0 ? v : v.slice(0, i)] = i < 0 ? '' : v.slice(i + 1)
    return undefined
  },
  'cap-add': (s, v) => void s.capAdd.push(v),
  'cap-drop': (s, v) => void s.capDrop.push(v),
  tmpfs: (s, v) => {
    const i = v.indexOf(':')
    s.tmpfs[i < 0 ? v : v.slice(0, i)] = i < 0 ? '' : v.slice(i + 1)
    return undefined
  },
  entrypoint: (s, v) => void (s.entrypoint = v),
  'stop-signal': (s, v) => void (s.stopSignal = v),
}

const BOOL_OPTIONS: Record<string, (s: RunArgsSpec, v: boolean) => void> = {
  privileged: (s, v) => (s.privileged = v),
  interactive: (s, v) => (s.interactive = v),
  tty: (s, v) => (s.tty = v),
  init: (s, v) => (s.init = v),
  'read-only': (s, v) => (s.readOnly = v),
  detach: () => undefined,
}

const SHORT: Record<string, string> = {
  e: 'env',
  v: 'volume',
  h: 'hostname',
  u: 'user',
  w: 'workdir',
  l: 'label',
  i: 'interactive',
  t: 'tty',
  d: 'detach',
}

const NETWORK_OPTIONS = new Set([
  'net',
  'network',
  'network-mode',
  'ip',
  'publish',
  'p',
  'dns',
  'add-host',
  'mac-address',
])
const OWNED_OPTIONS = new Set(['name', 'rm', 'cgroup-parent'])

export const SUPPORTED_RUN_ARGS =
  '-e/--env, -v/--volume, -h/--hostname, -u/--user, -w/--workdir, -l/--label, --cap-add, --cap-drop, --tmpfs, --entrypoint, --stop-signal, --privileged, -i, -t, --init, --read-only, -d'

export function emptyRunArgs(): RunArgsSpec {
  return {env: [], binds: [], labels: {}, capAdd: [], capDrop: [], tmpfs: {}}
}

/** Parses run_args words; {error} names what was expected, for the keyword check. */
export function parseRunArgs(words: readonly string[]): RunArgsSpec | {error: string} {
  const spec = emptyRunArgs()
  const unsupported = (w: string, name: string) => {
    if (NETWORK_OPTIONS.has(name))
      return {error: `docker run options without networking ones (${JSON.stringify(w)}: use the netns keyword)`}
    if (OWNED_OPTIONS.has(name))
      return {
        error: `docker run options svcmgr does not set itself (${JSON.stringify(w)}: svcmgr names, removes and places containers; see the rm keyword)`,
      }
    return {error: `docker run options among ${SUPPORTED_RUN_ARGS} (not ${JSON.stringify(w)})`}
  }
  for (let i = 0; i < words.length; i++) {
    const w = words[i]
    if (w.startsWith('--')) {
      const eq = w.indexOf('=')
      const name = eq < 0 ? w.slice(2) : w.slice(2, eq)
      if (VALUE_OPTIONS[name]) {
        const value = eq < 0 ? words[++i] : w.slice(eq + 1)
        if (value === undefined) return {error: `a value after ${w}`}
        const err = VALUE_OPTIONS[name](spec, value)
        if (err) return {error: err}
      } else if (BOOL_OPTIONS[name]) {
        const raw = eq < 0 ? 'true' : w.slice(eq + 1)
        if (raw !== 'true' && raw !== 'false')
          return {error: `true or false after ${name}= (not ${JSON.stringify(raw)})`}
        BOOL_OPTIONS[name](spec, raw === 'true')
      } else {
        return unsupported(w, name)
      }
    } else if (w.startsWith('-') && w.length > 1) {
      // -e VALUE, -eVALUE, -it (clustered booleans)
      for (let j = 1; j < w.length; j++) {
        const long = SHORT[w[j]]
        if (!long) return unsupported(w, w[j])
        if (VALUE_OPTIONS[long]) {
          const value = j + 1 < w.length ? w.slice(j + 1) : words[++i]
          if (value === undefined) return {error: `a value after -${w[j]}`}
          const err = VALUE_OPTIONS[long](spec, value)
          if (err) return {error: err}
          break
        }
        BOOL_OPTIONS[long](spec, true)
      }
    } else {
      return {
        error: `docker run options only (${JSON.stringify(w)} is not an option: the image goes in image, its arguments in run_command)`,
      }
    }
  }
  return spec
}
