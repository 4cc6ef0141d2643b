/**
 * The mount table as the kernel reports it (/proc/self/mountinfo): its entries and the path
 * helpers that compare mount points. Matching a configured device against the entries (by
 * major:minor, what loop devices, /dev/mapper links and /dev/<vg>/<lv> symlinks all resolve to,
 * or by the source path with links resolved) is ./table.ts.
 */
import {realpathSync} from 'node:fs'
import path from 'node:path'

export interface MountEntry {
  readonly id: number
  readonly parent: number
  /** "7:3" (decimal major:minor of the filesystem's device) */
  readonly majmin: string
  /** The path inside the filesystem that is mounted ("/" unless a bind mount). */
  readonly root: string
  readonly mountPoint: string
  readonly options: string
  readonly fstype: string
  readonly source: string
  readonly superOptions: string
}

/** mountinfo escapes space, tab, newline and backslash as \040 \011 \012 \134. */
export function unescapeMountField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = []
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    const f = line.split(' ')
    const dash = f.indexOf('-', 6)
    if (dash === -1 || f.length < dash + 3) continue
    out.push({
      id: Number(f[0]),
      parent: Number(f[1]),
      majmin: f[2],
      root: unescapeMountField(f[3]),
      mountPoint: unescapeMountField(f[4]),
      options: f[5],
      fstype: f[dash + 1],
      source: unescapeMountField(f[dash + 2]),
      superOptions: f[dash + 3] ?? '',
    })
  }
  return out
}

/** Paths normalizeMnt has answered: each fs resource's mnt and dev are asked about many times per command. */
const normalized = new Map<string, string>()

/** "/opt/x/" → "/opt/x"; "/" stays "/". */
export function normalizeMnt(p: string): string {
  let n = normalized.get(p)
  if (n === undefined) {
    if (isNormalPath(p)) n = p
    else {
      n = path.posix.normalize(p.trim())
      if (n.length > 1) n = n.replace(/\/+$/, '')
    }
    // a long-lived agent meets few distinct paths, but is never left holding an unbounded number
    if (normalized.size >= 100_000) normalized.clear()
    normalized.set(p, n)
  }
  return n
}

/** An absolute path normalize() leaves as it is: no empty, "." or ".." segment, no trailing slash, no outer blanks. */
function isNormalPath(p: string): boolean {
  if (p === '/') return true
  return (
    p.startsWith('/') &&
    !p.endsWith('/') &&
    !p.endsWith('/.') &&
    !p.endsWith('/..') &&
    !p.includes('//') &&
    !p.includes('/./') &&
    !p.includes('/../') &&
    p.trim() === p
  )
}

/** True when `child` is strictly below `parent` ("/opt/x/appdata" under "/opt/x", "/opt/xy" not). */
export function isUnder(child: string, parent: string): boolean {
  const c = normalizeMnt(child)
  const p = normalizeMnt(parent)
  if (c === p) return false
  return c.startsWith(p === '/' ? '/' : `${p}/`)
}

/** Linux dev_t → "major:minor" (glibc's gnu_dev_major/minor). */
export function majmin(rdev: bigint): string {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)
  return `${major}:${minor}`
}

/** The path with links resolved, or the path as it is when it does not resolve. */
export function realpathOr(p: string): string {
  try {
    return realpathSync(p)
  } catch {
    return p
  }
}

/** A mount point as the kernel would print it: links in its existing part resolved. */
export function canonicalMnt(mnt: string): string {
  return realpathOr(normalizeMnt(mnt))
}
