/**
 * The fs.* keyword manifest (ext4, ext3, ext2, xfs share it; only `check`'s default differs).
 * Order matters: `print config` lists a section's keywords in this order (the seed prints
 * mnt_opt, mnt, dev, type; svcmgr puts type first, then dev, mnt, mnt_opt).
 */
import type {KeywordManifest, KeywordsOf} from 'svcmgr'

const absolute = (what: string) => (v: string) => (v.trim().startsWith('/') ? undefined : `an absolute ${what} path`)

const NAME_OR_ID = /^([a-z_][a-z0-9_.-]*\$?|\d+)$/i

export function fsKeywords(opts: {checkDefault: boolean; fsck?: string}) {
  return [
    {
      name: 'dev',
      required: true,
      help: 'The block device holding the filesystem: /dev/sdb1, a loop device, /dev/<vg>/<lv> or /dev/mapper/<vg>-<lv> (a filesystem on a volume group of the service starts after it).',
      check: v => absolute('device')(v) ?? (/\s/.test(v.trim()) ? 'a device path without spaces' : undefined),
    },
    {
      name: 'mnt',
      required: true,
      help: 'The mount point. Created at provision and start when missing. Nested mount points start parent first and stop child first.',
      check: v =>
        absolute('mount point')(v) ?? (v.trim().replace(/\/+$/, '') === '' ? 'a mount point other than /' : undefined),
    },
    {
      name: 'mnt_opt',
      help: 'Mount options, as mount -o takes them (e.g. rw or defaults,noatime).',
      check: v => (/^[^\s]+$/.test(v.trim()) ? undefined : 'comma-separated mount options without spaces'),
    },
    {
      name: 'mkfs_opt',
      type: 'list',
      help: 'Extra mkfs options used at provision, as shell-like words (e.g. -L data -m 1).',
    },
    {
      name: 'check',
      type: 'bool',
      default: opts.checkDefault ? 'true' : 'false',
      help: opts.fsck
        ? `Check the filesystem before mounting it (${opts.fsck}; the exit codes "errors corrected" are accepted, "corrected, reboot needed" warns, others fail the start).`
        : 'Accepted for compatibility: this filesystem type has no check run before mounting.',
    },
    {
      name: 'mnt_mode',
      help: 'The mode of the mounted filesystem root, in octal (e.g. 0755), applied after each mount.',
      check: v => (/^[0-7]{3,4}$/.test(v.trim()) ? undefined : 'an octal mode such as 0755'),
    },
    {
      name: 'user',
      help: 'The owner of the mounted filesystem root (a user name or uid), applied after each mount.',
      check: v => (NAME_OR_ID.test(v.trim()) ? undefined : 'a user name or uid'),
    },
    {
      name: 'group',
      help: 'The group of the mounted filesystem root (a group name or gid), applied after each mount.',
      check: v => (NAME_OR_ID.test(v.trim()) ? undefined : 'a group name or gid'),
    },
    {
      name: 'kill_on_stop',
      type: 'bool',
      default: 'false',
      help: 'When the filesystem stays busy at stop, kill the processes using it (TERM, then KILL) and unmount. Without it (or --force) a busy filesystem fails the stop.',
    },
  ] as const satisfies KeywordManifest
}

/** The parsed keywords an fs resource carries (Resource.kw), derived from the manifest. */
export type FsKeywords = KeywordsOf<ReturnType<typeof fsKeywords>>
