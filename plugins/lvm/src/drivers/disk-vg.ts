/**
 * disk.vg: an LVM volume group the service owns on this node. `[vg#N]` sections (no type
 * needed) and `[disk#N] type = vg`.
 *
 * Ownership is an LVM host tag (`vgchange --addtag @<nodename>`, stored by LVM as
 * "<nodename>"): with lvm.conf's `volume_list = ["@*"]` only the tagged node activates it.
 *
 * State rules (status, and what start/stop skip):
 *  - tagged:  the VG carries this node's tag;
 *  - active:  a VG with logical volumes is active when all of them are active on this node
 *             (partly active is reported as warn); a VG without logical volumes has nothing
 *             to activate, so it counts as active exactly when it is tagged for this node;
 *  - up:      tagged and active.  down: neither (or tagged with no LV active).  warn: LVs
 *             active without the tag, or only some LVs active.
 *  - other nodes' tags: the VG's tags naming another node of the service (DEFAULT nodes).
 *    Start drops them (a takeover); other tags are left alone.
 */
import type {
  ActionContext,
  ChangeResult,
  Driver,
  DriverContext,
  Resource,
  ResourceStatus,
  ServiceView,
  StatusLogEntry,
  StepAction,
} from 'svcmgr'
import {type VgState, lastLine, lvm, pvState, vgState} from '../lvm/report.js'
import {setTimeout as sleep} from 'node:timers/promises'
import {type VgKeywords, VG_KEYWORDS} from './disk-vg.keywords.js'

type Ctx = DriverContext<VgKeywords>
type ACtx = ActionContext<VgKeywords>
type Res = Resource<VgKeywords>

/** Deactivation of a busy VG is retried this many times, this far apart. */
const BUSY_RETRIES = 4
const BUSY_WAIT_MS = 500

type NodesView = Pick<ServiceView, 'defaults' | 'nodename'> & Partial<Pick<ServiceView, 'kw'>>

/** The service's nodes other than this one, from DEFAULT nodes (the parsed list; commas tolerated). */
export function otherNodes(svc: NodesView): string[] {
  const parsed = svc.kw?.nodes
  const words = Array.isArray(parsed) ? parsed.map(String) : [svc.defaults.nodes ?? '']
  return words.flatMap(w => w.split(/[\s,]+/)).filter(n => n && n !== svc.nodename)
}

/** The tags of `state` that name another node of the service. */
export function otherNodeTags(tags: readonly string[], svc: NodesView): string[] {
  const others = new Set(otherNodes(svc))
  return tags.filter(t => others.has(t.replace(/^@/, '')))
}

export function isTagged(st: VgState, nodename: string): boolean {
  return st.tags.includes(nodename)
}

/** See the module comment: all LVs active, or for a VG without LV, tagged for this node. */
export function isActive(st: VgState, nodename: string): boolean {
  return st.lvCount > 0 ? st.activeLvs.length === st.lvCount : isTagged(st, nodename)
}

function anyActive(st: VgState, nodename: string): boolean {
  return st.lvCount > 0 ? st.activeLvs.length > 0 : isTagged(st, nodename)
}

/** A context for an undo step: its own changes are not journaled again. */
function undoContext(ctx: ACtx, action: StepAction): ACtx {
  return {...ctx, action, journal: {undo: () => undefined}}
}

async function vgchange(ctx: Ctx, args: readonly string[]): Promise<void> {
  await lvm(ctx, 'vgchange', args)
}

/** `vgchange -a n`, retried while LVM says a logical volume is in use. */
async function deactivate(ctx: Ctx, st: VgState): Promise<void> {
  const name = ctx.resource.kw.vgname
  // partitions mapped on the LVs (kpartx) hold them open: release them first, as OpenSVC does
  if (st.activeLvs.length > 0 && (await ctx.host.which('kpartx'))) {
    for (const lv of st.activeLvs) await ctx.run('kpartx', ['-d', `/dev/${name}/${lv}`], {okExitCodes: [0, 1]})
  }
  for (let attempt = 1; ; attempt++) {
    const r = await lvm(ctx, 'vgchange', ['-a', 'n', name], {okExitCodes: [0, 5]})
    if (r.exitCode === 0) return
    const why = lastLine(r.stderr)
    if (!/in use|busy|open/i.test(r.stderr) || attempt > BUSY_RETRIES)
      throw new Error(
        `vgchange -a n ${name}: exit code ${r.exitCode}: ${why}${/in use|busy|open/i.test(r.stderr) ? ` (still busy after ${BUSY_RETRIES} retries: a filesystem or process still holds a logical volume)` : ''}`,
      )
    ctx.log.info(`volume group ${name} is busy (${why}): retry in ${BUSY_WAIT_MS / 1000}s`)
    await sleep(BUSY_WAIT_MS)
  }
}

function existsOrThrow(st: VgState, res: Res, svc: ServiceView): void {
  if (st.exists) return
  const how = res.kw.pvs?.length ? `: provision it (svcmgr -s ${svc.name} provision --rid ${res.rid})` : ''
  throw new Error(`volume group ${res.kw.vgname} does not exist${how}`)
}

export const vgDriver: Driver<VgKeywords> = {
  group: 'disk',
  type: 'vg',
  sectionAliases: ['vg'],
  description:
    'An LVM volume group: tagged for this node and activated on start, deactivated and untagged on stop; created from its physical volumes on provision.',
  keywords: VG_KEYWORDS,

  validate(res, svc) {
    const problems: string[] = []
    // the service's resources come in natural rid order: the later of two duplicates is named
    const first = svc.resources.find(
      o => o.group === 'disk' && o.type === 'vg' && !o.disabled && o.kw.vgname === res.kw.vgname,
    )
    if (first && first.rid !== res.rid && !res.disabled)
      problems.push(`${res.rid}.vgname: volume group ${res.kw.vgname} is already managed by ${first.rid}`)
    const pvs = res.kw.pvs ?? []
    const dup = pvs.find((p, i) => pvs.indexOf(p) !== i)
    if (dup) problems.push(`${res.rid}.pvs: ${dup} is listed twice`)
    return problems
  },

  // a filesystem on one of its logical volumes needs vg:<name> and so starts after it
  provides(res) {
    return [`vg:${res.kw.vgname}`]
  },

  label(res) {
    return res.kw.vgname
  },

  describe(action, res, svc) {
    const vg = res.kw.vgname
    const tag = `@${svc.nodename}`
    switch (action) {
      case 'start':
        return [
          ...(res.kw.scsireserv
            ? ['warn: scsireserv is not supported (no SCSI persistent reservation is placed)']
            : []),
          ...otherNodes(svc).map(
            n => `vgchange --deltag @${n} ${vg}  (when tagged for that other node of the service)`,
          ),
          `vgchange --addtag ${tag} ${vg}  (when not tagged for this node)`,
          `vgchange -a y ${vg}  (when not active)`,
        ]
      case 'stop':
        return [
          `kpartx -d /dev/${vg}/<lv>  (for each active logical volume, when kpartx is installed)`,
          `vgchange -a n ${vg}  (when active; retried ${BUSY_RETRIES} times ${BUSY_WAIT_MS} ms apart while busy)`,
          `vgchange --deltag ${tag} ${vg}  (when tagged for this node)`,
        ]
      case 'provision': {
        const pvs = res.kw.pvs ?? []
        if (pvs.length === 0)
          return [`nothing to create: no pvs (provision fails when volume group ${vg} does not exist)`]
        return [
          ...pvs.map(pv => `pvcreate ${pv}  (when not a physical volume yet; refused when it holds a signature)`),
          `vgcreate ${[...(res.kw.options ?? []), vg, ...pvs].join(' ')}  (when volume group ${vg} does not exist)`,
        ]
      }
      case 'unprovision':
        return [
          `vgremove -f ${vg}  (only with --force: destroys its logical volumes)`,
          `pvremove <each physical volume of ${vg}>  (only with --force)`,
        ]
      default:
        return []
    }
  },

  observe(ctx, op) {
    return ctx.observeFromStatus(op)
  },

  async status(ctx: Ctx): Promise<ResourceStatus> {
    const label = ctx.resource.kw.vgname
    const node = ctx.service.nodename
    let st: VgState
    try {
      st = await vgState(ctx, ctx.resource.kw.vgname)
    } catch (error) {
      // vgs failed: the volume group's state is unknown, which is never down
      return {
        status: 'warn',
        label,
        log: [
          {
            level: 'warn',
            message: `${(error as Error).message}: the state of volume group ${ctx.resource.kw.vgname} is unknown`,
          },
        ],
      }
    }
    if (!st.exists)
      return {
        status: 'down',
        label,
        log: [{level: 'info', message: `volume group ${st.name} does not exist`}],
        provisioned: false,
      }
    const log: StatusLogEntry[] = []
    const others = otherNodeTags(st.tags, ctx.service)
    if (others.length > 0)
      log.push({level: isTagged(st, node) ? 'warn' : 'info', message: `tagged for other node(s): ${others.join(', ')}`})
    const tagged = isTagged(st, node)
    const partly = st.lvCount > 0 && st.activeLvs.length > 0 && st.activeLvs.length < st.lvCount
    if (partly)
      log.push({
        level: 'warn',
        message: `${st.activeLvs.length} of ${st.lvCount} logical volumes active (inactive: ${st.lvs.filter(l => !st.activeLvs.includes(l)).join(', ')})`,
      })
    if (tagged && isActive(st, node)) return {status: others.length > 0 ? 'warn' : 'up', label, log, provisioned: true}
    if (!tagged && anyActive(st, node)) {
      log.push({
        level: 'warn',
        message: `logical volume(s) ${st.activeLvs.join(', ')} active but the volume group is not tagged @${node}`,
      })
      return {status: 'warn', label, log, provisioned: true}
    }
    if (partly) return {status: 'warn', label, log, provisioned: true}
    if (tagged)
      log.push({level: 'info', message: `tagged @${node} but none of its ${st.lvCount} logical volumes is active`})
    return {status: 'down', label, log, provisioned: true}
  },

  async start(ctx: ACtx): Promise<ChangeResult> {
    const {vgname} = ctx.resource.kw
    const node = ctx.service.nodename
    if (ctx.resource.kw.scsireserv)
      ctx.log.warn(
        'scsireserv = true is not supported: no SCSI persistent reservation is placed on the physical volumes',
      )
    const st = await vgState(ctx, vgname)
    existsOrThrow(st, ctx.resource, ctx.service)
    let change: ChangeResult = 'unchanged'
    for (const tag of otherNodeTags(st.tags, ctx.service)) {
      await vgchange(ctx, ['--deltag', `@${tag}`, vgname])
      ctx.journal.undo(`give ${vgname} its tag @${tag} back`, () => vgchange(ctx, ['--addtag', `@${tag}`, vgname]))
      change = 'changed'
    }
    const wasActive = isActive(st, node)
    if (!isTagged(st, node)) {
      await vgchange(ctx, ['--addtag', `@${node}`, vgname])
      ctx.journal.undo(`untag ${vgname} @${node}`, () => vgchange(ctx, ['--deltag', `@${node}`, vgname]))
      change = 'changed'
    }
    if (!wasActive) {
      await vgchange(ctx, ['-a', 'y', vgname])
      ctx.journal.undo(`deactivate ${vgname}`, async () =>
        deactivate(undoContext(ctx, 'stop'), await vgState(ctx, vgname)),
      )
      change = 'changed'
    }
    return change
  },

  async stop(ctx: ACtx): Promise<ChangeResult> {
    const {vgname} = ctx.resource.kw
    const node = ctx.service.nodename
    const st = await vgState(ctx, vgname)
    if (!st.exists) {
      ctx.log.info(`volume group ${vgname} does not exist: nothing to stop`)
      return 'unchanged'
    }
    let change: ChangeResult = 'unchanged'
    if (anyActive(st, node)) {
      await deactivate(ctx, st)
      ctx.journal.undo(`activate ${vgname}`, () => vgchange(ctx, ['-a', 'y', vgname]))
      change = 'changed'
    }
    if (isTagged(st, node)) {
      await vgchange(ctx, ['--deltag', `@${node}`, vgname])
      ctx.journal.undo(`tag ${vgname} @${node}`, () => vgchange(ctx, ['--addtag', `@${node}`, vgname]))
      change = 'changed'
    }
    return change
  },

  async provision(ctx: ACtx): Promise<ChangeResult> {
    const {vgname, pvs = [], options = []} = ctx.resource.kw
    const rid = ctx.resource.rid
    const st = await vgState(ctx, vgname)
    if (st.exists) {
      const missing = pvs.filter(p => !st.pvs.includes(p))
      if (missing.length > 0)
        ctx.log.info(
          `volume group ${vgname} exists (on ${st.pvs.join(', ') || 'no visible physical volume'}); pvs also lists ${missing.join(', ')}: not added`,
        )
      return 'unchanged'
    }
    if (pvs.length === 0)
      throw new Error(
        `${rid}.pvs: needed to provision volume group ${vgname}, which does not exist (the block devices to create it on)`,
      )
    // check every device before changing any
    const todo: string[] = []
    for (const pv of pvs) {
      const state = await pvState(ctx, pv)
      if (state?.vg) throw new Error(`${rid}.pvs: ${pv} already belongs to volume group ${state.vg}`)
      if (state) continue
      const sig = await ctx.host.deviceSignature(pv).catch(error => {
        throw new Error(`${rid}.pvs: cannot probe ${pv}: ${(error as Error).message}`)
      })
      if (sig)
        throw new Error(
          `${rid}.pvs: refusing to pvcreate ${pv}: it holds ${/^[a-z0-9_]+$/i.test(sig) ? `a ${sig} signature` : sig} (wipe it yourself if its data is not needed)`,
        )
      todo.push(pv)
    }
    for (const pv of todo) await lvm(ctx, 'pvcreate', [pv])
    await lvm(ctx, 'vgcreate', [...options, vgname, ...pvs])
    return 'changed'
  },

  async unprovision(ctx: ACtx): Promise<ChangeResult> {
    const {vgname} = ctx.resource.kw
    const st = await vgState(ctx, vgname)
    if (!st.exists) return 'unchanged'
    if (!ctx.force) {
      const lvs = st.lvCount > 0 ? ` and its ${st.lvCount} logical volume(s) (${st.lvs.join(', ')})` : ''
      throw new Error(
        `unprovision destroys volume group ${vgname}${lvs}: run it with --force to confirm (the volume group is left as it is)`,
      )
    }
    await lvm(ctx, 'vgremove', ['-f', vgname])
    for (const pv of st.pvs) await lvm(ctx, 'pvremove', [pv])
    return 'changed'
  },
}
