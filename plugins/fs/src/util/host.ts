/** Small host helpers: probing a device's signature, sleeping, picking an error line. */
import type {DriverContext} from 'svcmgr'

export const sleep = (ms: number) => new Promise<void>(r => setTimeout(r, ms))

/** The last non-empty line of a command's output. */
export function lastLine(text: string): string {
  return text.split('\n').map(l => l.trim()).filter(Boolean).at(-1) ?? ''
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
  if (fields.PTTYPE) return `a ${fields.PTTYPE} partition table`
  return fields.USAGE ?? 'an unknown signature'
}
