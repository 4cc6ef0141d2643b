/**
 * ip.host: an address added to an interface of the host (the default type of an [ip#N]
 * section), in the ip group: started first, stopped last.
 */
import type {ActionContext, ChangeResult, Driver, DriverContext, Resource, ResourceStatus, StatusLogEntry} from 'svcmgr'
import {announceArgs, announceOrWarn, DESCRIBED_ARPING, describedProbe} from '../net/arp.js'
import {ipFamily, type ResolvedAddress, sameAddress} from '../net/address.js'
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
import {findAddress, findLink, hasCarrier, ip, isAdminUp, type LinkJson, listAddresses} from '../net/iproute.js'
import {HOST_KEYWORDS, type HostKeywords} from './ip-host.keywords.js'
import {netmaskDrift} from '../net/drift.js'

type Ctx = DriverContext<HostKeywords>
type ACtx = ActionContext<HostKeywords>
type Res = Resource<HostKeywords>

const IFNAMSIZ = 15

/** The first free alias label of ipdev (ipdev:1, ipdev:2, ...), or undefined when it would not fit IFNAMSIZ. */
async function aliasLabel(ctx: Ctx, ipdev: string): Promise<string | undefined> {
  const dev = (await listAddresses(ctx, undefined)).find(l => l.ifname === ipdev)
  const used = new Set((dev?.addr_info ?? []).map(a => a.label).filter(Boolean))
  for (let i = 1; ; i++) {
    const label = `${ipdev}:${i}`
    if (label.length > IFNAMSIZ) return undefined
    if (!used.has(label)) return label
  }
}

async function ipdevLink(ctx: Ctx): Promise<LinkJson> {
  const {ipdev} = ctx.resource.kw
  const link = await findLink(ctx, undefined, ipdev)
  if (!link) throw new Error(`${ctx.resource.rid}.ipdev: no interface ${ipdev} on this host`)
  return link
}

function describeStart(res: Res): string[] {
  const {ipdev, ipname, netmask, alias} = res.kw
  const address = addressText(ipname)
  const v6 = ipFamily(ipname) === 6
  return [
    `nothing to do when ${address} is already on ${ipdev} (refuse the start when another interface holds it)`,
    `ip link set ${ipdev} up  (when it is down)`,
    v6
      ? `checking ${address} availability: by the kernel's IPv6 duplicate address detection once added`
      : `checking ${address} availability: ${describedProbe(ipdev, address)}  (an answer refuses the start)`,
    [
      'ip',
      'addr',
      'add',
      cidrText(ipname, netmask, ipdev),
      'dev',
      ipdev,
      ...(alias && !v6 ? ['label', `${ipdev}:<first free alias number>`] : []),
    ].join(' '),
    ...(v6 ? [] : [[...DESCRIBED_ARPING, ...announceArgs(ipdev, address)].join(' ')]),
  ]
}

function describeStop(res: Res): string[] {
  const {ipdev, ipname, netmask} = res.kw
  const address = addressText(ipname)
  return [
    `nothing to do when ${address} is not on ${ipdev}`,
    `ip addr del ${cidrText(ipname, netmask, ipdev)} dev ${ipdev}`,
    ...(ipFamily(ipname) === 6
      ? []
      : [`checking ${address} availability: ${describedProbe(ipdev, address)}  (a warning when it still answers)`]),
  ]
}

export const ipHostDriver: Driver<HostKeywords> = {
  group: 'ip',
  type: 'host',
  isDefaultType: true,
  description: 'An IP address added to an interface of the host.',
  keywords: HOST_KEYWORDS,

  validate(res, svc) {
    return validateAddressKeywords(res, svc)
  },

  label(res) {
    const prefix = configuredPrefix(res.kw.netmask)
    return `${res.kw.ipname}${prefix !== undefined ? `/${prefix}` : ''}@${res.kw.ipdev}`
  },

  describe(action, res) {
    switch (action) {
      case 'start':
        return describeStart(res)
      case 'stop':
        return describeStop(res)
      default:
        return []
    }
  },

  observe(ctx, op) {
    return ctx.observeFromStatus(op)
  },

  async status(ctx): Promise<ResourceStatus> {
    const label = ipHostDriver.label(ctx.resource, ctx.service)
    const {ipdev} = ctx.resource.kw
    const result = (
      status: ResourceStatus['status'],
      message?: string,
      level: StatusLogEntry['level'] = 'info',
    ): ResourceStatus => ({status, label, log: message ? [{level, message}] : []})
    try {
      // an ipname that does not resolve leaves the address unknown, so whether it is on ipdev is too
      const addr: ResolvedAddress = await resolveFor(ctx)
      // one list of the host's addresses per command for every ip.host (iproute.ts: snapshot)
      const link = (await listAddresses(ctx, undefined, {snapshot: true})).find(l => l.ifname === ipdev)
      if (!link) return result('down', `ipdev ${ipdev} is missing on this host`, 'warn')
      const here = link.addr_info?.find(a => sameAddress(a.local, addr.ip))
      if (!here) {
        const elsewhere = await findAddress(ctx, undefined, addr.ip, {snapshot: true})
        return result(
          'down',
          elsewhere ? `${addr.ip} is on ${elsewhere.link.ifname}, not on ${ipdev}` : `${addr.ip} is not on ${ipdev}`,
          elsewhere ? 'warn' : 'info',
        )
      }
      if (!isAdminUp(link)) return result('down', `${ipdev} is down`, 'warn')
      if (!hasCarrier(link)) return result('warn', `no carrier on ${ipdev}`, 'warn')
      // drift, on the live address: its prefix against netmask (when set)
      const drift = netmaskDrift(ctx.resource.kw.netmask, here.prefixlen)
      return drift.length
        ? {...result('up', `drift: netmask (plumbed /${here.prefixlen})`, 'warn'), drift}
        : {...result('up'), drift}
    } catch (error) {
      // a probe that failed (ip not answering, an unresolvable name) is unknown, which is never down
      return result(
        'warn',
        `${(error as Error).message}: whether ${ctx.resource.kw.ipname} is on ${ipdev} is unknown`,
        'warn',
      )
    }
  },

  async start(ctx: ACtx): Promise<ChangeResult> {
    const {ipdev, alias} = ctx.resource.kw
    const addr = await resolveFor(ctx)
    const link = await ipdevLink(ctx)
    const present = await findAddress(ctx, undefined, addr.ip)
    if (present?.link.ifname === ipdev) return 'unchanged'
    if (present)
      throw new Error(
        `${addr.ip} is already on ${present.link.ifname} of this host, not on ${ipdev}: remove it there first`,
      )
    const prefix = await prefixFor(ctx, addr, ipdev, undefined, {log: true})
    if (!isAdminUp(link)) await ip(ctx, undefined, ['link', 'set', ipdev, 'up'])
    await checkAvailable(ctx, addr, ipdev)
    // alias labels are an IPv4 notion (eth0:1); IPv6 addresses simply pile up on the interface
    const label = alias && addr.family === 4 ? await aliasLabel(ctx, ipdev) : undefined
    if (alias && addr.family === 4 && !label)
      ctx.log.info(`${ipdev}:N does not fit in ${IFNAMSIZ} characters: the address goes without an alias label`)
    const cidr = `${addr.ip}/${prefix}`
    await ip(ctx, undefined, ['addr', 'add', cidr, 'dev', ipdev, ...(label ? ['label', label] : [])])
    ctx.journal.undo(`remove ${cidr} from ${ipdev}`, async () => {
      if ((await findAddress(ctx, undefined, addr.ip))?.link.ifname === ipdev)
        await ip(ctx, undefined, ['addr', 'del', cidr, 'dev', ipdev])
    })
    if (addr.family === 6) {
      try {
        await waitIpv6Dad(ctx, undefined, addr.ip)
      } catch (error) {
        // a dadfailed address is useless and blocks a retry: take it away before failing
        await ip(ctx, undefined, ['addr', 'del', cidr, 'dev', ipdev]).catch(() => undefined)
        throw error
      }
    } else await announceOrWarn(ctx, undefined, ipdev, addr.ip)
    return 'changed'
  },

  async stop(ctx: ACtx): Promise<ChangeResult> {
    const {ipdev} = ctx.resource.kw
    const addr = await resolveFor(ctx)
    const at = await findAddress(ctx, undefined, addr.ip)
    if (!at) return 'unchanged'
    if (at.link.ifname !== ipdev) {
      ctx.log.warn(`${addr.ip} is on ${at.link.ifname}, not on ${ipdev}: left alone`)
      return 'unchanged'
    }
    await ip(ctx, undefined, ['addr', 'del', `${addr.ip}/${at.addr.prefixlen}`, 'dev', ipdev])
    ctx.journal.undo(`add ${addr.ip} to ${ipdev} again`, async () => {
      await ipHostDriver.start({...ctx, action: 'start', journal: {undo: () => undefined}})
    })
    await checkGone(ctx, addr, ipdev, isAdminUp(at.link))
    return 'changed'
  },
}
