/** Small host helpers: finding a program, probing a device's signature, sleeping. */
import {constants as fsc} from 'node:fs'
import {access} from 'node:fs/promises'
import path from 'node:path'
import type {DriverContext} from 'svcmgr'

export const sleep = (ms: number) => new Promise<void>(r => setTimeout(r, ms))

/** A program's path, looked up in PATH and the sbin folders a non-root PATH may miss. */
export async function which(program: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/sbin', '/sbin', '/usr/bin', '/bin']
  for (const dir of dirs) {
    const p = path.join(dir, program)
    try {
      await access(p, fsc.X_OK)
      return p
    } catch {
      // not there
    }
  }
  return undefined
}

/**
 * What `blkid -p` (low-level probing, no cache) finds on a device: its TYPE (ext4,
 * LVM2_member, ...) or PTTYPE (a partition table), or undefined when it holds no known
 * signature. blkid exits 2 when it finds nothing.
 */
export async function deviceSignature(ctx: Pick<DriverContext, 'run'>, device: string): Promise<string | undefined> {
  const r = await ctx.run('blkid', ['-p', '-o', 'export', device], {quiet: true, okExitCodes: [0, 2]})
  if (r.exitCode === 2) return undefined
  const fields = Object.fromEntries(r.stdout.split('\n').map(l => l.split('=')).filter(p => p.length >= 2).map(([k, ...v]) => [k, v.join('=')]))
  if (fields.TYPE) return fields.TYPE
  if (fields.PTTYPE) return `${fields.PTTYPE} partition table`
  return fields.USAGE ?? 'unknown'
}
