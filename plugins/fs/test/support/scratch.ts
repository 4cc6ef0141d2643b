/**
 * Scratch block devices for integration tests: sparse backing files in a temp folder, loop
 * devices on them, and a cleanup that undoes everything whatever state a failed test left
 * (processes killed, mounts unmounted, volume groups and PV labels removed, loops detached,
 * files deleted). Call cleanup() from an after/afterEach hook.
 */
import {execFileSync, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const LVM_ENV = {...process.env, LVM_SUPPRESS_FD_WARNINGS: '1'}

export function sh(file: string, args: readonly string[], env: NodeJS.ProcessEnv = LVM_ENV): string {
  return execFileSync(file, [...args], {encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe']})
}

/** Runs a command, returning its exit code and output instead of throwing. */
export function tryRun(file: string, args: readonly string[]): {code: number; out: string} {
  const r = spawnSync(file, [...args], {encoding: 'utf8', env: LVM_ENV})
  return {code: r.status ?? -1, out: `${r.stdout ?? ''}${r.stderr ?? ''}`}
}

/** Why loop-device tests cannot run here, or undefined when they can. */
export function loopUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: loop devices, mount and LVM need root'
  for (const p of ['losetup', 'mount', 'mkfs.ext4', 'blkid'])
    if (tryRun('which', [p]).code !== 0) return `${p} is not installed`
  return undefined
}

/** Whether the kernel has device-mapper (LV creation and activation need it). */
export function hasDeviceMapper(): boolean {
  if (process.env.SVCMGR_TEST_DM !== undefined) return process.env.SVCMGR_TEST_DM === '1'
  try {
    return /\bdevice-mapper\b/.test(fs.readFileSync('/proc/misc', 'utf8'))
  } catch {
    return false
  }
}

export const NO_DM = 'kernel has no device-mapper: LV activation cannot run here'

interface MountLine {
  readonly majmin: string
  readonly mountPoint: string
  readonly source: string
  readonly id: number
  readonly parent: number
  readonly fstype: string
}

export function mounts(): MountLine[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(l => {
      const f = l.split(' ')
      const dash = f.indexOf('-', 6)
      const un = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
      return {
        id: Number(f[0]),
        parent: Number(f[1]),
        majmin: f[2],
        mountPoint: un(f[4]),
        fstype: f[dash + 1],
        source: un(f[dash + 2]),
      }
    })
}

export function majminOf(dev: string): string {
  const rdev = fs.statSync(dev, {bigint: true}).rdev
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)
  return `${major}:${minor}`
}

/** The mountinfo lines of a device (by major:minor). */
export function mountsOf(dev: string): MountLine[] {
  const mm = majminOf(dev)
  return mounts().filter(m => m.majmin === mm)
}

export function signature(dev: string): string | undefined {
  const r = tryRun('blkid', ['-p', '-o', 'value', '-s', 'TYPE', dev])
  return r.code === 0 ? r.out.trim() : undefined
}

export class Scratch {
  readonly loops: string[] = []
  readonly vgs: string[] = []
  readonly pids: number[] = []
  private readonly deferred: Array<() => void> = []

  private constructor(readonly dir: string) {}

  static create(prefix = 'svcmgr-t'): Scratch {
    // short: mount points and sockets live under it
    return new Scratch(fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`)))
  }

  /** A loop device on a fresh sparse file of `sizeMb` MiB. */
  loop(sizeMb = 64): string {
    const file = path.join(this.dir, `disk${this.loops.length}.img`)
    fs.writeFileSync(file, '')
    fs.truncateSync(file, sizeMb * 1024 * 1024)
    const dev = sh('losetup', ['-f', '--show', file]).trim()
    this.loops.push(dev)
    return dev
  }

  /** A volume group name unique to this process, removed at cleanup. */
  vgName(tag: string): string {
    const name = `svcmgrt${process.pid}${tag}`
    this.vgs.push(name)
    return name
  }

  /** A process to kill at cleanup (e.g. one holding a mount busy). */
  track(pid: number): void {
    this.pids.push(pid)
  }

  defer(fn: () => void): void {
    this.deferred.push(fn)
  }

  /** Undoes everything, never throwing; returns what it could not undo. */
  cleanup(): string[] {
    const problems: string[] = []
    const attempt = (what: string, fn: () => void) => {
      try {
        fn()
      } catch (error) {
        problems.push(`${what}: ${(error as Error).message.split('\n')[0]}`)
      }
    }
    for (const fn of this.deferred.reverse()) attempt('deferred cleanup', fn)
    for (const pid of this.pids)
      attempt(`kill ${pid}`, () => {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // gone
        }
      })
    // unmount whatever is mounted from our loops or under our folder, deepest first
    const ours = () => {
      const mm = new Set(this.loops.filter(l => fs.existsSync(l)).map(majminOf))
      return mounts()
        .filter(m => mm.has(m.majmin) || m.mountPoint === this.dir || m.mountPoint.startsWith(`${this.dir}/`))
        .sort((a, b) => b.mountPoint.length - a.mountPoint.length || b.id - a.id)
    }
    for (let round = 0; round < 5 && ours().length > 0; round++) {
      for (const m of ours()) tryRun('umount', [m.mountPoint])
      if (ours().length > 0) spawnSync('sleep', ['0.3'])
    }
    for (const m of ours()) problems.push(`still mounted: ${m.source} on ${m.mountPoint}`)
    for (const vg of this.vgs) {
      if (tryRun('vgs', [vg]).code !== 0) continue
      tryRun('vgchange', ['-a', 'n', vg])
      const r = tryRun('vgremove', ['-f', vg])
      if (r.code !== 0) problems.push(`vgremove ${vg}: ${r.out.trim()}`)
    }
    for (const dev of this.loops) {
      if (tryRun('pvs', [dev]).code === 0) tryRun('pvremove', ['-ff', '-y', dev])
      const r = tryRun('losetup', ['-d', dev])
      if (r.code !== 0) problems.push(`losetup -d ${dev}: ${r.out.trim()}`)
    }
    // never rm -rf through a mount that is still there: its data is not ours to delete
    if (ours().length === 0) attempt(`rm -rf ${this.dir}`, () => fs.rmSync(this.dir, {recursive: true, force: true}))
    else problems.push(`${this.dir} kept: mounts remain under it`)
    return problems
  }
}
