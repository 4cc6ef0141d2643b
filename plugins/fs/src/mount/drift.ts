/**
 * Drift of a mounted filesystem, read on the live mount (/proc/self/mountinfo is the truth):
 * `type` when it is mounted as another filesystem type; `mnt_opt` when an option of mnt_opt is
 * shown neither in the mount's options nor in its superblock's. Options the kernel never shows
 * (defaults, auto, noauto, user, nouser, users, owner, _netdev, nofail, x-*) and rw/ro's defaults
 * are not compared. The device is the identity: another device there is a down resource.
 */
import type {MountEntry} from './mountinfo.js'

const NEVER_SHOWN = new Set(['defaults', 'auto', 'noauto', 'user', 'nouser', 'users', 'owner', '_netdev', 'nofail'])

export function mountDrift(
  mounted: Pick<MountEntry, 'fstype' | 'options' | 'superOptions'>,
  type: string,
  mntOpt: string | undefined,
): string[] {
  const drift: string[] = []
  if (mounted.fstype !== type) drift.push('type')
  const live = new Set([...mounted.options.split(','), ...mounted.superOptions.split(',')])
  const wanted = (mntOpt ?? '').split(',').filter(o => o && !NEVER_SHOWN.has(o) && !o.startsWith('x-'))
  if (wanted.some(o => !live.has(o))) drift.push('mnt_opt')
  return drift
}
