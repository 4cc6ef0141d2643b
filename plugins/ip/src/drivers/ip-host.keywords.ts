/**
 * The ip.host keyword manifest, in `print config` order (the seed's busybox service writes
 * ipdev, then ipname).
 */
import type {KeywordManifest, KeywordsOf} from 'svcmgr'
import {checkAddress, checkInterface, checkIpname, checkNetmask} from '../net/address.js'

export const HOST_KEYWORDS = [
  {
    name: 'ipdev',
    required: true,
    help: 'The host interface the address is added to; availability probes and the gratuitous ARP go out through it.',
    check: checkInterface,
  },
  {
    name: 'ipname',
    required: true,
    help: 'The address to add, or a host name resolved at start (/etc/hosts, then DNS).',
    check: checkIpname,
  },
  {
    name: 'netmask',
    help: 'The netmask, dotted (255.255.255.224) or as a prefix length (27). Default: the prefix of the address ipdev already holds in that network, else a host prefix (/32 or /128).',
    check: checkNetmask,
  },
  {
    name: 'gateway',
    help: "The gateway of the address's network. Checked to be in that network; svcmgr never changes the host's routes (OpenSVC uses it to provision zones).",
    check: checkAddress,
  },
  {
    name: 'alias',
    type: 'bool',
    default: 'true',
    help: 'Label the address as an alias of ipdev (ipdev:N, what ifconfig shows as eth0:1); false adds it without a label.',
  },
] as const satisfies KeywordManifest

/** The parsed keywords an ip.host resource carries (Resource.kw), derived from the manifest. */
export type HostKeywords = KeywordsOf<typeof HOST_KEYWORDS>
