/**
 * Reading LVM's state through its JSON reports (`vgs`/`lvs`/`pvs --reportformat json`).
 * Every command goes through the driver context's `run` (argument vectors, logged unless
 * quiet), with LVM_SUPPRESS_FD_WARNINGS=1 so inherited descriptors do not make it chatty.
 */
import type {DriverContext, RunOptions, RunResult} from 'svcmgr'

export const LVM_ENV: Readonly<Record<string, string>> = {LVM_SUPPRESS_FD_WARNINGS: '1'}

/** LVM's exit code when the object asked for does not exist (and for most other failures). */
const ECMD_FAILED = 5

type Run = DriverContext['run']

export function lvm(
  ctx: Pick<DriverContext, 'run'>,
  file: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  return ctx.run(file, args, {...options, env: {...LVM_ENV, ...options.env}})
}

export interface VgState {
  readonly exists: boolean
  readonly name: string
  /** Tags as LVM stores them: `vgchange --addtag @node1` stores "node1". */
  readonly tags: readonly string[]
  readonly lvCount: number
  /** Logical volumes active on this node. */
  readonly activeLvs: readonly string[]
  readonly lvs: readonly string[]
  readonly pvs: readonly string[]
}

export class LvmError extends Error {}

/** The last meaningful stderr line (LVM prefixes lines with spaces). */
export function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map(l => l.trim())
    .filter(l => l && !/^File descriptor \d+ .* leaked/.test(l))
  return lines.at(-1) ?? ''
}

/** Parses an LVM JSON report: {"report": [{"vg": [{...}]}]} → the rows of `kind`. */
export function reportRows(stdout: string, kind: 'vg' | 'lv' | 'pv'): Array<Record<string, string>> {
  const start = stdout.indexOf('{')
  if (start === -1) throw new LvmError(`no JSON report in the output: ${JSON.stringify(stdout.slice(0, 200))}`)
  const data = JSON.parse(stdout.slice(start)) as {report?: Array<Record<string, Array<Record<string, string>>>>}
  return (data.report ?? []).flatMap(r => r[kind] ?? [])
}

export const splitTags = (raw: string | undefined): string[] =>
  (raw ?? '')
    .split(',')
    .map(t => t.trim())
    .filter(Boolean)

const notFound = (r: RunResult) => r.exitCode === ECMD_FAILED && /not found/i.test(r.stderr)

/** An LV is active when its lv_active field says so, or its attr's 5th character is "a". */
export function lvIsActive(row: Record<string, string>): boolean {
  return row.lv_active === 'active' || (row.lv_attr ?? '')[4] === 'a'
}

export async function vgState(ctx: {run: Run}, name: string): Promise<VgState> {
  const vgs = await lvm(ctx, 'vgs', ['--reportformat', 'json', '-o', 'vg_name,vg_tags,lv_count,pv_count', name], {
    quiet: true,
    okExitCodes: [0, ECMD_FAILED],
  })
  if (notFound(vgs)) return {exists: false, name, tags: [], lvCount: 0, activeLvs: [], lvs: [], pvs: []}
  if (vgs.exitCode !== 0) throw new LvmError(`vgs ${name}: exit code ${vgs.exitCode}: ${lastLine(vgs.stderr)}`)
  const row = reportRows(vgs.stdout, 'vg').find(r => r.vg_name === name)
  if (!row) return {exists: false, name, tags: [], lvCount: 0, activeLvs: [], lvs: [], pvs: []}
  const lvCount = Number(row.lv_count) || 0
  let lvRows: Array<Record<string, string>> = []
  if (lvCount > 0) {
    const lvs = await lvm(ctx, 'lvs', ['--reportformat', 'json', '-o', 'lv_name,lv_attr,lv_active', name], {
      quiet: true,
      okExitCodes: [0, ECMD_FAILED],
    })
    if (lvs.exitCode !== 0) throw new LvmError(`lvs ${name}: exit code ${lvs.exitCode}: ${lastLine(lvs.stderr)}`)
    lvRows = reportRows(lvs.stdout, 'lv')
  }
  const pvs = await lvm(
    ctx,
    'pvs',
    ['--reportformat', 'json', '-o', 'pv_name,vg_name', '--select', `vg_name=${name}`],
    {quiet: true, okExitCodes: [0, ECMD_FAILED]},
  )
  const pvNames =
    pvs.exitCode === 0
      ? reportRows(pvs.stdout, 'pv')
          .filter(r => r.vg_name === name)
          .map(r => r.pv_name)
      : []
  return {
    exists: true,
    name,
    tags: splitTags(row.vg_tags),
    lvCount,
    lvs: lvRows.map(r => r.lv_name),
    activeLvs: lvRows.filter(lvIsActive).map(r => r.lv_name),
    pvs: pvNames,
  }
}

export interface PvState {
  /** The volume group the PV belongs to; '' for an orphan PV. */
  readonly vg: string
}

/** The PV state of a device, or undefined when the device is not an LVM physical volume. */
export async function pvState(ctx: {run: Run}, device: string): Promise<PvState | undefined> {
  const r = await lvm(ctx, 'pvs', ['--reportformat', 'json', '-o', 'pv_name,vg_name', device], {
    quiet: true,
    okExitCodes: [0, ECMD_FAILED],
  })
  if (r.exitCode !== 0) {
    // "Failed to find physical volume" for a device without a PV label
    if (/failed to find|not found|no physical volume/i.test(r.stderr)) return undefined
    throw new LvmError(`pvs ${device}: exit code ${r.exitCode}: ${lastLine(r.stderr)}`)
  }
  const row = reportRows(r.stdout, 'pv')[0]
  return row ? {vg: row.vg_name ?? ''} : undefined
}
