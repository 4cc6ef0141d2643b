/**
 * Test LANs made of this test's own namespaces and links, never the machine's interfaces:
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
export async function sh(file: string, args: string[], options: {env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string} = {}): Promise<RunOut> {
  const child = exec(file, args, {env: options.env ?? process.env, timeout: options.timeoutMs ?? 120_000, cwd: options.cwd, maxBuffer: 16 * 1024 * 1024})
  if (options.input !== undefined) {
    child.child.stdin?.end(options.input)
  }
  try {
    const r = await child
    return {code: 0, stdout: String(r.stdout), stderr: String(r.stderr)}
  } catch (error) {
    const e = error as {code?: number | string; stdout?: string; stderr?: string; message: string}
    return {code: typeof e.code === 'number' ? e.code : -1, stdout: String(e.stdout ?? ''), stderr: String(e.stderr ?? e.message)}
  }
}

async function must(file: string, args: string[]): Promise<string> {
  const r = await sh(file, args)
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')}: exit ${r.code}: ${r.stderr.trim()}`)
  return r.stdout
}

export const LAN_GATEWAY = '192.0.2.1'

export class TestLan {
  readonly ns: string
  /** The interface the ip resources use as ipdev: the veth end, or the bridge. */
  readonly ipdev: string
  /** For a bridge LAN: the bridge port (veth end) in the root namespace. */
  readonly port?: string

  private constructor(readonly tag: string, readonly kind: 'veth' | 'bridge') {
    this.ns = `tlan-${process.pid}${tag}`
    this.ipdev = kind === 'bridge' ? `br${process.pid}${tag}` : `tl${process.pid}${tag}`
    if (kind === 'bridge') this.port = `tb${process.pid}${tag}`
  }

  static async create(tag: string, kind: 'veth' | 'bridge' = 'veth'): Promise<TestLan> {
    const lan = new TestLan(tag, kind)
    await lan.destroy() // leftovers of an interrupted run with the same pid
    try {
      await must('ip', ['netns', 'add', lan.ns])
      await must('ip', ['-n', lan.ns, 'link', 'set', 'lo', 'up'])
      const rootEnd = kind === 'bridge' ? lan.port! : lan.ipdev
      await must('ip', ['link', 'add', rootEnd, 'type', 'veth', 'peer', 'name', 'gw0', 'netns', lan.ns])
      await must('ip', ['-n', lan.ns, 'addr', 'add', `${LAN_GATEWAY}/24`, 'dev', 'gw0'])
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
    for (const dev of [this.ipdev, this.port]) if (dev && (await this.hostHas(dev))) await sh('ip', ['link', 'del', dev])
  }

  async hostHas(dev: string): Promise<boolean> {
    return (await sh('ip', ['link', 'show', 'dev', dev])).code === 0
  }

  /** Addresses (cidr) the root-namespace ipdev holds. */
  async ipdevAddresses(dev = this.ipdev): Promise<string[]> {
    const r = await sh('ip', ['-j', 'addr', 'show', 'dev', dev])
    if (r.code !== 0) return []
    const [link] = JSON.parse(r.stdout || '[]') as Array<{addr_info?: Array<{family: string; local: string; prefixlen: number}>}>
    return (link?.addr_info ?? []).filter(a => a.family === 'inet').map(a => `${a.local}/${a.prefixlen}`)
  }

  /** One ICMP echo from the LAN namespace (busybox ping: iputils is not installed). */
  async pings(address: string): Promise<boolean> {
    return (await sh('ip', ['netns', 'exec', this.ns, 'busybox', 'ping', '-c', '1', '-W', '1', address])).code === 0
  }

  /** One ARP request from the LAN namespace: true when the address answers. */
  async arpAnswers(address: string): Promise<boolean> {
    const r = await sh('ip', ['netns', 'exec', this.ns, 'busybox', 'arping', '-c', '1', '-w', '1', '-I', 'gw0', address])
    return /Received [1-9]/.test(r.stdout) || /reply from/i.test(r.stdout)
  }

  /** An HTTP GET from the LAN namespace (busybox wget); undefined when nothing answers. */
  async httpGet(address: string): Promise<string | undefined> {
    // this busybox's wget has no -T: bound it with timeout(1)
    const r = await sh('ip', ['netns', 'exec', this.ns, 'timeout', '5', 'busybox', 'wget', '-q', '-O', '-', `http://${address}/`], {timeoutMs: 10_000})
    return r.code === 0 ? r.stdout : undefined
  }

  /** Another host of the LAN holding `address` (for the address-in-use test). */
  async occupy(address: string): Promise<void> {
    await must('ip', ['-n', this.ns, 'addr', 'add', `${address}/24`, 'dev', 'gw0'])
  }

  async release(address: string): Promise<void> {
    await sh('ip', ['-n', this.ns, 'addr', 'del', `${address}/24`, 'dev', 'gw0'])
  }
}

/** The inode of a process's network namespace ("net:[4026532...]"). */
export async function netnsId(pid: number): Promise<string> {
  return (await must('readlink', [`/proc/${pid}/ns/net`])).trim()
}

/** The IPv4 addresses (cidr) of the interfaces in a process's network namespace, by interface. */
export async function netnsAddresses(pid: number): Promise<Record<string, string[]>> {
  const out = await must('nsenter', [`--net=/proc/${pid}/ns/net`, 'ip', '-j', 'addr', 'show'])
  const links = JSON.parse(out || '[]') as Array<{ifname: string; addr_info?: Array<{family: string; local: string; prefixlen: number}>}>
  return Object.fromEntries(links.map(l => [l.ifname, (l.addr_info ?? []).filter(a => a.family === 'inet').map(a => `${a.local}/${a.prefixlen}`)]))
}
