/**
 * The processes that keep a mounted filesystem busy, found by scanning /proc (no psmisc
 * needed): a working directory, root, executable or open file on it, or a memory mapping
 * of one of its files. A file is on the filesystem when its st_dev is the filesystem's.
 */
import {readdir, readFile, readlink, stat} from 'node:fs/promises'
import type {HostKit} from 'svcmgr'

export interface Holder {
  readonly pid: number
  readonly command: string
  /** How it holds the filesystem: "cwd", "root", "exe", "fd 3 (/mnt/x/file)", "mmap". */
  readonly via: readonly string[]
}

async function devOf(p: string): Promise<bigint | undefined> {
  try {
    return (await stat(p, {bigint: true})).dev
  } catch {
    return undefined
  }
}

/** Linux dev_t → "major:minor" (same encoding as mountinfo). */
function majmin(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn)
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn)
  return `${major}:${minor}`
}

/** /proc/<pid>/maps writes the device as hex "fe:01". */
function mapsDevice(field: string): string | undefined {
  const m = /^([0-9a-f]+):([0-9a-f]+)$/i.exec(field)
  return m ? `${parseInt(m[1], 16)}:${parseInt(m[2], 16)}` : undefined
}

async function holderOf(pid: number, dev: bigint, devNum: string): Promise<Holder | undefined> {
  const base = `/proc/${pid}`
  const via: string[] = []
  for (const link of ['cwd', 'root', 'exe']) if ((await devOf(`${base}/${link}`)) === dev) via.push(link)
  let fds: string[] = []
  try {
    fds = await readdir(`${base}/fd`)
  } catch {
    // gone, or a kernel thread
  }
  for (const fd of fds) {
    if ((await devOf(`${base}/fd/${fd}`)) !== dev) continue
    const target = await readlink(`${base}/fd/${fd}`).catch(() => '?')
    via.push(`fd ${fd} (${target})`)
  }
  try {
    const maps = await readFile(`${base}/maps`, 'utf8')
    if (maps.split('\n').some(l => mapsDevice(l.split(/\s+/)[3] ?? '') === devNum && l.split(/\s+/)[4] !== '0'))
      via.push('mmap')
  } catch {
    // gone
  }
  if (via.length === 0) return undefined
  const command = (await readFile(`${base}/comm`, 'utf8').catch(() => '?')).trim()
  return {pid, command, via}
}

/** The processes holding the filesystem mounted at `mountPoint` (this process excluded). */
export async function findHolders(mountPoint: string): Promise<Holder[]> {
  const dev = await devOf(mountPoint)
  if (dev === undefined) return []
  const devNum = majmin(dev)
  const pids = (await readdir('/proc'))
    .filter(n => /^\d+$/.test(n))
    .map(Number)
    .filter(p => p !== process.pid)
  const found = await Promise.all(pids.map(p => holderOf(p, dev, devNum).catch(() => undefined)))
  return found.filter((h): h is Holder => h !== undefined)
}

export function describeHolders(holders: readonly Holder[]): string {
  return holders
    .map(h => `pid ${h.pid} (${h.command}: ${h.via.slice(0, 3).join(', ')}${h.via.length > 3 ? ', ...' : ''})`)
    .join('; ')
}

/** TERM, then KILL the ones still there after `graceMs`. Returns the pids still alive at the end. */
export async function killHolders(
  host: Pick<HostKit, 'pidAlive'>,
  holders: readonly Holder[],
  graceMs = 2000,
): Promise<number[]> {
  const pids = holders.map(h => h.pid)
  const send = (sig: NodeJS.Signals, list: number[]) => {
    for (const pid of list) {
      try {
        process.kill(pid, sig)
      } catch {
        // already gone
      }
    }
  }
  const waitGone = async (list: number[], ms: number) => {
    const deadline = Date.now() + ms
    let left = list
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise(r => setTimeout(r, 100))
      // a zombie holds nothing any more: pidAlive says it is gone
      left = left.filter(p => host.pidAlive(p))
    }
    return left
  }
  send('SIGTERM', pids)
  let left = await waitGone(pids, graceMs)
  if (left.length > 0) {
    send('SIGKILL', left)
    left = await waitGone(left, 2000)
  }
  return left
}
