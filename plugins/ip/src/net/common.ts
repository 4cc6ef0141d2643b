/** What ip.host and ip.netns share: validation of the address keywords, netmask defaults, describe placeholders. */
import type {DriverContext, Resource, ServiceView} from 'svcmgr'
import {
  addressKey,
  ipFamily,
  inNetwork,
  maxPrefix,
  netmaskProblem,
  networkOf,
  parseNetmask,
  type ResolvedAddress,
  resolveIpname,
  sameAddress,
  unusableAddress,
} from './address.js'
import {addressAnswers} from './arp.js'
import {findAddress, listAddresses, type Where} from './iproute.js'

export interface AddressKeywords {
  readonly ipname: string
  readonly netmask?: string
  readonly gateway?: string
}

/** Checks across ipname, netmask and gateway of one resource, and ipname clashes between ip resources. */
export function validateAddressKeywords(res: Resource<AddressKeywords>, svc: ServiceView): string[] {
  const problems: string[] = []
  const {ipname, netmask, gateway} = res.kw
  const family = ipFamily(ipname)
  if (family) {
    const unusable = unusableAddress(ipname)
    if (unusable)
      problems.push(`${res.rid}.ipname: expected a unicast address, got ${JSON.stringify(ipname)} (${unusable})`)
  }
  const mask = netmask === undefined ? undefined : parseNetmask(netmask)
  if (mask && family) {
    const p = netmaskProblem(mask, family)
    if (p) problems.push(`${res.rid}.netmask: expected ${p}, got ${JSON.stringify(netmask)}`)
  }
  if (gateway !== undefined) {
    const gf = ipFamily(gateway)
    if (family && gf && gf !== family) {
      problems.push(
        `${res.rid}.gateway: expected an IPv${family} address like ipname ${ipname}, got ${JSON.stringify(gateway)}`,
      )
    } else if (family && mask && !netmaskProblem(mask, family)) {
      if (!inNetwork(gateway, ipname, mask.prefix))
        problems.push(
          `${res.rid}.gateway: expected an address in ${networkOf(ipname, mask.prefix)}/${mask.prefix} (the network of ${ipname}/${mask.prefix}), got ${JSON.stringify(gateway)}`,
        )
      else if (sameAddress(gateway, ipname))
        problems.push(`${res.rid}.gateway: expected another address than ipname, got ${JSON.stringify(gateway)}`)
    }
  }
  // two ip resources plumbing the same address would fight over it: report it once, on the later one
  const index = addressIndex(svc.resources)
  const before = index.position.get(res.rid) ?? Infinity
  for (const other of index.byAddress.get(addressKey(ipname)) ?? []) {
    if (other.position >= before) break
    problems.push(`${res.rid}.ipname: ${ipname} is already the address of ${other.rid}`)
  }
  return problems
}

interface AddressIndex {
  /** The first position of each rid in the service's resources. */
  readonly position: Map<string, number>
  /** The ip resources by addressKey(ipname), in the order of the service's resources. */
  readonly byAddress: Map<string, Array<{rid: string; position: number}>>
}

const addressIndexes = new WeakMap<readonly Resource[], AddressIndex>()

/**
 * The ip resources of a service by address, made once per resource list: each resource's
 * validate() looks its clashes up instead of scanning every earlier resource (10,000 ip
 * sections took 77 s to create).
 */
function addressIndex(resources: readonly Resource[]): AddressIndex {
  const cached = addressIndexes.get(resources)
  if (cached) return cached
  const index: AddressIndex = {position: new Map(), byAddress: new Map()}
  resources.forEach((r, position) => {
    if (!index.position.has(r.rid)) index.position.set(r.rid, position)
    if (r.group !== 'ip' || typeof r.kw.ipname !== 'string') return
    const key = addressKey(r.kw.ipname)
    const list = index.byAddress.get(key)
    if (list) list.push({rid: r.rid, position})
    else index.byAddress.set(key, [{rid: r.rid, position}])
  })
  addressIndexes.set(resources, index)
  return index
}

/** The configured prefix length, if netmask is set. */
export function configuredPrefix(netmask: string | undefined): number | undefined {
  return netmask === undefined ? undefined : parseNetmask(netmask)?.prefix
}

/** ipname as describe() shows it: the address, or a placeholder for a name resolved at start. */
export function addressText(ipname: string): string {
  return ipFamily(ipname) ? ipname : `<address of ${ipname}>`
}

export function cidrText(ipname: string, netmask: string | undefined, ipdev: string): string {
  const prefix = configuredPrefix(netmask)
  return `${addressText(ipname)}/${prefix ?? `<prefix of ${ipdev}'s network, else host prefix>`}`
}

/** ipname resolved, with a clear message naming the keyword when it cannot be. */
export async function resolveFor(ctx: DriverContext<AddressKeywords>): Promise<ResolvedAddress> {
  try {
    return await resolveIpname(ctx.resource.kw.ipname, ctx.cache)
  } catch (error) {
    throw new Error(`${ctx.resource.rid}.ipname: ${(error as Error).message}`, {cause: error})
  }
}

/**
 * The prefix length to plumb: netmask when set; else the prefix of an address `ipdev`
 * already holds in `where` whose network contains the address; else a host prefix.
 */
export async function prefixFor(
  ctx: DriverContext<AddressKeywords>,
  addr: ResolvedAddress,
  ipdev: string,
  where: Where,
  opts: {log?: boolean} = {},
): Promise<number> {
  const configured = configuredPrefix(ctx.resource.kw.netmask)
  if (configured !== undefined) {
    const p = netmaskProblem(parseNetmask(ctx.resource.kw.netmask!)!, addr.family)
    if (p)
      throw new Error(
        `${ctx.resource.rid}.netmask: expected ${p} (${addr.name} resolves to ${addr.ip}), got ${JSON.stringify(ctx.resource.kw.netmask)}`,
      )
    return configured
  }
  const dev = (await listAddresses(ctx, where).catch(() => [])).find(l => l.ifname === ipdev)
  const covering = dev?.addr_info?.find(
    a =>
      ipFamily(a.local) === addr.family && inNetwork(addr.ip, a.local, a.prefixlen) && !sameAddress(a.local, addr.ip),
  )
  if (covering) {
    if (opts.log)
      ctx.log.info(`netmask: /${covering.prefixlen}, from ${covering.local}/${covering.prefixlen} on ${ipdev}`)
    return covering.prefixlen
  }
  const host = maxPrefix(addr.family)
  if (opts.log)
    ctx.log.info(`netmask: not set and ${ipdev} holds no address in the network of ${addr.ip}: using /${host}`)
  return host
}

/** Refuses an address some host of ipdev's LAN answers for (IPv4: one ARP probe answered within 0.2 s; IPv6: left to the kernel's DAD). */
export async function checkAvailable(ctx: DriverContext<any>, addr: ResolvedAddress, ipdev: string): Promise<void> {
  ctx.log.info(`checking ${addr.ip} availability`)
  if (addr.family === 6) {
    ctx.log.info(
      `${addr.ip} is an IPv6 address: no ARP probe, the kernel's duplicate address detection runs when it is added`,
    )
    return
  }
  if (await addressAnswers(ctx, undefined, ipdev, addr.ip))
    throw new Error(
      `${addr.ip} is already in use: a host answered an ARP probe for it through ${ipdev}. Refusing to plumb a duplicate address`,
    )
}

/** After an IPv6 address is added: the kernel's DAD ends within a second or two; a duplicate shows as dadfailed. */
export async function waitIpv6Dad(ctx: DriverContext<any>, where: Where, address: string): Promise<void> {
  await ctx.waitFor(
    `duplicate address detection of ${address}`,
    async () => {
      const at = await findAddress(ctx, where, address)
      if (at?.addr.dadfailed)
        throw new Error(`${address} is already in use: the kernel's duplicate address detection failed for it`)
      return at !== undefined && !at.addr.tentative
    },
    {timeoutMs: 5000, intervalMs: 200},
  )
}

/** After a stop: warn when the address still answers through ipdev (someone else holds it). */
export async function checkGone(
  ctx: DriverContext<any>,
  addr: ResolvedAddress,
  ipdev: string,
  ipdevUp: boolean | undefined,
): Promise<void> {
  if (addr.family === 6) return
  if (!ipdevUp) {
    ctx.log.warn(`cannot check that ${addr.ip} is gone: ${ipdev} is ${ipdevUp === undefined ? 'missing' : 'down'}`)
    return
  }
  ctx.log.info(`checking ${addr.ip} availability`)
  if (await addressAnswers(ctx, undefined, ipdev, addr.ip))
    ctx.log.warn(`${addr.ip} still answers ARP through ${ipdev} after its removal: another host holds it`)
}
