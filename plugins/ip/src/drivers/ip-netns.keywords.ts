/**
 * The ip.netns keyword manifest. Order matters: `print config` lists a section's keywords in
 * this order after `type` (the seed prints type, mode, netns, ipdev, ipname, netmask, gateway).
 */
import type {KeywordManifest, KeywordsOf} from 'svcmgr'
import {checkAddress, checkInterface, checkIpname, checkMac, checkNetmask} from '../net/address.js'

export const NETNS_MODES = ['bridge', 'dedicated', 'macvlan', 'ipvlan-l2', 'ipvlan-l3', 'ipvlan-l3s'] as const
export type NetnsMode = (typeof NETNS_MODES)[number]

export const CONTAINER_RID_RE = /^container#[0-9]+$/

export const NETNS_KEYWORDS = [
  {
    name: 'mode',
    choices: NETNS_MODES,
    default: 'bridge',
    help: 'How the interface reaches the LAN: bridge (a veth pair, its host end enslaved to the bridge ipdev), dedicated (ipdev itself moves into the namespace), macvlan (a macvlan link on ipdev, mode bridge), ipvlan-l2, ipvlan-l3, ipvlan-l3s (an ipvlan link on ipdev; needs a kernel with ipvlan).',
  },
  {
    name: 'netns',
    aliases: ['container_rid'],
    required: true,
    help: 'The container resource (container#N) holding the network namespace the address goes into; it starts before this resource, and the containers sharing its namespace after.',
    check: v => (CONTAINER_RID_RE.test(v.trim()) ? undefined : 'a container rid such as container#1'),
  },
  {
    name: 'ipdev',
    required: true,
    help: 'The host interface the link is made on: the parent of the macvlan/ipvlan link, the bridge for mode bridge, the interface moved into the namespace for mode dedicated. Availability probes go out through it.',
    check: checkInterface,
  },
  {
    name: 'ipname',
    required: true,
    help: 'The address to plumb, or a host name resolved at start (/etc/hosts, then DNS).',
    check: checkIpname,
  },
  {
    name: 'netmask',
    help: 'The netmask, dotted (255.255.255.224) or as a prefix length (27). Default: the prefix of the address ipdev holds in that network, else a host prefix (/32 or /128).',
    check: checkNetmask,
  },
  {
    name: 'gateway',
    help: 'The default gateway of the namespace, set when the namespace has no default route yet (ip route replace default via GATEWAY).',
    check: checkAddress,
  },
  {
    name: 'nsdev',
    help: 'The interface name inside the namespace. Default: the first free ethN.',
    check: checkInterface,
  },
  {
    name: 'macaddr',
    help: 'The MAC address of the interface inside the namespace (not with the ipvlan modes: ipvlan links share the MAC of ipdev).',
    check: checkMac,
  },
  {
    name: 'mtu',
    type: 'int',
    help: "The MTU of the interface inside the namespace. Default: ipdev's.",
    check: v =>
      /^\d+$/.test(v.trim()) && Number(v) >= 68 && Number(v) <= 65535 ? undefined : 'an MTU between 68 and 65535',
  },
  {
    name: 'del_net_route',
    type: 'bool',
    default: 'false',
    help: 'Delete the network route the kernel adds with the address (ip route del NETWORK/PREFIX dev NSDEV), leaving only the default route.',
  },
  {
    name: 'check_carrier',
    type: 'bool',
    default: 'true',
    help: 'Report the resource down when the interface (or ipdev) has no carrier. Set to false when ipdev is a bridge with no port up.',
  },
] as const satisfies KeywordManifest

/** The parsed keywords an ip.netns resource carries (Resource.kw), derived from the manifest. */
export type NetnsKeywords = KeywordsOf<typeof NETNS_KEYWORDS>
