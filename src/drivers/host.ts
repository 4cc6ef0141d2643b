/**
 * The host helpers of the driver kit (`ctx.host`, and `host` of the `svcmgr:settings` hook for
 * plugin commands): one implementation of what drivers used to repeat, finding a program,
 * telling whether a pid is still the process it was, a device's signature, the private files
 * under the state root, and the one way a command line is shown.
 */
import {constants as fsc, readFileSync} from 'node:fs'
import {access} from 'node:fs/promises'
import path from 'node:path'
import type {HostKit, RunOptions, RunResult} from './api.js'
import {ensureStateDir, openStateLogForAppend, writeStateFileAtomic} from '../config/state-files.js'

export {formatWords} from './command-line.js'

/** The sbin folders a non-root PATH may miss, searched after PATH. */
const EXTRA_PROGRAM_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin']

/** A program's path: PATH, then the sbin folders; undefined when none holds an executable of that name. */
export async function which(program: string): Promise<string | undefined> {
  if (program.includes('/')) return (await executable(program)) ? program : undefined
  const dirs = [...new Set([...(process.env.PATH ?? '').split(':').filter(Boolean), ...EXTRA_PROGRAM_DIRS])]
  for (const dir of dirs) {
    const p = path.join(dir, program)
    if (await executable(p)) return p
  }
  return undefined
}

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, fsc.X_OK)
    return true
  } catch {
    return false
  }
}

/** State and start time of a process from /proc/<pid>/stat; undefined when it cannot be read. */
function procStat(pid: number): {state: string; startTime: string} | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // the fields after the command name (which may hold spaces and parentheses) start after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return {state: fields[0], startTime: fields[19]}
  } catch {
    return undefined
  }
}

/** A process's state letter (field 3 of /proc/<pid>/stat: R, S, D, T stopped, t traced, Z...); undefined when unreadable. */
export function processState(pid: number): string | undefined {
  return procStat(pid)?.state
}

/** A process's start time (field 22 of /proc/<pid>/stat, clock ticks since boot), to record beside its pid. */
export function processStartTime(pid: number): string | undefined {
  return procStat(pid)?.startTime
}

/**
 * Whether `pid` is a live process: it exists (kill 0; EPERM means it does), is no zombie, and,
 * when `startTime` is given, started then (a pid the kernel gave to another process since is
 * not ours). A process whose /proc entry cannot be read but that exists counts as alive.
 */
export function pidAlive(pid: number, startTime?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const st = procStat(pid)
  if (!st) return true
  if (st.state === 'Z' || st.state === 'X') return false
  return startTime === undefined || st.startTime === startTime
}

type Runner = (file: string, args: readonly string[], options?: RunOptions) => Promise<RunResult>

/**
 * What `blkid -p` (low-level probing, no cache) finds on a device: its TYPE (ext4,
 * LVM2_member, ...), `a <PTTYPE> partition table`, its USAGE, or `an unknown signature`;
 * undefined when it holds none (blkid exits 2). A failing probe throws.
 */
export async function deviceSignature(run: Runner, device: string): Promise<string | undefined> {
  const r = await run('blkid', ['-p', '-o', 'export', device], {quiet: true, okExitCodes: [0, 2]})
  if (r.exitCode === 2) return undefined
  const fields = Object.fromEntries(
    r.stdout
      .split('\n')
      .map(l => l.split('='))
      .filter(p => p.length >= 2)
      .map(([k, ...v]) => [k, v.join('=')]),
  )
  if (fields.TYPE) return fields.TYPE
  if (fields.PTTYPE) return `a ${fields.PTTYPE} partition table`
  return fields.USAGE ?? 'an unknown signature'
}

/** The host kit; `run` is the command runner the signature probe uses (the context's, so its signal and timeout apply). */
export function createHostKit(run: Runner): HostKit {
  return {
    which,
    processStartTime,
    pidAlive,
    deviceSignature: device => deviceSignature(run, device),
    ensurePrivateDir: ensureStateDir,
    writePrivateFile: writeStateFileAtomic,
    openPrivateAppend: openStateLogForAppend,
  }
}
