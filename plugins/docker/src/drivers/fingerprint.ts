/**
 * The fingerprint of a container svcmgr made: per keyword, a digest of what that keyword put
 * into the container spec (./spec.ts), recorded as the label com.svcmgr.fingerprint at create.
 * Comparing the label with the digests of the current config names the drifted keywords
 * (`drift: image`) without an inspect: the list row carries the labels. A container made before
 * fingerprints existed has no label: "no fingerprint", never drift.
 *
 * What counts (docs/driver-guide.md lists it): image, entrypoint, run_command, environment,
 * volume_mounts (with run_args' -v and --tmpfs), netns, privileged (with run_args' cap-add,
 * cap-drop), hostname, user, cwd, tty, interactive, and run_args for what only it sets (init,
 * read-only, stop-signal, its own labels). Not counted: stop_timeout and start_timeout (svcmgr
 * passes them at each stop and start), the cgroup parent (the engine's cgroup driver decides it),
 * image_pull_policy, rm, readiness keywords.
 */
import crypto from 'node:crypto'
import type {ContainerSpec} from './spec.js'

export const LABEL_FINGERPRINT = 'com.svcmgr.fingerprint'
/** The label's format: bumped when a facet's digest input changes (an old label then reads as "no fingerprint"). */
const FORMAT = 'v1'

/** The keywords a fingerprint covers, in the label's order. */
export const FINGERPRINT_KEYWORDS = [
  'image',
  'entrypoint',
  'run_command',
  'environment',
  'volume_mounts',
  'netns',
  'privileged',
  'hostname',
  'user',
  'cwd',
  'tty',
  'interactive',
  'run_args',
] as const

export type FingerprintKeyword = (typeof FINGERPRINT_KEYWORDS)[number]

/**
 * What each keyword contributes to the spec, in FINGERPRINT_KEYWORDS' order: the digest inputs.
 * The fingerprint label itself and the ownership labels are left out.
 */
function facets(spec: Omit<ContainerSpec, 'cgroupParent'>): unknown[] {
  const ownLabels: [string, string][] = []
  for (const k in spec.labels) if (!k.startsWith('com.svcmgr.')) ownLabels.push([k, spec.labels[k]])
  ownLabels.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return [
    spec.image,
    spec.entrypoint ?? null,
    spec.cmd ?? null,
    spec.env,
    [spec.binds, Object.entries(spec.tmpfs).sort()],
    spec.networkMode,
    [spec.privileged, spec.capAdd, spec.capDrop],
    spec.hostname ?? null,
    spec.user ?? null,
    spec.workdir ?? null,
    spec.tty,
    spec.interactive,
    [spec.init, spec.readOnly, spec.stopSignal ?? null, ownLabels],
  ]
}

// crypto.hash (Node >= 20.12) makes no Hash object: a third of createHash's time for a large service's labels
const digest = (json: string) => crypto.hash('sha256', json, 'hex').slice(0, 8)

export type Fingerprint = Readonly<Record<FingerprintKeyword, string>>

/**
 * Fingerprints by their digest inputs (the facets' JSON text), and each one's label text: a
 * large service's containers mostly share their facets (the same image, command, netns owner),
 * so each distinct one is hashed once, not 13 digests per container. A pure function's memo
 * (the same input gives the same digests in any command); bounded, for a long-running agent.
 */
const byFacets = new Map<string, Fingerprint>()
const labelText = new WeakMap<Fingerprint, string>()
const MEMO_MAX = 4096
/**
 * Each facet's digest by its text: when the whole fingerprint misses (every container has its
 * own environment), its other twelve facets are still the ones the last container had.
 */
const byFacetText = new Map<string, string>()

function facetDigest(text: string): string {
  let d = byFacetText.get(text)
  if (d === undefined) {
    d = digest(text)
    if (byFacetText.size >= MEMO_MAX) byFacetText.clear()
    byFacetText.set(text, d)
  }
  return d
}

export function fingerprintOf(spec: Omit<ContainerSpec, 'cgroupParent'>): Fingerprint {
  const f = facets(spec)
  // the facets are plain JSON data (no undefined): the array's text names each one's text exactly
  const texts = f.map(facet => JSON.stringify(facet))
  const key = `[${texts.join(',')}]`
  let fp = byFacets.get(key)
  if (!fp) {
    const entries = {} as Record<FingerprintKeyword, string>
    FINGERPRINT_KEYWORDS.forEach((k, i) => (entries[k] = facetDigest(texts[i])))
    fp = Object.freeze(entries)
    if (byFacets.size >= MEMO_MAX) byFacets.clear()
    byFacets.set(key, fp)
  }
  return fp
}

/** The label's value: "v1 image=ab12cd34 entrypoint=... ...". */
export function fingerprintLabel(f: Fingerprint): string {
  let text = labelText.get(f)
  if (text === undefined) {
    text = [FORMAT, ...FINGERPRINT_KEYWORDS.map(k => `${k}=${f[k]}`)].join(' ')
    labelText.set(f, text)
  }
  return text
}

const KNOWN = new Set<string>(FINGERPRINT_KEYWORDS)

/** The label read back: undefined when absent or of another format (no fingerprint). */
export function parseFingerprintLabel(value: string | undefined): Partial<Fingerprint> | undefined {
  if (!value) return undefined
  const [format, ...pairs] = value.split(' ')
  if (format !== FORMAT) return undefined
  const out: Partial<Record<FingerprintKeyword, string>> = {}
  for (const p of pairs) {
    const eq = p.indexOf('=')
    const k = p.slice(0, eq)
    if (eq > 0 && KNOWN.has(k)) out[k as FingerprintKeyword] = p.slice(eq + 1)
  }
  return out
}

/**
 * The keywords whose digest differs between a container's label and the config's spec, in the
 * label's order ([] in sync); undefined when the container has no (readable) fingerprint. A
 * keyword the label lacks counts as drifted: the container was made without it being recorded.
 */
export function driftedKeywords(
  labels: Readonly<Record<string, string>> | null | undefined,
  wanted: Fingerprint,
): FingerprintKeyword[] | undefined {
  const text = labels?.[LABEL_FINGERPRINT]
  // the usual case: the label is the one the config would write now, every keyword in sync
  if (text !== undefined && text === fingerprintLabel(wanted)) return []
  const had = parseFingerprintLabel(text)
  if (!had) return undefined
  return FINGERPRINT_KEYWORDS.filter(k => had[k] !== wanted[k])
}
