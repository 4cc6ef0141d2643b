/**
 * The disk.vg keyword manifest. Order matters: `print config` lists a section's keywords in
 * this order (the seed prints vgname, then scsireserv).
 */
import type {KeywordManifest, KeywordsOf} from 'svcmgr'

/**
 * LVM's own rule for volume group names (lvm(8), "VALID NAMES"): letters, digits and + _ . -,
 * not starting with a hyphen, not "." nor "..", at most 127 characters.
 */
export function vgNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a volume group name'
  if (name.length > 127) return 'a volume group name of at most 127 characters'
  if (!/^[A-Za-z0-9+_.-]+$/.test(name)) return 'a volume group name made of letters, digits and + _ . -'
  if (name.startsWith('-')) return 'a volume group name not starting with "-"'
  if (name === '.' || name === '..') return 'a volume group name other than "." and ".."'
  return undefined
}

/** A list keyword's words: as the core parsed them, or split on blanks for a core that passes only the raw text. */
const words = (raw: string, parsed: unknown): string[] =>
  Array.isArray(parsed) ? parsed.map(String) : raw.split(/\s+/).filter(Boolean)

export const VG_KEYWORDS = [
  {
    name: 'vgname',
    aliases: ['name'],
    required: true,
    help: 'The LVM volume group name (e.g. vgbusybox). Start tags it for this node and activates it; stop deactivates and untags it.',
    check: v => vgNameProblem(v.trim()),
  },
  {
    name: 'pvs',
    type: 'list',
    help: 'The physical volumes (block device paths) provision creates the volume group on, e.g. /dev/sdb /dev/sdc. Provision never overwrites a device that holds a signature.',
    check: (v, parsed) => {
      const bad = words(v, parsed).find(w => !w.startsWith('/'))
      return bad === undefined ? undefined : `absolute block device paths (not ${JSON.stringify(bad)})`
    },
  },
  {
    name: 'options',
    type: 'list',
    help: 'Extra vgcreate options used at provision, as shell-like words (e.g. -s 8M).',
    check: (v, parsed) => {
      const first = words(v, parsed)[0]
      return first === undefined || first.startsWith('-')
        ? undefined
        : `vgcreate options starting with "-" (not ${JSON.stringify(first)})`
    },
  },
  {
    name: 'scsireserv',
    type: 'bool',
    default: 'false',
    help: 'SCSI persistent reservations on the physical volumes. Accepted for OpenSVC compatibility; not supported: start warns when it is true.',
  },
] as const satisfies KeywordManifest

/** The parsed keywords a disk.vg resource carries (Resource.kw), derived from the manifest: pvs are the physical volumes provision creates the volume group on, options extra vgcreate options. */
export type VgKeywords = KeywordsOf<typeof VG_KEYWORDS>
