/**
 * Address arithmetic and keyword value checks shared by ip.host and ip.netns: IPv4/IPv6
 * parsing, netmask ⇄ prefix length, network membership, hostname syntax, and resolving an
 * ipname (an address, or a name through the system resolver) at run time.
 */
import {isIPv4, isIPv6} from 'node:net'

export type Family = 4 | 6

export function ipFamily(value: string): Family | undefined {
  if (isIPv4(value)) return 4
  if (isIPv6(value)) return 6
  return undefined
}

const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/

/** A name the resolver could look up: dot-separated labels of letters, digits and inner hyphens, not all-numeric. */
export function isHostname(value: string): boolean {
  const v = value.endsWith('.') ? value.slice(0, -1) : value
  if (v.length === 0 || v.length > 253) return false
  const labels = v.split('.')
  if (!labels.every(l => LABEL.test(l))) return false
  // "10.0.0.300" or "1.2.3" look like addresses, not names: refuse them rather than ask DNS
  return !/^[0-9.]+$/.test(v)
}

// ---------------------------------------------------------------------------------------
// keyword checks: return what was expected, or undefined when the value is fine

export const INTERFACE_RE = /^[^\s/:]{1,15}$/

export function checkIpname(raw: string): string | undefined {
  const v = raw.trim()
  if (ipFamily(v) || isHostname(v)) return undefined
  return 'an IPv4 or IPv6 address, or a host name'
}

export function checkAddress(raw: string): string | undefined {
  return ipFamily(raw.trim()) ? undefined : 'an IPv4 or IPv6 address'
}

export function checkNetmask(raw: string): string | undefined {
  return parseNetmask(raw) ? undefined : 'a netmask: dotted (255.255.255.0) or a prefix length (24)'
}

export function checkInterface(raw: string): string | undefined {
  return INTERFACE_RE.test(raw.trim()) ? undefined : 'an interface name (1 to 15 characters, no space, "/" or ":")'
}

export const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i

export function checkMac(raw: string): string | undefined {
  const v = raw.trim()
  if (!MAC_RE.test(v)) return 'a MAC address like 02:42:c0:00:02:0a'
  // the first octet's low bit marks a multicast address: no interface can own one
  if (parseInt(v.slice(0, 2), 16) & 1) return 'a unicast MAC address (the first octet must be even)'
  return undefined
}

// ---------------------------------------------------------------------------------------
// netmasks

export interface Netmask {
  /** The prefix length when written as one ("24"); for dotted masks, the family is 4. */
  readonly prefix: number
  readonly dotted: boolean
}

/** "255.255.255.224" → 27 (contiguous masks only), "27" or "/27" → 27 (0-128; the family decides the upper bound). */
const netmasks = new Map<string, Netmask | undefined>()

/** parseNetmask's answers by text (a pure function every ip resource's label, describe and status ask). */
export function parseNetmask(raw: string): Netmask | undefined {
  if (netmasks.has(raw)) return netmasks.get(raw)
  const mask = readNetmask(raw)
  // a service's netmasks are a few texts; a bound keeps a long-lived agent's memo small whatever it reads
  if (netmasks.size >= 1024) netmasks.clear()
  netmasks.set(raw, mask)
  return mask
}

function readNetmask(raw: string): Netmask | undefined {
  const v = raw.trim().replace(/^\//, '')
  if (/^\d{1,3}$/.test(v)) {
    const n = Number(v)
    return n <= 128 ? Object.freeze({prefix: n, dotted: false}) : undefined
  }
  if (!isIPv4(v)) return undefined
  const bits = v
    .split('.')
    .map(o => Number(o).toString(2).padStart(8, '0'))
    .join('')
  if (!/^1*0*$/.test(bits)) return undefined
  return Object.freeze({prefix: bits.indexOf('0') === -1 ? 32 : bits.indexOf('0'), dotted: true})
}

export const maxPrefix = (family: Family) => (family === 4 ? 32 : 128)

/** The problem with using `mask` for an address of `family`, or undefined. */
export function netmaskProblem(mask: Netmask, family: Family): string | undefined {
  if (family === 6 && mask.dotted) return 'a prefix length (0-128) for an IPv6 address'
  if (mask.prefix > maxPrefix(family)) return `a prefix length of 0-${maxPrefix(family)} for an IPv${family} address`
  return undefined
}

// ---------------------------------------------------------------------------------------
// networks

function toBigInt(ip: string): bigint {
  if (isIPv4(ip)) return ip.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n)
  // expand "::" then read eight 16-bit groups (an embedded IPv4 tail counts as two)
  let s = ip
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s)
  if (v4) {
    const n = toBigInt(v4[1])
    s = s.slice(0, -v4[1].length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined]
  const h = head ? head.split(':') : []
  const t = tail !== undefined && tail !== '' ? tail.split(':') : []
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t]
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n)
}

function fromBigInt(n: bigint, family: Family): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map(s => String((n >> s) & 0xffn)).join('.')
  const groups = Array.from({length: 8}, (_, i) => ((n >> BigInt((7 - i) * 16)) & 0xffffn).toString(16))
  // compress the longest run of zero groups, as `ip` prints them
  let best = [-1, 0]
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === '0') j++
    if (j - i > best[1] && j - i > 1) best = [i, j - i]
    i = j
  }
  if (best[0] < 0) return groups.join(':')
  return `${groups.slice(0, best[0]).join(':')}::${groups.slice(best[0] + best[1]).join(':')}`
}

function maskBits(prefix: number, family: Family): bigint {
  const width = BigInt(maxPrefix(family))
  return prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << (width - BigInt(prefix))
}

/** The network address of ip/prefix ("192.0.2.10", 24 → "192.0.2.0"). */
export function networkOf(ip: string, prefix: number): string {
  const family = ipFamily(ip)!
  return fromBigInt(toBigInt(ip) & maskBits(prefix, family), family)
}

export function inNetwork(ip: string, network: string, prefix: number): boolean {
  const f = ipFamily(ip)
  if (!f || f !== ipFamily(network)) return false
  const m = maskBits(prefix, f)
  return (toBigInt(ip) & m) === (toBigInt(network) & m)
}

/**
 * A key equal for two values exactly when they name the same address as `a === b ||
 * sameAddress(a, b)` decides it: the family and number of an address, else the text itself.
 */
export function addressKey(value: string): string {
  const f = ipFamily(value)
  // an IPv4 address has one text (isIPv4 takes no leading zeros): the text is its number
  if (f === 4) return `4:${value}`
  return f === undefined ? `name:${value}` : `${f}:${toBigInt(value).toString(16)}`
}

export function sameAddress(a: string, b: string): boolean {
  const f = ipFamily(a)
  return f !== undefined && f === ipFamily(b) && toBigInt(a) === toBigInt(b)
}

/** Why `ip` cannot be a service address (loopback, unspecified, multicast, broadcast), or undefined. */
export function unusableAddress(ip: string): string | undefined {
  const f = ipFamily(ip)
  if (f === 4) {
    const first = Number(ip.split('.')[0])
    if (first === 127) return 'a loopback address'
    if (ip === '0.0.0.0') return 'the unspecified address'
    if (first >= 224 && first <= 239) return 'a multicast address'
    if (ip === '255.255.255.255') return 'the broadcast address'
    return undefined
  }
  if (f === 6) {
    const n = toBigInt(ip)
    if (n === 1n) return 'a loopback address'
    if (n === 0n) return 'the unspecified address'
    if (n >> 120n === 0xffn) return 'a multicast address'
    return undefined
  }
  return 'not an address'
}

// ---------------------------------------------------------------------------------------
// resolution

export interface ResolvedAddress {
  readonly ip: string
  readonly family: Family
  /** The name it came from, when ipname was a name. */
  readonly name?: string
}

export class ResolveError extends Error {}

const RESOLVE_TIMEOUT_MS = 5000

/**
 * The address an ipname stands for. A name goes through the system resolver (node's
 * dns.lookup: /etc/hosts, then DNS); names under .invalid (never resolve) and .localhost
 * (loopback) are refused without a query, as RFC 6761 asks. Memoized per command in `cache`.
 */
export async function resolveIpname(ipname: string, cache?: Map<string, unknown>): Promise<ResolvedAddress> {
  const v = ipname.trim()
  const family = ipFamily(v)
  if (family) return {ip: v, family}
  const key = `ip:resolve:${v.toLowerCase()}`
  const hit = cache?.get(key) as Promise<ResolvedAddress> | undefined
  if (hit) return hit
  const p = lookup(v)
  cache?.set(key, p)
  p.catch(() => cache?.delete(key))
  return p
}

async function lookup(name: string): Promise<ResolvedAddress> {
  if (!isHostname(name)) throw new ResolveError(`${JSON.stringify(name)} is neither an address nor a host name`)
  if (/(^|\.)invalid\.?$/i.test(name))
    throw new ResolveError(`cannot resolve ${name}: names under .invalid never resolve (RFC 6761)`)
  if (/(^|\.)localhost\.?$/i.test(name))
    throw new ResolveError(`${name} is a loopback name (RFC 6761), not a service address`)
  const {lookup: dnsLookup} = await import('node:dns/promises')
  let timer: NodeJS.Timeout | undefined
  try {
    const r = await Promise.race([
      dnsLookup(name, {family: 0}),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new ResolveError(`cannot resolve ${name}: no answer within ${RESOLVE_TIMEOUT_MS / 1000}s`)),
          RESOLVE_TIMEOUT_MS,
        )
      }),
    ])
    const problem = unusableAddress(r.address)
    if (problem) throw new ResolveError(`${name} resolves to ${r.address}, ${problem}`)
    return {ip: r.address, family: r.family as Family, name}
  } catch (error) {
    if (error instanceof ResolveError) throw error
    const code = (error as NodeJS.ErrnoException).code
    throw new ResolveError(`cannot resolve ${name}${code ? ` (${code})` : ''}: ${(error as Error).message}`)
  } finally {
    clearTimeout(timer)
  }
}
