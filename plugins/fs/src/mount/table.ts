/**
 * The mount table as fs resources are matched against it: /proc/self/mountinfo read and
 * parsed once, each entry's source resolved once, the entries indexed by mount point, by
 * device number, by resolved source and by every folder above their mount point, and the
 * paths asked about resolved at most once per table.
 *
 * Status (and the dry-run's observation, which is status) reads one table per command for all
 * the fs resources it asks about (commandMountTable: 10,000 of them read the file 10,000 times,
 * 3 s). An action never decides from it: it reads a table of its own each time it looks
 * (readMountTable), and drops the command's once it may have changed something
 * (forgetMountTable), so a status later in the same command reads the table anew.
 */
import {existsSync, statSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {majmin, type MountEntry, normalizeMnt, parseMountinfo, realpathOr} from './mountinfo.js'

/** Where the mount table is read from: an object so that a test can count and script the reads. */
export const mountSource = {
  read: (): Promise<string> => readFile('/proc/self/mountinfo', 'utf8'),
}

export interface MountState {
  /** The configured device mounted on the configured mount point. */
  readonly mine?: MountEntry
  /** Everything mounted on the mount point, oldest first (the last one is what is visible). */
  readonly atMnt: readonly MountEntry[]
  /** The device mounted on other mount points. */
  readonly devElsewhere: readonly MountEntry[]
  /** Mounts below the mount point. */
  readonly below: readonly MountEntry[]
  /** The device is a block device. */
  readonly devExists: boolean
  /** Something is at the device's path (links followed): a block device or not. */
  readonly devFound: boolean
}

interface DeviceProbe {
  /** Something is at the path (links followed). */
  readonly found: boolean
  /** Its major:minor when it is a block device. */
  readonly num?: string
  /** The path with links resolved (the path itself when it does not resolve). */
  readonly real: string
}

function probeDevice(dev: string): DeviceProbe {
  let st
  try {
    st = statSync(dev, {bigint: true, throwIfNoEntry: false})
  } catch {
    // not a missing entry (ENOTDIR, ELOOP, EACCES): nothing usable there, and no path to resolve
    return {found: false, real: dev}
  }
  // nothing there: realpath would fail the same way, and a failed realpath leaves the path as it is
  if (!st) return {found: false, real: dev}
  return {found: true, num: st.isBlockDevice() ? majmin(st.rdev) : undefined, real: realpathOr(dev)}
}

function pushTo(map: Map<string, number[]>, key: string, i: number): void {
  const list = map.get(key)
  if (list) list.push(i)
  else map.set(key, [i])
}

/** The folders strictly above a normalized path, as isUnder() sees them ("/a/b": "/" and "/a"). */
function foldersAbove(p: string): string[] {
  const out = p.startsWith('/') && p !== '/' ? ['/'] : []
  for (let j = 1; j < p.length; j++) if (p[j] === '/') out.push(p.slice(0, j))
  return out
}

export class MountTable {
  private readonly byMountPoint = new Map<string, number[]>()
  private readonly byDeviceNumber = new Map<string, number[]>()
  private readonly bySource = new Map<string, number[]>()
  private readonly byFolderAbove = new Map<string, number[]>()
  private readonly devices = new Map<string, DeviceProbe>()
  private readonly mountPoints = new Map<string, string>()
  /** Whether a folder is there (links followed), asked once per table: its missing children need no call each */
  private readonly folders = new Map<string, boolean>()

  constructor(readonly entries: readonly MountEntry[]) {
    entries.forEach((m, i) => {
      pushTo(this.byMountPoint, m.mountPoint, i)
      // only a path names a device ("overlay", "tmpfs" do not)
      if (m.source.startsWith('/')) {
        pushTo(this.byDeviceNumber, m.majmin, i)
        pushTo(this.bySource, realpathOr(m.source), i)
      }
      for (const folder of foldersAbove(normalizeMnt(m.mountPoint))) pushTo(this.byFolderAbove, folder, i)
    })
  }

  private device(dev: string): DeviceProbe {
    let probe = this.devices.get(dev)
    if (!probe) {
      // 10,000 devices under a /dev/disk/by-label that is not there: one stat, not 10,000 failed ones
      probe = this.folderThere(dev) ? probeDevice(dev) : {found: false, real: dev}
      this.devices.set(dev, probe)
    }
    return probe
  }

  /** False when the folder holding `p` (an absolute path) is known absent or not a folder: nothing is at p. */
  private folderThere(p: string): boolean {
    const cut = p.lastIndexOf('/')
    if (cut <= 0) return true
    const folder = p.slice(0, cut)
    let there = this.folders.get(folder)
    if (there === undefined) {
      try {
        there = statSync(folder, {throwIfNoEntry: false})?.isDirectory() ?? false
      } catch {
        // ENOTDIR, ELOOP, EACCES: the path's own probe says what it can
        there = true
      }
      this.folders.set(folder, there)
    }
    return there
  }

  /** A mount point as the kernel would print it: links in its existing part resolved (see canonicalMnt). */
  private mountPoint(mnt: string): string {
    let where = this.mountPoints.get(mnt)
    if (where === undefined) {
      const p = normalizeMnt(mnt)
      // a path that is not there does not resolve: realpath would fail and leave it as it is
      where = this.folderThere(p) && existsSync(p) ? realpathOr(p) : p
      this.mountPoints.set(mnt, where)
    }
    return where
  }

  /**
   * What is mounted on `mnt` and where `dev` is mounted: a device matches an entry by
   * major:minor (block devices), or by its path with links resolved.
   */
  state(dev: string, mnt: string): MountState {
    const probe = this.device(dev)
    const where = this.mountPoint(mnt)
    const ofDev = [
      ...new Set([
        ...(probe.num === undefined ? [] : (this.byDeviceNumber.get(probe.num) ?? [])),
        ...(this.bySource.get(probe.real) ?? []),
      ]),
    ].sort((a, b) => a - b)
    const matching = new Set(ofDev)
    const at = this.byMountPoint.get(where) ?? []
    let mine: number | undefined
    for (const i of at) if (matching.has(i)) mine = i
    return {
      mine: mine === undefined ? undefined : this.entries[mine],
      atMnt: at.map(i => this.entries[i]),
      devElsewhere: ofDev.map(i => this.entries[i]).filter(m => m.mountPoint !== where),
      below: (this.byFolderAbove.get(normalizeMnt(where)) ?? []).map(i => this.entries[i]),
      devExists: probe.num !== undefined,
      devFound: probe.found,
    }
  }
}

export function mountState(mounts: readonly MountEntry[], dev: string, mnt: string): MountState {
  return new MountTable(mounts).state(dev, mnt)
}

/** The mount table now: read for one decision of an action. */
export async function readMountTable(): Promise<MountTable> {
  return new MountTable(parseMountinfo(await mountSource.read()))
}

const COMMAND_TABLE = 'fs:mount-table'

/**
 * The command's mount table for status: read at the first ask, shared by every fs resource of
 * the command (concurrent asks share the read); a failed read is the command's answer too.
 */
export function commandMountTable(cache: Map<string, unknown>): Promise<MountTable> {
  let table = cache.get(COMMAND_TABLE) as Promise<MountTable> | undefined
  if (!table) {
    table = readMountTable()
    cache.set(COMMAND_TABLE, table)
  }
  return table
}

/** After an action that may have changed the mounts (or the paths they are matched by): the next status reads anew. */
export function forgetMountTable(cache: Map<string, unknown>): void {
  cache.delete(COMMAND_TABLE)
}
