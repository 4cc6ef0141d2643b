/**
 * iproute2 through the driver context: `ip` on the host, or `nsenter --net=<path> ip` inside
 * a network namespace. Commands that change something are logged (ctx.run's default);
 * the JSON reads (`ip -j`) behind status and checks are quiet.
 *
 * Status reads with `snapshot`: one list of links or addresses per namespace per command,
 * shared by every address asking about that namespace (10,000 addresses were 20,000 `ip`
 * processes). Checks of an action read their own; any command that changes something drops
 * the command's lists, so a status after it reads anew.
 */
import type {DriverContext, NetnsInfo, RunResult} from 'svcmgr'
import {sameAddress} from './address.js'

/** Where a command runs: the host's namespace, or a container's. */
export type Where = NetnsInfo | undefined

const IP_TIMEOUT = 15_000

/** The argument vector of `ip ARGS` run in `where`. */
export function ipCommand(where: Where, args: readonly string[]): [string, string[]] {
  return where ? ['nsenter', [`--net=${where.path}`, 'ip', ...args]] : ['ip', [...args]]
}

/** `ip ARGS` run in `where` as one line (describe's words: ipCommand's words joined by spaces). */
export function ipCommandLine(where: Where, args: readonly string[]): string {
  const head = where ? `nsenter --net=${where.path} ip` : 'ip'
  return args.length ? `${head} ${args.join(' ')}` : head
}

/** The argument vector of any command run in `where`. */
export function inNetns(where: Where, file: string, args: readonly string[]): [string, string[]] {
  return where ? ['nsenter', [`--net=${where.path}`, file, ...args]] : [file, [...args]]
}

export async function ip(
  ctx: DriverContext<any>,
  where: Where,
  args: readonly string[],
  options: {quiet?: boolean; okExitCodes?: number[]} = {},
): Promise<RunResult> {
  const [file, argv] = ipCommand(where, args)
  // a change (every command that is not a quiet read): the command's lists are no longer the truth
  if (options.quiet) return ctx.run(file, argv, {timeout: IP_TIMEOUT, ...options})
  forgetIpReads(ctx.cache)
  try {
    return await ctx.run(file, argv, {timeout: IP_TIMEOUT, ...options})
  } finally {
    forgetIpReads(ctx.cache)
  }
}

/** How a list is read: `snapshot` for a read-only pass (status), which may take the command's list. */
export interface ReadOptions {
  readonly snapshot?: boolean
}

const READS = 'ip:reads'

/** After a change made otherwise than through ip() (none yet): the next snapshot reads anew. */
export function forgetIpReads(cache: Map<string, unknown>): void {
  cache.delete(READS)
}

/** The command's list `what` of `where`: read at the first ask, shared while pending and after; a failure only while pending. */
function commandRead(
  ctx: DriverContext<any>,
  what: string,
  where: Where,
  read: () => Promise<LinkJson[]>,
): Promise<LinkJson[]> {
  let reads = ctx.cache.get(READS) as Map<string, Promise<LinkJson[]>> | undefined
  if (!reads) ctx.cache.set(READS, (reads = new Map()))
  const key = `${what} ${where?.path ?? 'host'}`
  let list = reads.get(key)
  if (!list) {
    const mine = read()
    const held = reads
    mine.catch(() => {
      if (held.get(key) === mine) held.delete(key)
    })
    reads.set(key, (list = mine))
  }
  return list
}

export interface AddrInfo {
  readonly family: 'inet' | 'inet6'
  readonly local: string
  readonly prefixlen: number
  readonly label?: string
  readonly tentative?: boolean
  readonly dadfailed?: boolean
}

export interface LinkJson {
  readonly ifindex: number
  readonly ifname: string
  readonly flags: readonly string[]
  readonly operstate?: string
  readonly mtu?: number
  readonly address?: string
  readonly link_type?: string
  readonly master?: string
  readonly linkinfo?: {readonly info_kind?: string}
  readonly addr_info?: readonly AddrInfo[]
}

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text || '[]') as T
  } catch {
    throw new Error(`${what}: unreadable JSON output`)
  }
}

/** Every link of `where`, with details (kind, master). */
export function listLinks(ctx: DriverContext<any>, where: Where, options: ReadOptions = {}): Promise<LinkJson[]> {
  const read = async () => {
    const r = await ip(ctx, where, ['-j', '-d', 'link', 'show'], {quiet: true})
    return parseJson<LinkJson[]>(r.stdout, 'ip -j -d link show')
  }
  return options.snapshot ? commandRead(ctx, 'links', where, read) : read()
}

/** Every link of `where` with its addresses. */
export function listAddresses(ctx: DriverContext<any>, where: Where, options: ReadOptions = {}): Promise<LinkJson[]> {
  const read = async () => {
    const r = await ip(ctx, where, ['-j', 'addr', 'show'], {quiet: true})
    return parseJson<LinkJson[]>(r.stdout, 'ip -j addr show')
  }
  return options.snapshot ? commandRead(ctx, 'addresses', where, read) : read()
}

export async function findLink(
  ctx: DriverContext<any>,
  where: Where,
  name: string,
  options: ReadOptions = {},
): Promise<LinkJson | undefined> {
  return (await listLinks(ctx, where, options)).find(l => l.ifname === name)
}

export interface AddressLocation {
  readonly link: LinkJson
  readonly addr: AddrInfo
}

/** The interface of `where` that holds `address`, if any. */
export async function findAddress(
  ctx: DriverContext<any>,
  where: Where,
  address: string,
  options: ReadOptions = {},
): Promise<AddressLocation | undefined> {
  for (const link of await listAddresses(ctx, where, options)) {
    const addr = link.addr_info?.find(a => sameAddress(a.local, address))
    if (addr) return {link, addr}
  }
  return undefined
}

export const isAdminUp = (l: LinkJson) => l.flags.includes('UP')
export const hasCarrier = (l: LinkJson) => !l.flags.includes('NO-CARRIER') && l.operstate !== 'LOWERLAYERDOWN'

/** The first ethN name no link of `where` uses. */
export async function firstFreeEth(ctx: DriverContext<any>, where: Where): Promise<string> {
  const names = new Set((await listLinks(ctx, where)).map(l => l.ifname))
  for (let i = 0; ; i++) if (!names.has(`eth${i}`)) return `eth${i}`
}

/** The default route of `where` for a family, if any ("via" address or the device). */
export async function defaultRoute(
  ctx: DriverContext<any>,
  where: Where,
  family: 4 | 6,
): Promise<{gateway?: string; dev?: string} | undefined> {
  const r = await ip(ctx, where, ['-j', `-${family}`, 'route', 'show', 'default'], {quiet: true})
  const routes = parseJson<Array<{gateway?: string; dev?: string}>>(r.stdout, 'ip -j route show default')
  return routes[0]
}
