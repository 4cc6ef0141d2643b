/**
 * ip.netns: an address plumbed into the network namespace of a container resource (the
 * holder, usually a pause container), on a link made for the mode: a macvlan or ipvlan link
 * on ipdev, a veth pair into the bridge ipdev, or ipdev itself (dedicated). It starts after
 * its holder and before the containers sharing the holder's namespace, so they find the
 * address plumbed.
 */
import type {
  ActionContext,
  ChangeResult,
  Driver,
  DriverContext,
  NetnsInfo,
  NetnsOptions,
  Need,
  PeerHandle,
  Resource,
  ResourceStatus,
  ServiceView,
  StatusLogEntry,
} from 'svcmgr'
import {announceArgs, announceOrWarn, DESCRIBED_ARPING, describedProbe} from '../net/arp.js'
import {ipFamily, networkOf, type ResolvedAddress} from '../net/address.js'
import {
  addressText,
  checkAvailable,
  checkGone,
  cidrText,
  configuredPrefix,
  prefixFor,
  resolveFor,
  validateAddressKeywords,
  waitIpv6Dad,
} from '../net/common.js'
import {
  defaultRoute,
  findAddress,
  findLink,
  firstFreeEth,
  hasCarrier,
  inNetns,
  ip,
  ipCommandLine,
  isAdminUp,
  type LinkJson,
} from '../net/iproute.js'
import {NETNS_KEYWORDS, type NetnsKeywords, type NetnsMode} from './ip-netns.keywords.js'
import {netmaskDrift} from '../net/drift.js'

type Ctx = DriverContext<NetnsKeywords>
type ACtx = ActionContext<NetnsKeywords>
type Res = Resource<NetnsKeywords>

const IFNAMSIZ = 15

// ---------------------------------------------------------------------------------------
// naming

/** The temporary host-side name of the link before it moves and is renamed (OpenSVC's ph<pid><ipdev>). */
export function tempLinkName(pid: number | string, ipdev: string, cut = true): string {
  const name = `ph${pid}${ipdev}`
  return cut ? name.slice(0, IFNAMSIZ) : name
}

/** The host end of the veth pair of mode bridge (OpenSVC's v<nsdev>pl<pid>). */
export function bridgePeerName(pid: number | string, nsdev: string, cut = true): string {
  const name = `v${nsdev}pl${pid}`
  return !cut || name.length <= IFNAMSIZ ? name : `vpl${pid}${nsdev}`.slice(0, IFNAMSIZ)
}

function ipvlanMode(mode: NetnsMode): string | undefined {
  return mode.startsWith('ipvlan-') ? mode.slice('ipvlan-'.length) : undefined
}

/** ipvlan L3 links are NOARP: no gratuitous ARP from them. */
const announces = (mode: NetnsMode) => mode !== 'ipvlan-l3' && mode !== 'ipvlan-l3s'

/** The namespace capability of a holder rid, as a container driver provides it. */
const netnsOf = (rid: string) => `netns:${rid}`

/** The resources that start in `holder`'s namespace (directly or through a chain of joiners), as the core matches them. */
function sharing(svc: ServiceView, res: Res): string[] {
  return svc.users(netnsOf(res.kw.netns), res.rid).map(r => r.rid)
}

// ---------------------------------------------------------------------------------------
// the holder's namespace

/** A peer made once per command (its handle holds a context): every address of a namespace asks the same holder. */
function commandPeer(ctx: Ctx, rid: string): PeerHandle | undefined {
  const key = `ip:peer:${rid}`
  if (!ctx.cache.has(key)) ctx.cache.set(key, ctx.peer(rid))
  return ctx.cache.get(key) as PeerHandle | undefined
}

/**
 * The holder's namespace, or undefined when it does not run. Throws only when the holder cannot
 * have one. Status asks as a read-only pass (`snapshot`): its holder answers once per command.
 */
async function holderNetns(ctx: Ctx, options: NetnsOptions = {}): Promise<NetnsInfo | undefined> {
  const rid = ctx.resource.kw.netns
  const peer = options.snapshot ? commandPeer(ctx, rid) : ctx.peer(rid)
  if (!peer) throw new Error(`${ctx.resource.rid}.netns: ${rid} is not a resource of ${ctx.service.name}`)
  const netns = peer.driver.capabilities?.netns
  if (!netns)
    throw new Error(
      `${ctx.resource.rid}.netns: ${rid} (a ${peer.resource.group}.${peer.resource.type}) has no network namespace to offer`,
    )
  return netns(peer.context, options)
}

async function runningHolderNetns(ctx: Ctx): Promise<NetnsInfo> {
  const ns = await holderNetns(ctx)
  if (!ns)
    throw new Error(
      `${ctx.resource.kw.netns}, which holds the network namespace of ${ctx.resource.rid}, is not running: start it first (svcmgr start --rid ${ctx.resource.rid} starts it too)`,
    )
  return ns
}

// ---------------------------------------------------------------------------------------
// start steps

/** Where the link being plumbed is, for the undo step. */
interface Plumbing {
  where: 'host' | 'netns'
  name: string
}

async function ensureUp(ctx: Ctx, link: LinkJson): Promise<void> {
  if (!isAdminUp(link)) await ip(ctx, undefined, ['link', 'set', link.ifname, 'up'])
}

/** Creates the link of the mode on the host; returns its name (for dedicated: ipdev itself, nothing created). */
async function createLink(
  ctx: ACtx,
  ns: NetnsInfo,
  parent: LinkJson,
  nsdev: string,
  plumbing: Plumbing,
  undo: () => void,
): Promise<void> {
  const {mode, ipdev, mtu, macaddr} = ctx.resource.kw
  const mtuArgs = ['mtu', String(mtu ?? parent.mtu ?? 1500)]
  const macArgs = macaddr ? ['address', macaddr] : []
  const tmp = tempLinkName(ns.pid, ipdev)
  if (mode === 'dedicated') {
    plumbing.name = ipdev
    return
  }
  if (mode === 'bridge') {
    const peer = bridgePeerName(ns.pid, nsdev)
    await ip(ctx, undefined, [
      'link',
      'add',
      'name',
      tmp,
      ...mtuArgs,
      ...macArgs,
      'type',
      'veth',
      'peer',
      'name',
      peer,
      ...mtuArgs,
    ])
    plumbing.name = tmp
    undo()
    await ip(ctx, undefined, ['link', 'set', peer, 'master', ipdev])
    await ip(ctx, undefined, ['link', 'set', peer, 'up'])
    return
  }
  const l = ipvlanMode(mode)
  const kind = l ? ['type', 'ipvlan', 'mode', l] : ['type', 'macvlan', 'mode', 'bridge']
  try {
    await ip(ctx, undefined, ['link', 'add', 'link', ipdev, 'name', tmp, ...mtuArgs, ...macArgs, ...kind])
  } catch (error) {
    if (l && /unknown device type|not supported/i.test((error as Error).message))
      throw new Error(
        `${(error as Error).message}: this kernel has no ipvlan support (load the ipvlan module, or use mode macvlan or bridge)`,
        {cause: error},
      )
    throw error
  }
  plumbing.name = tmp
  undo()
}

/** The undo of a start: the link goes (or, dedicated, ipdev comes back to the host). */
async function unplumb(ctx: Ctx, ns: NetnsInfo, plumbing: Plumbing): Promise<void> {
  const {mode, ipdev} = ctx.resource.kw
  if (plumbing.where === 'host') {
    if (mode !== 'dedicated' && (await findLink(ctx, undefined, plumbing.name)))
      await ip(ctx, undefined, ['link', 'del', 'dev', plumbing.name])
    return
  }
  if (!(await findLink(ctx, ns, plumbing.name))) return
  if (mode === 'dedicated') await giveBack(ctx, ns, plumbing.name, ipdev)
  else await ip(ctx, ns, ['link', 'del', 'dev', plumbing.name])
}

/** Mode dedicated: ipdev leaves the namespace under its own name, back to svcmgr's namespace, up again. */
async function giveBack(ctx: Ctx, ns: NetnsInfo, dev: string, ipdev: string): Promise<void> {
  await ip(ctx, ns, ['link', 'set', dev, 'down'])
  if (dev !== ipdev) await ip(ctx, ns, ['link', 'set', dev, 'name', ipdev])
  await ip(ctx, ns, ['link', 'set', ipdev, 'netns', '1'])
  await ip(ctx, undefined, ['link', 'set', ipdev, 'up'])
}

async function checkParent(ctx: Ctx): Promise<LinkJson> {
  const {mode, ipdev} = ctx.resource.kw
  const parent = await findLink(ctx, undefined, ipdev)
  if (!parent)
    throw new Error(
      `${ctx.resource.rid}.ipdev: no interface ${ipdev} on this host${mode === 'dedicated' ? ' (with mode dedicated, it is moved into the namespace: is it in another one?)' : ''}`,
    )
  if (mode === 'bridge' && parent.linkinfo?.info_kind !== 'bridge')
    throw new Error(
      `${ctx.resource.rid}.ipdev: ${ipdev} is not a bridge (${parent.linkinfo?.info_kind ?? parent.link_type ?? 'a plain interface'}): mode bridge attaches a veth pair to a bridge; use mode macvlan to plumb on an interface`,
    )
  return parent
}

async function setGateway(ctx: Ctx, ns: NetnsInfo, family: 4 | 6): Promise<void> {
  const {gateway} = ctx.resource.kw
  if (!gateway) return
  const current = await defaultRoute(ctx, ns, family)
  if (current?.gateway === gateway) return
  if (current) {
    ctx.log.info(
      `the namespace already has a default route (${current.gateway ? `via ${current.gateway}` : `dev ${current.dev}`}): kept`,
    )
    return
  }
  await ip(ctx, ns, ['route', 'replace', 'default', 'via', gateway])
}

// ---------------------------------------------------------------------------------------
// describe (pure)

/** The start lines that do not name the address: the same for every address on one link of one namespace. */
interface StartShape {
  readonly find: string
  readonly ipdevUp: string
  /** From the mode line to the rename into the namespace (dedicated: then its mtu and address). */
  readonly plumbing: readonly string[]
  readonly up: string
  readonly noArp?: string
}

const startShapes = new Map<string, StartShape>()

/** describeStart's address-free lines, made once per shape (10,000 addresses in a namespace share one). */
function startShape(kw: NetnsKeywords): StartShape {
  const {mode, ipdev, nsdev: nsdevKw, mtu, macaddr, netns} = kw
  const key = [mode, ipdev, netns, nsdevKw ?? '', nsdevKw === undefined, mtu ?? '', macaddr ?? ''].join('\n')
  const known = startShapes.get(key)
  if (known) return known
  const pid = `<pid of ${netns}>`
  const ns = {pid: 0, path: `/proc/${pid}/ns/net`}
  const nsdev = nsdevKw ?? '<first free ethN>'
  const line = (args: string[], where?: typeof ns) => ipCommandLine(where, args)
  const mtuArgs = ['mtu', mtu !== undefined ? String(mtu) : `<mtu of ${ipdev}>`]
  const macArgs = macaddr ? ['address', macaddr] : []
  const tmp = mode === 'dedicated' ? ipdev : tempLinkName(pid, ipdev, false)
  const plumbing = [`${mode} mode`]
  const l = ipvlanMode(mode)
  if (l) plumbing.push(line(['link', 'add', 'link', ipdev, 'name', tmp, ...mtuArgs, 'type', 'ipvlan', 'mode', l]))
  else if (mode === 'macvlan')
    plumbing.push(
      line(['link', 'add', 'link', ipdev, 'name', tmp, ...mtuArgs, ...macArgs, 'type', 'macvlan', 'mode', 'bridge']),
    )
  else if (mode === 'bridge') {
    const peer = bridgePeerName(pid, nsdev, false)
    plumbing.push(
      line(['link', 'add', 'name', tmp, ...mtuArgs, ...macArgs, 'type', 'veth', 'peer', 'name', peer, ...mtuArgs]),
      line(['link', 'set', peer, 'master', ipdev]),
      line(['link', 'set', peer, 'up']),
    )
  }
  plumbing.push(line(['link', 'set', tmp, 'netns', pid]))
  plumbing.push(
    `${line(['link', 'set', tmp, 'name', nsdev], ns)}${mode === 'dedicated' && nsdevKw === ipdev ? '  (skipped: same name)' : ''}`,
  )
  if (mode === 'dedicated') {
    if (mtu !== undefined) plumbing.push(line(['link', 'set', nsdev, 'mtu', String(mtu)], ns))
    if (macaddr) plumbing.push(line(['link', 'set', nsdev, 'address', macaddr], ns))
  }
  const shape: StartShape = {
    find: `find the network namespace of ${netns} (refuse the start when ${netns} is not running)`,
    ipdevUp: `${line(['link', 'set', ipdev, 'up'])}  (when it is down)`,
    plumbing,
    up: line(['link', 'set', nsdev, 'up'], ns),
    ...(announces(mode)
      ? {}
      : {noArp: `no gratuitous ARP: ${mode} links do no ARP (the LAN reaches the address through ${ipdev}'s routes)`}),
  }
  // a service has a few shapes; the bound keeps a long-lived agent's memo small whatever it reads
  if (startShapes.size >= 1024) startShapes.clear()
  startShapes.set(key, shape)
  return shape
}

function describeStart(res: Res, svc: ServiceView): string[] {
  const {ipdev, ipname, netmask, gateway, nsdev: nsdevKw, netns} = res.kw
  const shape = startShape(res.kw)
  const ns = {pid: 0, path: `/proc/<pid of ${netns}>/ns/net`}
  const nsdev = nsdevKw ?? '<first free ethN>'
  const address = addressText(ipname)
  const cidr = cidrText(ipname, netmask, ipdev)
  const line = (args: string[], where?: typeof ns) => ipCommandLine(where, args)
  const lines = [
    shape.find,
    `nothing to do when ${address} is already on an interface of that namespace`,
    shape.ipdevUp,
    ipFamily(ipname) === 4 || !ipFamily(ipname)
      ? `checking ${address} availability: ${describedProbe(ipdev, address)}  (an answer refuses the start)`
      : `checking ${address} availability: by the kernel's IPv6 duplicate address detection once added`,
    ...shape.plumbing,
    line(['addr', 'add', cidr, 'dev', nsdev], ns),
    shape.up,
  ]
  if (gateway)
    lines.push(
      `${line(['route', 'replace', 'default', 'via', gateway], ns)}  (when the namespace has no default route)`,
    )
  if (res.kw.del_net_route) {
    const prefix = configuredPrefix(netmask)
    const net =
      ipFamily(ipname) && prefix !== undefined ? `${networkOf(ipname, prefix)}/${prefix}` : `<network of ${cidr}>`
    lines.push(line(['route', 'del', net, 'dev', nsdev], ns))
  }
  if (shape.noArp) lines.push(shape.noArp)
  else if (ipFamily(ipname) !== 6)
    lines.push(
      inNetns(ns, DESCRIBED_ARPING[0], [...DESCRIBED_ARPING.slice(1), ...announceArgs(nsdev, address)])
        .flat()
        .join(' '),
    )
  const users = sharing(svc, res)
  if (users.length) lines.push(`then ${users.join(', ')} start${users.length === 1 ? 's' : ''} in that namespace`)
  return lines
}

function describeStop(res: Res): string[] {
  const {mode, ipdev, ipname, netmask, netns} = res.kw
  const ns = {pid: 0, path: `/proc/<pid of ${netns}>/ns/net`}
  const line = (args: string[], where?: typeof ns) => ipCommandLine(where, args)
  const dev = '<the interface holding it>'
  const address = addressText(ipname)
  const lines = [
    `nothing to do when ${netns} is not running (its namespace and the links in it are gone) or ${address} is not in it`,
    line(['addr', 'del', cidrText(ipname, netmask, ipdev), 'dev', dev], ns),
  ]
  if (mode === 'dedicated')
    lines.push(
      line(['link', 'set', dev, 'down'], ns),
      line(['link', 'set', dev, 'name', ipdev], ns),
      line(['link', 'set', ipdev, 'netns', '1'], ns),
      line(['link', 'set', ipdev, 'up']),
    )
  else lines.push(line(['link', 'del', 'dev', dev], ns))
  if (ipFamily(ipname) !== 6)
    lines.push(`checking ${address} availability: ${describedProbe(ipdev, address)}  (a warning when it still answers)`)
  return lines
}

/**
 * describe()'s lines by service and resource: it is pure and the compiled ones never change, and
 * a dry-run asks it twice per resource (the plan's steps, then the observation's).
 */
const descriptions = new WeakMap<ServiceView, WeakMap<Res, Map<string, readonly string[]>>>()

function described(
  res: Res,
  svc: ServiceView,
  action: 'start' | 'stop',
  describe: (res: Res, svc: ServiceView) => string[],
): readonly string[] {
  let ofService = descriptions.get(svc)
  if (!ofService) descriptions.set(svc, (ofService = new WeakMap()))
  let ofResource = ofService.get(res)
  if (!ofResource) ofService.set(res, (ofResource = new Map()))
  let lines = ofResource.get(action)
  if (!lines) ofResource.set(action, (lines = describe(res, svc)))
  return lines
}

// ---------------------------------------------------------------------------------------
// the driver

export const ipNetnsDriver: Driver<NetnsKeywords> = {
  group: 'ip',
  type: 'netns',
  typeAliases: ['docker'],
  description:
    "An IP address in a container's network namespace, on a macvlan, ipvlan, veth-into-bridge or dedicated link.",
  keywords: NETNS_KEYWORDS,

  validate(res, svc) {
    const problems = validateAddressKeywords(res, svc)
    // what the holder's driver declares about namespaces: the one it joined, the host's, or its own
    const holder = svc.resource(res.kw.netns)
    const joined = holder
      ? svc
          .needed(holder.rid)
          .map(n => n.capability)
          .find(c => c.startsWith('netns:'))
      : undefined
    const owner = joined?.slice('netns:'.length)
    if (!holder || holder.group !== 'container') {
      problems.push(
        `${res.rid}.netns: expected a container resource of this service, got ${JSON.stringify(res.kw.netns)}`,
      )
    } else if (owner !== undefined && owner !== 'host') {
      problems.push(`${res.rid}.netns: ${holder.rid} shares the network namespace of ${owner}: set netns = ${owner}`)
    } else if (owner === 'host') {
      problems.push(
        `${res.rid}.netns: ${holder.rid} runs in the host's network namespace (netns = host): use an ip.host resource, or a container with its own namespace`,
      )
    } else if (!svc.provided(holder.rid).includes(netnsOf(holder.rid))) {
      problems.push(
        `${res.rid}.netns: ${holder.rid} (a ${holder.group}.${holder.type}) has no network namespace to offer`,
      )
    }
    if (res.kw.macaddr && ipvlanMode(res.kw.mode))
      problems.push(
        `${res.rid}.macaddr: not with mode ${res.kw.mode}: ipvlan links share the MAC address of ${res.kw.ipdev}`,
      )
    if (res.kw.nsdev === 'lo') problems.push(`${res.rid}.nsdev: expected an interface name other than lo, got "lo"`)
    return problems
  },

  // after the holder, before the resources that start in its namespace (the core finds them)
  needs(res): Need[] {
    // the holder's namespace is enough: its readiness may need this address (gate 'started')
    return [
      {capability: netnsOf(res.kw.netns), reason: 'netns owner', prepares: 'ip plumbed in the netns', gate: 'started'},
    ]
  },

  label(res) {
    const prefix = configuredPrefix(res.kw.netmask)
    return `netns ${res.kw.mode} ${res.kw.ipname}${prefix !== undefined ? `/${prefix}` : ''} ${res.kw.ipdev}@${res.kw.netns}`
  },

  describe(action, res, svc) {
    switch (action) {
      case 'start':
        return [...described(res, svc, 'start', describeStart)]
      case 'stop':
        return [...described(res, svc, 'stop', r => describeStop(r))]
      default:
        return []
    }
  },

  observe(ctx, op) {
    return ctx.observeFromStatus(op)
  },

  async status(ctx): Promise<ResourceStatus> {
    const label = ipNetnsDriver.label(ctx.resource, ctx.service)
    const {mode, ipdev, netns, check_carrier: checkCarrier} = ctx.resource.kw
    const down = (message: string, level: StatusLogEntry['level'] = 'info'): ResourceStatus => ({
      status: 'down',
      label,
      log: [{level, message}],
    })
    const unknown = (reason: string): ResourceStatus => ({
      status: 'warn',
      label,
      log: [
        {
          level: 'warn',
          message: `${reason}: whether ${ctx.resource.kw.ipname} is plumbed in ${netns}'s namespace is unknown`,
        },
      ],
    })
    try {
      const ns = await holderNetns(ctx, {snapshot: true})
      if (!ns) return down(`${netns} is down: no network namespace to plumb in`)
      // an ipname that does not resolve leaves the address unknown, so whether it is plumbed is too
      const addr: ResolvedAddress = await resolveFor(ctx)
      if (mode !== 'dedicated') {
        const parent = await findLink(ctx, undefined, ipdev, {snapshot: true})
        if (!parent) return down(`ipdev ${ipdev} is missing on this host`, 'warn')
        if (checkCarrier && !hasCarrier(parent)) return down(`no carrier on ipdev ${ipdev}`, 'warn')
      }
      const at = await findAddress(ctx, ns, addr.ip, {snapshot: true})
      if (!at) return down(`${addr.ip} is not plumbed in the network namespace of ${netns}`)
      if (!isAdminUp(at.link))
        return down(`${at.link.ifname}, which holds ${addr.ip} in ${netns}'s namespace, is down`, 'warn')
      if (checkCarrier && !hasCarrier(at.link))
        return down(`no carrier on ${at.link.ifname} in ${netns}'s namespace`, 'warn')
      if (at.addr.dadfailed) return down(`${addr.ip} failed duplicate address detection`, 'warn')
      // drift, on the live address: its prefix against netmask (when set)
      const drift = netmaskDrift(ctx.resource.kw.netmask, at.addr.prefixlen)
      return {
        status: 'up',
        label,
        log: drift.length ? [{level: 'warn', message: `drift: netmask (plumbed /${at.addr.prefixlen})`}] : [],
        drift,
      }
    } catch (error) {
      // the holder's engine or a probe did not answer: unknown, which is never down
      return unknown((error as Error).message)
    }
  },

  async start(ctx): Promise<ChangeResult> {
    const {mode, ipdev, nsdev: nsdevKw, mtu, macaddr} = ctx.resource.kw
    const ns = await runningHolderNetns(ctx)
    const addr = await resolveFor(ctx)
    const plumbed = await findAddress(ctx, ns, addr.ip)
    if (plumbed) return 'unchanged'
    const parent = await checkParent(ctx)
    const prefix = await prefixFor(ctx, addr, ipdev, undefined, {log: true})
    await ensureUp(ctx, parent)
    await checkAvailable(ctx, addr, ipdev)
    const nsdev = nsdevKw ?? (await firstFreeEth(ctx, ns))
    if (await findLink(ctx, ns, nsdev))
      throw new Error(
        `${ctx.resource.rid}.nsdev: the namespace of ${ctx.resource.kw.netns} already has an interface ${nsdev}`,
      )
    ctx.log.info(`${mode} mode`)
    const plumbing: Plumbing = {where: 'host', name: ipdev}
    let registered = false
    const registerUndo = () => {
      if (registered) return
      registered = true
      ctx.journal.undo(`remove ${addr.ip} and its link from ${ctx.resource.kw.netns}'s namespace`, () =>
        unplumb(ctx, ns, plumbing),
      )
    }
    await createLink(ctx, ns, parent, nsdev, plumbing, registerUndo)
    await ip(ctx, undefined, ['link', 'set', plumbing.name, 'netns', String(ns.pid)])
    plumbing.where = 'netns'
    registerUndo() // dedicated: from here on, ipdev must come back
    if (plumbing.name !== nsdev) {
      await ip(ctx, ns, ['link', 'set', plumbing.name, 'name', nsdev])
      plumbing.name = nsdev
    }
    if (mode === 'dedicated') {
      if (mtu !== undefined) await ip(ctx, ns, ['link', 'set', nsdev, 'mtu', String(mtu)])
      if (macaddr) await ip(ctx, ns, ['link', 'set', nsdev, 'address', macaddr])
    }
    await ip(ctx, ns, ['addr', 'add', `${addr.ip}/${prefix}`, 'dev', nsdev])
    await ip(ctx, ns, ['link', 'set', nsdev, 'up'])
    if (addr.family === 6) await waitIpv6Dad(ctx, ns, addr.ip)
    // the default route first: its gateway must still be reachable through the network route when it is added
    await setGateway(ctx, ns, addr.family)
    if (ctx.resource.kw.del_net_route && prefix < (addr.family === 4 ? 32 : 128))
      await ip(ctx, ns, ['route', 'del', `${networkOf(addr.ip, prefix)}/${prefix}`, 'dev', nsdev])
    if (addr.family === 4 && announces(mode)) await announceOrWarn(ctx, ns, nsdev, addr.ip)
    return 'changed'
  },

  async stop(ctx): Promise<ChangeResult> {
    const {mode, ipdev, netns} = ctx.resource.kw
    const ns = await holderNetns(ctx)
    if (!ns) {
      if (mode === 'dedicated' && !(await findLink(ctx, undefined, ipdev)))
        ctx.log.warn(
          `${netns} is not running and ${ipdev} is not on the host: a veth went with the namespace; a physical interface came back to the host under its name in the namespace (rename it back to ${ipdev})`,
        )
      return 'unchanged'
    }
    const addr = await resolveFor(ctx)
    const at = await findAddress(ctx, ns, addr.ip)
    if (!at) return 'unchanged'
    const dev = at.link.ifname
    await ip(ctx, ns, ['addr', 'del', `${addr.ip}/${at.addr.prefixlen}`, 'dev', dev])
    if (mode === 'dedicated') await giveBack(ctx, ns, dev, ipdev)
    else await ip(ctx, ns, ['link', 'del', 'dev', dev])
    ctx.journal.undo(`plumb ${addr.ip} in ${netns}'s namespace again`, async () => {
      await ipNetnsDriver.start({...ctx, action: 'start', journal: {undo: () => undefined}})
    })
    const parent = await findLink(ctx, undefined, ipdev)
    await checkGone(ctx, addr, ipdev, parent ? isAdminUp(parent) : undefined)
    return 'changed'
  },
}
