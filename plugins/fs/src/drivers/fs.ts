/**
 * fs.<type>: a filesystem on a block device, mounted on a mount point. One driver per
 * filesystem type (ext4, ext3, ext2, xfs), all made by makeFsDriver from the same code;
 * what differs per type (mkfs program, check before mount) is in FS_TYPES.
 *
 * State comes from /proc/self/mountinfo: the resource is up when its device (matched by
 * major:minor, so /dev/mapper and /dev/<vg>/<lv> links and loop devices all work) is mounted
 * on its mount point.
 *
 * Ordering, through capabilities the core matches: an fs provides `path:<mnt>`, so a mount
 * point below it (trailing-slash safe: /opt/xy is not below /opt/x) and whatever needs a
 * folder there (a private dockerd's data) start after the deepest fs holding it; a device
 * /dev/<vg>/<lv> or /dev/mapper/<vg>-<lv> needs `vg:<vg>`, so it starts after what provides
 * that volume group.
 */
import {existsSync, statSync} from 'node:fs'
import {mkdir, rmdir} from 'node:fs/promises'
import path from 'node:path'
import type {
  ActionContext,
  Capability,
  ChangeResult,
  Driver,
  DriverContext,
  Need,
  Resource,
  ResourceStatus,
  ServiceView,
  StatusLogEntry,
  StepAction,
} from 'svcmgr'
import {describeHolders, findHolders, killHolders} from '../mount/holders.js'
import {canonicalMnt, normalizeMnt} from '../mount/mountinfo.js'
import {commandMountTable, forgetMountTable, type MountState, readMountTable} from '../mount/table.js'
import {setTimeout as sleep} from 'node:timers/promises'
import {lastLine} from '../util/last-line.js'
import {type FsKeywords, fsKeywords} from './fs.keywords.js'
import {mountDrift} from '../mount/drift.js'

type Ctx = DriverContext<FsKeywords>
type ACtx = ActionContext<FsKeywords>
type Res = Resource<FsKeywords>

/** umount of a busy filesystem is retried this many times, this far apart, before giving up (or killing). */
export const BUSY_RETRIES = 3
export const BUSY_WAIT_MS = 500
const FSCK_TIMEOUT = 30 * 60_000
const MKFS_TIMEOUT = 30 * 60_000

export interface FsTypeSpec {
  readonly type: string
  /** The mkfs program (mkfs.ext4). */
  readonly mkfs: string
  /** The check run before mounting, when `check` is true: program and argument builder. */
  readonly fsck?: {readonly program: string; readonly args: (dev: string) => string[]}
}

const e2fsck = {program: 'e2fsck', args: (dev: string) => ['-p', dev]}

export const FS_TYPES: readonly FsTypeSpec[] = [
  {type: 'ext4', mkfs: 'mkfs.ext4', fsck: e2fsck},
  {type: 'ext3', mkfs: 'mkfs.ext3', fsck: e2fsck},
  {type: 'ext2', mkfs: 'mkfs.ext2', fsck: e2fsck},
  {type: 'xfs', mkfs: 'mkfs.xfs'},
]

// ---------------------------------------------------------------------------------------
// dependencies (pure)

/**
 * The volume group names a device path may belong to: /dev/<vg>/<lv>, or /dev/mapper/<vg>-<lv>
 * where device-mapper doubles the hyphens inside names (vg--a-lv → vg-a / lv).
 */
export function vgCandidates(dev: string): string[] {
  const d = normalizeMnt(dev)
  // both forms are /dev/<a>/<b>: three slashes, no regex for the rest (/dev/disk/by-label/x)
  const second = d.startsWith('/dev/') ? d.indexOf('/', 5) : -1
  if (second < 0 || d.indexOf('/', second + 1) >= 0) return []
  const mapper = /^\/dev\/mapper\/((?:[^-/]|--)+)-((?:[^-/]|--)+)$/.exec(d)
  if (mapper) return [mapper[1].replace(/--/g, '-')]
  const direct = /^\/dev\/([^/]+)\/([^/]+)$/.exec(d)
  if (direct && direct[1] !== 'mapper') return [direct[1]]
  return []
}

const mntOf = (r: Resource): string | undefined =>
  r.group === 'fs' && typeof r.kw.mnt === 'string' ? normalizeMnt(r.kw.mnt) : undefined

interface FsIndex {
  /** The first position of each rid in the service's resources. */
  readonly position: Map<string, number>
  /** The enabled fs resources by normalized mount point, and by normalized device, in the service's order. */
  readonly byMnt: Map<string, Array<{rid: string; position: number}>>
  readonly byDev: Map<string, Array<{rid: string; position: number}>>
}

const fsIndexes = new WeakMap<readonly Resource[], FsIndex>()

function pushTo(map: Map<string, Array<{rid: string; position: number}>>, key: string, rid: string, position: number) {
  const list = map.get(key)
  if (list) list.push({rid, position})
  else map.set(key, [{rid, position}])
}

/**
 * The fs resources of a service by mount point and device, made once per resource list: each
 * resource's validate() looks its clashes up instead of scanning every earlier resource
 * (10,000 fs sections took 45 s to create).
 */
function fsIndex(resources: readonly Resource[]): FsIndex {
  const cached = fsIndexes.get(resources)
  if (cached) return cached
  const index: FsIndex = {position: new Map(), byMnt: new Map(), byDev: new Map()}
  resources.forEach((o, position) => {
    if (!index.position.has(o.rid)) index.position.set(o.rid, position)
    if (o.group !== 'fs' || o.disabled) return
    const mnt = mntOf(o)
    if (mnt !== undefined) pushTo(index.byMnt, mnt, o.rid, position)
    if (typeof o.kw.dev === 'string') pushTo(index.byDev, normalizeMnt(o.kw.dev), o.rid, position)
  })
  fsIndexes.set(resources, index)
  return index
}

/** An fs offers its mount point: whatever needs a path below it (a nested mount, a data folder) starts after it. */
export function fsProvides(res: Res): Capability[] {
  return [`path:${normalizeMnt(res.kw.mnt)}`]
}

/** The enclosing mount (the nearest, matched by the core) and the volume group of a logical volume. */
export function fsNeeds(res: Res): Need[] {
  const mnt = normalizeMnt(res.kw.mnt)
  const needs: Need[] = []
  if (mnt !== '/')
    needs.push({
      capability: `path:${path.posix.dirname(mnt)}`,
      reason: p => `mounted below ${p.rid}'s ${p.capability.slice('path:'.length)}`,
    })
  for (const vg of vgCandidates(res.kw.dev))
    needs.push({capability: `vg:${vg}`, reason: `${res.kw.dev} is a logical volume of ${vg}`})
  return needs
}

// ---------------------------------------------------------------------------------------
// host operations

function undoContext(ctx: ACtx, action: StepAction): ACtx {
  return {...ctx, action, journal: {undo: () => undefined}}
}

/** The mount state now, for an action's decision: a table read for it, never the command's. */
async function currentState(ctx: Ctx): Promise<MountState> {
  return (await readMountTable()).state(ctx.resource.kw.dev, ctx.resource.kw.mnt)
}

/**
 * An action's work: whatever it did (a mount, an unmount, a mkdir or rmdir of the mount point),
 * a status later in the same command reads the mount table anew.
 */
async function changing<T>(ctx: Ctx, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } finally {
    forgetMountTable(ctx.cache)
  }
}

function isBlockDevice(dev: string): boolean {
  try {
    return statSync(dev).isBlockDevice()
  } catch {
    return false
  }
}

function missingDevice(res: Res, svc: ServiceView): Error {
  if (existsSync(res.kw.dev)) return new Error(`${res.kw.dev} is not a block device`)
  const vgname = vgCandidates(res.kw.dev).find(name => svc.providers(`vg:${name}`, res.rid).length > 0)
  const vg = vgname === undefined ? undefined : svc.providers(`vg:${vgname}`, res.rid)[0]
  return new Error(
    `device ${res.kw.dev} does not exist${vg ? ` (its volume group ${vgname} is ${vg.rid}: is it started?)` : ''}`,
  )
}

async function ensureMountPoint(ctx: Ctx): Promise<boolean> {
  const mnt = normalizeMnt(ctx.resource.kw.mnt)
  if (existsSync(mnt)) {
    if (!statSync(mnt).isDirectory()) throw new Error(`mount point ${mnt} exists and is not a directory`)
    return false
  }
  ctx.log.info(`mkdir -p ${mnt}`)
  await mkdir(mnt, {recursive: true, mode: 0o755})
  return true
}

async function fsck(ctx: Ctx, spec: FsTypeSpec): Promise<void> {
  if (!spec.fsck) return
  const dev = ctx.resource.kw.dev
  // e2fsck: 0 clean, 1 errors corrected, 2 corrected and a reboot is advised, 4+ errors left or failure
  const r = await ctx.run(spec.fsck.program, spec.fsck.args(dev), {
    okExitCodes: [0, 1, 2, 4, 8, 12],
    timeout: FSCK_TIMEOUT,
  })
  if (r.exitCode === 1) ctx.log.info(`${spec.fsck.program} corrected errors on ${dev}`)
  else if (r.exitCode === 2)
    ctx.log.warn(
      `${spec.fsck.program} corrected errors on ${dev} and advises a reboot (a system filesystem would need one; mounting anyway)`,
    )
  else if (r.exitCode >= 4)
    throw new Error(
      `${spec.fsck.program} ${spec.fsck.args(dev).join(' ')}: exit code ${r.exitCode}: errors left uncorrected${lastLine(r.stdout + '\n' + r.stderr) ? ` (${lastLine(r.stdout + '\n' + r.stderr)})` : ''}: check it by hand (e2fsck -f ${dev}) before starting`,
    )
}

async function applyOwnership(ctx: Ctx): Promise<void> {
  const {mnt_mode: mode, user, group} = ctx.resource.kw
  const mnt = normalizeMnt(ctx.resource.kw.mnt)
  if (mode) await ctx.run('chmod', [mode, mnt])
  if (user) await ctx.run('chown', [group ? `${user}:${group}` : user, mnt])
  else if (group) await ctx.run('chgrp', [group, mnt])
}

async function mountIt(ctx: Ctx, spec: FsTypeSpec): Promise<void> {
  const {dev, mnt_opt} = ctx.resource.kw
  const mnt = normalizeMnt(ctx.resource.kw.mnt)
  await ctx.run('mount', ['-t', spec.type, ...(mnt_opt ? ['-o', mnt_opt] : []), dev, mnt])
  if (!(await currentState(ctx)).mine)
    throw new Error(`mount ${dev} ${mnt} succeeded but ${dev} does not show on ${mnt} in /proc/self/mountinfo`)
}

/**
 * umount, retried while busy; then, only when `mayKill`, the processes holding the
 * filesystem are killed (TERM, then KILL) and umount is retried. Never a lazy unmount.
 */
function unmount(ctx: Ctx, mayKill: boolean): Promise<void> {
  return changing(ctx, () => unmountNow(ctx, mayKill))
}

async function unmountNow(ctx: Ctx, mayKill: boolean): Promise<void> {
  const mnt = canonicalMnt(ctx.resource.kw.mnt)
  let killed = false
  for (let attempt = 1; ; attempt++) {
    const r = await ctx.run('umount', [mnt], {okExitCodes: [0, 32]})
    const st = await currentState(ctx)
    if (!st.mine) return
    if (r.exitCode === 0) {
      // the same device stacked twice on the mount point: unmount that one too
      if (attempt > 10)
        throw new Error(`umount ${mnt}: ${ctx.resource.kw.dev} still shows on it after ${attempt} unmounts`)
      continue
    }
    if (!/busy/i.test(r.stderr)) throw new Error(`umount ${mnt}: exit code ${r.exitCode}: ${lastLine(r.stderr)}`)
    if (attempt <= BUSY_RETRIES) {
      ctx.log.info(`${mnt} is busy: retry in ${BUSY_WAIT_MS / 1000}s (${attempt}/${BUSY_RETRIES})`)
      await sleep(BUSY_WAIT_MS)
      continue
    }
    const holders = await findHolders(mnt)
    const below = st.below.map(m => m.mountPoint)
    const who =
      [
        holders.length > 0 ? `used by ${describeHolders(holders)}` : '',
        below.length > 0 ? `filesystems mounted below it: ${below.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ') || 'no process holds it (a kernel user: a loop device, swap file, nfs export or a bind mount?)'
    if (holders.length === 0 || killed) throw new Error(`umount ${mnt}: target is busy, ${who}`)
    if (!mayKill)
      throw new Error(
        `umount ${mnt}: target is busy, ${who}: stop them, or set ${ctx.resource.rid}.kill_on_stop = true or use --force to have them killed`,
      )
    ctx.log.warn(`kill the processes using ${mnt}: ${describeHolders(holders)}`)
    const left = await killHolders(ctx.host, holders)
    if (left.length > 0) throw new Error(`umount ${mnt}: processes ${left.join(', ')} survived SIGKILL`)
    killed = true
    attempt = 0
  }
}

// ---------------------------------------------------------------------------------------
// the driver

export function makeFsDriver(spec: FsTypeSpec): Driver<FsKeywords> {
  const driver: Driver<FsKeywords> = {
    group: 'fs',
    type: spec.type,
    description: `A ${spec.type} filesystem on a block device: ${spec.fsck ? 'checked and ' : ''}mounted on start, unmounted on stop (a busy one only with kill_on_stop or --force); made by ${spec.mkfs} at provision when the device holds no filesystem.`,
    keywords: fsKeywords({
      checkDefault: spec.fsck !== undefined,
      fsck: spec.fsck ? `${spec.fsck.program} ${spec.fsck.args('DEV').join(' ')}` : undefined,
    }),

    validate(res, svc) {
      if (res.disabled) return []
      const problems: string[] = []
      const mnt = normalizeMnt(res.kw.mnt)
      const dev = normalizeMnt(res.kw.dev)
      const index = fsIndex(svc.resources)
      const before = index.position.get(res.rid) ?? Infinity
      // the earlier enabled fs resources sharing the mount point or the device, in the service's order
      const clashes = new Map<number, {rid: string; mnt?: true; dev?: true}>()
      for (const o of index.byMnt.get(mnt) ?? []) {
        if (o.position >= before) break
        clashes.set(o.position, {rid: o.rid, mnt: true})
      }
      for (const o of index.byDev.get(dev) ?? []) {
        if (o.position >= before) break
        const c = clashes.get(o.position)
        if (c) c.dev = true
        else clashes.set(o.position, {rid: o.rid, dev: true})
      }
      for (const position of [...clashes.keys()].sort((a, b) => a - b)) {
        const o = clashes.get(position)!
        if (o.mnt) problems.push(`${res.rid}.mnt: ${mnt} is already ${o.rid}'s mount point`)
        if (o.dev) problems.push(`${res.rid}.dev: ${res.kw.dev} is already ${o.rid}'s device`)
      }
      return problems
    },

    provides: fsProvides,
    needs: fsNeeds,

    label(res) {
      return `${res.kw.dev}@${normalizeMnt(res.kw.mnt)}`
    },

    describe(action, res) {
      const {dev, mnt_opt, mnt_mode, user, group, mkfs_opt = [], check, kill_on_stop} = res.kw
      const mnt = normalizeMnt(res.kw.mnt)
      switch (action) {
        case 'start':
          return [
            ...(check && spec.fsck
              ? [`${spec.fsck.program} ${spec.fsck.args(dev).join(' ')}  (exit codes 0 and 1 accepted, 2 warns)`]
              : []),
            `mkdir -p ${mnt}  (when missing)`,
            `mount -t ${spec.type}${mnt_opt ? ` -o ${mnt_opt}` : ''} ${dev} ${mnt}  (when not mounted)`,
            ...(mnt_mode ? [`chmod ${mnt_mode} ${mnt}`] : []),
            ...(user ? [`chown ${group ? `${user}:${group}` : user} ${mnt}`] : group ? [`chgrp ${group} ${mnt}`] : []),
          ]
        case 'stop':
          return [
            `umount ${mnt}  (when mounted; retried ${BUSY_RETRIES} times ${BUSY_WAIT_MS} ms apart while busy)`,
            kill_on_stop
              ? 'then kill the processes using it (TERM, then KILL) and umount again  (kill_on_stop = true)'
              : 'then fail, naming the processes using it  (kill_on_stop = false; with --force: kill them and umount again)',
          ]
        case 'provision':
          return [
            `blkid -p ${dev}  (a device holding any signature is never formatted)`,
            `${[spec.mkfs, ...mkfs_opt, dev].join(' ')}  (when ${dev} holds no filesystem)`,
            `mkdir -p ${mnt}  (when missing)`,
          ]
        case 'unprovision':
          return [`rmdir ${mnt}  (when empty; the filesystem and its data are kept)`]
        default:
          return []
      }
    },

    observe(ctx, op) {
      return ctx.observeFromStatus(op)
    },

    async status(ctx: Ctx): Promise<ResourceStatus> {
      const res = ctx.resource
      const label = driver.label(res, ctx.service)
      const mnt = normalizeMnt(res.kw.mnt)
      const log: StatusLogEntry[] = []
      let st: MountState
      try {
        // one table for the whole command's status (read-only): see ../mount/table.ts
        st = (await commandMountTable(ctx.cache)).state(res.kw.dev, res.kw.mnt)
      } catch (error) {
        // whether it is mounted is unknown, which is never down
        return {
          status: 'warn',
          label,
          log: [
            {
              level: 'warn',
              message: `cannot read the mount table: ${(error as Error).message}: whether ${mnt} is mounted is unknown`,
            },
          ],
        }
      }
      const top = st.atMnt.at(-1)
      if (st.mine) {
        if (top && top !== st.mine)
          log.push({level: 'warn', message: `${top.source} (${top.fstype}) is mounted over it`})
        if (st.mine.fstype !== spec.type)
          log.push({level: 'warn', message: `mounted as ${st.mine.fstype}, the configuration says ${spec.type}`})
        // drift, on the live mount: the type, and mnt_opt's options the mount does not show
        const drift = mountDrift(st.mine, spec.type, res.kw.mnt_opt)
        if (drift.length)
          log.push({level: 'warn', message: `drift: ${drift.join(', ')} (a stop and start remounts it)`})
        return {status: 'up', label, log, provisioned: true, drift}
      }
      let provisioned: boolean | undefined
      if (!st.devExists) {
        log.push({
          level: 'info',
          message: st.devFound ? `${res.kw.dev} is not a block device` : `device ${res.kw.dev} does not exist`,
        })
      } else {
        if (st.devElsewhere.length > 0)
          log.push({
            level: 'warn',
            message: `${res.kw.dev} is mounted on ${st.devElsewhere.map(m => m.mountPoint).join(', ')}, not on ${mnt}`,
          })
        try {
          const sig = await ctx.host.deviceSignature(res.kw.dev)
          provisioned = sig === spec.type
          if (sig === undefined)
            log.push({level: 'info', message: `${res.kw.dev} holds no filesystem (provision makes one)`})
          else if (sig !== spec.type) log.push({level: 'warn', message: `${res.kw.dev} holds ${sig}, not ${spec.type}`})
        } catch (error) {
          log.push({level: 'warn', message: `cannot probe ${res.kw.dev}: ${(error as Error).message}`})
        }
      }
      if (top) log.push({level: 'warn', message: `${top.source} (${top.fstype}) is mounted on ${mnt}`})
      return {status: 'down', label, log, ...(provisioned !== undefined ? {provisioned} : {})}
    },

    start(ctx: ACtx): Promise<ChangeResult> {
      return changing(ctx, async () => {
        const res = ctx.resource
        const mnt = normalizeMnt(res.kw.mnt)
        const st = await currentState(ctx)
        if (st.mine) return 'unchanged'
        if (!st.devExists) throw missingDevice(res, ctx.service)
        if (st.devElsewhere.length > 0)
          throw new Error(
            `${res.kw.dev} is already mounted on ${st.devElsewhere.map(m => m.mountPoint).join(', ')}: refusing to mount it on ${mnt} too`,
          )
        const top = st.atMnt.at(-1)
        if (top) throw new Error(`${mnt} already has ${top.source} (${top.fstype}) mounted on it`)
        if (res.kw.check) await fsck(ctx, spec)
        await ensureMountPoint(ctx)
        await mountIt(ctx, spec)
        ctx.journal.undo(`umount ${mnt}`, () => unmount(undoContext(ctx, 'stop'), res.kw.kill_on_stop || ctx.force))
        await applyOwnership(ctx)
        return 'changed'
      })
    },

    stop(ctx: ACtx): Promise<ChangeResult> {
      return changing(ctx, async () => {
        const res = ctx.resource
        const st = await currentState(ctx)
        if (!st.mine) return 'unchanged'
        const top = st.atMnt.at(-1)
        if (top && top !== st.mine)
          throw new Error(`${top.source} (${top.fstype}) is mounted over ${normalizeMnt(res.kw.mnt)}: unmount it first`)
        await unmount(ctx, res.kw.kill_on_stop || ctx.force)
        ctx.journal.undo(`mount ${res.kw.dev} on ${normalizeMnt(res.kw.mnt)}`, async () => {
          await driver.start(undoContext(ctx, 'start'))
        })
        return 'changed'
      })
    },

    provision(ctx: ACtx): Promise<ChangeResult> {
      return changing(ctx, async () => {
        const {dev, mkfs_opt = []} = ctx.resource.kw
        if (!isBlockDevice(dev)) throw missingDevice(ctx.resource, ctx.service)
        let change: ChangeResult = 'unchanged'
        const sig = await ctx.host.deviceSignature(dev)
        if (sig === undefined) {
          await ctx.run(spec.mkfs, [...mkfs_opt, dev], {timeout: MKFS_TIMEOUT})
          const made = await ctx.host.deviceSignature(dev)
          if (made !== spec.type)
            throw new Error(`${spec.mkfs} ${dev} ran but blkid finds ${made ?? 'no filesystem'} on it`)
          change = 'changed'
        } else if (sig === spec.type) {
          ctx.log.info(`${dev} already holds a ${sig} filesystem: not formatted`)
        } else {
          throw new Error(
            `refusing to format ${dev} as ${spec.type}: it holds ${/^[a-z0-9_]+$/i.test(sig) ? `a ${sig} signature` : sig} (svcmgr never formats a device holding a signature: wipe it yourself if its data is not needed)`,
          )
        }
        if ((await currentState(ctx)).mine === undefined && (await ensureMountPoint(ctx))) change = 'changed'
        return change
      })
    },

    unprovision(ctx: ACtx): Promise<ChangeResult> {
      return changing(ctx, async () => {
        const mnt = normalizeMnt(ctx.resource.kw.mnt)
        const st = await currentState(ctx)
        if (st.mine) throw new Error(`${mnt} is still mounted`)
        if (st.atMnt.length > 0 || !existsSync(mnt)) return 'unchanged'
        try {
          ctx.log.info(`rmdir ${mnt}`)
          await rmdir(mnt)
          return 'changed'
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code
          if (code === 'ENOTEMPTY' || code === 'EEXIST') {
            ctx.log.info(`mount point ${mnt} is not empty: kept`)
            return 'unchanged'
          }
          if (code === 'ENOENT') return 'unchanged'
          throw new Error(`rmdir ${mnt}: ${(error as Error).message}`, {cause: error})
        }
      })
    },
  }
  return driver
}

export const FS_DRIVERS: readonly Driver<FsKeywords>[] = FS_TYPES.map(makeFsDriver)
