/**
 * Test LANs made of this test's own namespaces and links, never the machine's interfaces:
 * (the LAN is 192.0.2.0/24 unless told: ip.host tests, whose address lives in the root
 * namespace, pick a per-run block of a range the host does not route itself — see hostRoutes())
 *
 *   root namespace                         tlan-<pid><tag> namespace
 *   tl<pid><tag> (up, no address)  ──veth──  gw0 192.0.2.1/24
 *
 * or, for mode bridge, a bridge br<pid><tag> (up, no address) in the root namespace with a
 * veth end tb<pid><tag> enslaved, its peer gw0 in the LAN namespace. The LAN namespace has
 * no default route: it only ever talks to addresses on its own /24. Only documentation
 * ranges are used. Everything is removed by destroy(), also after a failed test.
 */
import {execFile} from 'node:child_process'
import {promisify} from 'node:util'

const exec = promisify(execFile)

export interface RunOut {
  code: number
  stdout: string
  stderr: string
}

/** Runs a command from an argument vector; never throws on a non-zero exit. */
export async function sh(
  file: string,
  args: string[],
  options: {env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string} = {},
): Promise<RunOut> {
  const child = exec(file, args, {
    env: options.env ?? process.env,
    timeout: options.timeoutMs ?? 120_000,
    cwd: options.cwd,
    maxBuffer: 16 * 1024 * 1024,
  })
  if (options.input !== undefined) {
    child.child.stdin?.end(options.input)
  }
  try {
    const r = await child
    return {code: 0, stdout: String(r.stdout), stderr: String(r.stderr)}
  } catch (error) {
    const e = error as {code?: number | string; stdout?: string; stderr?: string; message: string}
    return {
      code: typeof e.code === 'number' ? e.code : -1,
      stdout: String(e.stdout ?? ''),
      stderr: String(e.stderr ?? e.message),
    }
  }
}

async function must(file: string, args: string[]): Promise<string> {
  const r = await sh(file, args)
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')}: exit ${r.code}: ${r.stderr.trim()}`)
  return r.stdout
}

export const LAN_GATEWAY = '192.0.2.1'

export interface LanOptions {
  readonly kind?: 'veth' | 'bridge'
  /** The LAN host's IPv4 address (gw0), default 192.0.2.1, in a documentation range. */
  readonly gateway?: string
  /** The LAN's prefix length, default 24. */
  readonly prefixlen?: number
  /** An IPv6 /64 prefix (2001:db8:...) for the LAN host ::1, when the test needs IPv6. */
  readonly ipv6?: string
}

export class TestLan {
  readonly ns: string
  /** The interface the ip resources use as ipdev: the veth end, or the bridge. */
  readonly ipdev: string
  /** For a bridge LAN: the bridge port (veth end) in the root namespace. */
  readonly port?: string

  private constructor(
    readonly tag: string,
    readonly kind: 'veth' | 'bridge',
    readonly gateway: string,
    readonly prefixlen: number,
  ) {
    this.ns = `tlan-${process.pid}${tag}`
    this.ipdev = kind === 'bridge' ? `br${process.pid}${tag}` : `tl${process.pid}${tag}`
    if (kind === 'bridge') this.port = `tb${process.pid}${tag}`
  }

  static async create(tag: string, kindOrOptions: 'veth' | 'bridge' | LanOptions = {}): Promise<TestLan> {
    const options = typeof kindOrOptions === 'string' ? {kind: kindOrOptions} : kindOrOptions
    const kind = options.kind ?? 'veth'
    const lan = new TestLan(tag, kind, options.gateway ?? LAN_GATEWAY, options.prefixlen ?? 24)
    await sweepStale()
    await lan.destroy() // leftovers of an interrupted run with the same pid
    try {
      await must('ip', ['netns', 'add', lan.ns])
      await must('ip', ['-n', lan.ns, 'link', 'set', 'lo', 'up'])
      const rootEnd = kind === 'bridge' ? lan.port! : lan.ipdev
      await must('ip', ['link', 'add', rootEnd, 'type', 'veth', 'peer', 'name', 'gw0', 'netns', lan.ns])
      await must('ip', ['-n', lan.ns, 'addr', 'add', `${lan.gateway}/${lan.prefixlen}`, 'dev', 'gw0'])
      if (options.ipv6) await must('ip', ['-n', lan.ns, 'addr', 'add', `${options.ipv6}::1/64`, 'dev', 'gw0', 'nodad'])
      await must('ip', ['-n', lan.ns, 'link', 'set', 'gw0', 'up'])
      if (kind === 'bridge') {
        await must('ip', ['link', 'add', lan.ipdev, 'type', 'bridge'])
        await must('ip', ['link', 'set', lan.port!, 'master', lan.ipdev])
        await must('ip', ['link', 'set', lan.port!, 'up'])
      }
      await must('ip', ['link', 'set', lan.ipdev, 'up'])
    } catch (error) {
      await lan.destroy()
      throw error
    }
    return lan
  }

  /** Removes the namespace and the links (a veth goes with its peer's namespace; a bridge does not). */
  async destroy(): Promise<void> {
    await sh('ip', ['netns', 'del', this.ns])
    for (const dev of [this.ipdev, this.port])
      if (dev && (await this.hostHas(dev))) await sh('ip', ['link', 'del', dev])
  }

  async hostHas(dev: string): Promise<boolean> {
    return (await sh('ip', ['link', 'show', 'dev', dev])).code === 0
  }

  /** Addresses (cidr) the root-namespace ipdev holds: IPv4, or IPv6 without link-local ones. */
  async ipdevAddresses(family: 'inet' | 'inet6' = 'inet', dev = this.ipdev): Promise<string[]> {
    const r = await sh('ip', ['-j', 'addr', 'show', 'dev', dev])
    if (r.code !== 0) return []
    const [link] = JSON.parse(r.stdout || '[]') as Array<{
      addr_info?: Array<{family: string; local: string; prefixlen: number; scope: string}>
    }>
    return (link?.addr_info ?? [])
      .filter(a => a.family === family && a.scope !== 'link')
      .map(a => `${a.local}/${a.prefixlen}`)
  }

  /** The alias labels of the root-namespace ipdev's IPv4 addresses. */
  async ipdevLabels(): Promise<string[]> {
    const r = await sh('ip', ['-j', 'addr', 'show', 'dev', this.ipdev])
    const [link] = JSON.parse(r.stdout || '[]') as Array<{addr_info?: Array<{family: string; label?: string}>}>
    return (link?.addr_info ?? []).filter(a => a.family === 'inet').map(a => a.label ?? '')
  }

  /** One ICMP echo from the LAN namespace (busybox ping: iputils is not installed). */
  async pings(address: string): Promise<boolean> {
    const ping = address.includes(':') ? 'ping6' : 'ping'
    return (await sh('ip', ['netns', 'exec', this.ns, 'busybox', ping, '-c', '1', '-W', '1', address])).code === 0
  }

  /** One ARP request from the LAN namespace: true when the address answers. */
  async arpAnswers(address: string): Promise<boolean> {
    const r = await sh('ip', [
      'netns',
      'exec',
      this.ns,
      'busybox',
      'arping',
      '-c',
      '1',
      '-w',
      '1',
      '-I',
      'gw0',
      address,
    ])
    return /Received [1-9]/.test(r.stdout) || /reply from/i.test(r.stdout)
  }

  /** An HTTP GET from the LAN namespace (busybox wget); undefined when nothing answers. */
  async httpGet(address: string): Promise<string | undefined> {
    // this busybox's wget has no -T: bound it with timeout(1)
    const r = await sh(
      'ip',
      ['netns', 'exec', this.ns, 'timeout', '5', 'busybox', 'wget', '-q', '-O', '-', `http://${address}/`],
      {timeoutMs: 10_000},
    )
    return r.code === 0 ? r.stdout : undefined
  }

  /** Another host of the LAN holding `address` (for the address-in-use test). */
  async occupy(address: string): Promise<void> {
    await must('ip', [
      '-n',
      this.ns,
      'addr',
      'add',
      `${address}/${address.includes(':') ? 64 : this.prefixlen}`,
      'dev',
      'gw0',
      ...(address.includes(':') ? ['nodad'] : []),
    ])
  }

  async release(address: string): Promise<void> {
    await sh('ip', [
      '-n',
      this.ns,
      'addr',
      'del',
      `${address}/${address.includes(':') ? 64 : this.prefixlen}`,
      'dev',
      'gw0',
    ])
  }
}

/** The inode of a process's network namespace ("net:[4026532...]"). */
export async function netnsId(pid: number): Promise<string> {
  return (await must('readlink', [`/proc/${pid}/ns/net`])).trim()
}

/** The IPv4 addresses (cidr) of the interfaces in a process's network namespace, by interface. */
export async function netnsAddresses(pid: number): Promise<Record<string, string[]>> {
  const out = await must('nsenter', [`--net=/proc/${pid}/ns/net`, 'ip', '-j', 'addr', 'show'])
  const links = JSON.parse(out || '[]') as Array<{
    ifname: string
    addr_info?: Array<{family: string; local: string; prefixlen: number}>
  }>
  return Object.fromEntries(
    links.map(l => [
      l.ifname,
      (l.addr_info ?? []).filter(a => a.family === 'inet').map(a => `${a.local}/${a.prefixlen}`),
    ]),
  )
}

/** The root namespace's IPv4/IPv6 routes other than default ("192.0.2.0/24 dev eth0"). */
export async function hostRoutes(): Promise<Array<{dst: string; dev: string}>> {
  const out: Array<{dst: string; dev: string}> = []
  for (const family of ['-4', '-6']) {
    const r = await sh('ip', ['-j', family, 'route', 'show'])
    for (const route of JSON.parse(r.stdout || '[]') as Array<{dst: string; dev: string}>)
      if (route.dst !== 'default') out.push(route)
  }
  return out
}

/**
 * Removes the LANs of test runs that died before their cleanup (a killed mocha): namespaces
 * named tlan-<pid><tag> whose pid is gone (their veth pairs go with them), and the bridge
 * br<pid><tag> of such a LAN. Nothing else is touched.
 */
async function sweepStale(): Promise<void> {
  const r = await sh('ip', ['netns', 'list'])
  for (const line of r.stdout.split('\n')) {
    const m = /^tlan-(\d+)([a-z])\b/.exec(line.trim())
    if (!m || Number(m[1]) === process.pid) continue
    try {
      process.kill(Number(m[1]), 0)
      continue // its run is still going
    } catch {
      // gone
    }
    await sh('ip', ['netns', 'del', `tlan-${m[1]}${m[2]}`])
    if ((await sh('ip', ['link', 'show', 'dev', `br${m[1]}${m[2]}`])).code === 0)
      await sh('ip', ['link', 'del', `br${m[1]}${m[2]}`])
  }
}
