/**
 * ARP duplicate address detection and gratuitous announcements, with busybox's arping
 * (what the test environment and CI install) or iputils' arping, which take the same
 * options. Never a ping: a probe only asks the LAN behind the configured interface.
 */
import type {DriverContext} from 'svcmgr'
import {inNetns, type Where} from './iproute.js'

/**
 * The availability check's window, in seconds: how long after the probe's start an answer
 * still counts (README, "availability check"). A LAN host answers an ARP request in well
 * under a millisecond (a busy switch: a few ms); RFC 5227's 1-2 s probe spacing is for hosts
 * configuring themselves on links they know nothing about. Neither arping takes a sub-second
 * wait (busybox's and iputils' `-w` are whole seconds), so GNU timeout(1) ends the probe at
 * the window; without it the probe waits arping's own second, as before.
 */
export const PROBE_WINDOW = '0.2'

/**
 * One ARP duplicate-address probe (sender 0.0.0.0), arping's own bound 1 s; not quiet: the
 * "Received N response(s)" line is what tells an answer from a failed arping (both exit 1).
 */
export const PROBE_OPTIONS = ['-D', '-c', '1', '-w', '1'] as const

/** The command that describe() shows: what a machine with busybox runs. */
export const DESCRIBED_ARPING = ['busybox', 'arping'] as const

/** The deadline prefix of the probe, as describe() shows it (GNU timeout on PATH). */
export const DESCRIBED_DEADLINE = ['timeout', PROBE_WINDOW] as const

/** The exit code of GNU timeout when it ended the command at the deadline. */
const TIMED_OUT = 124

export function probeArgs(dev: string, address: string): string[] {
  return [...PROBE_OPTIONS, '-I', dev, address]
}

/** The availability probe of describe() and --dry-run: `timeout 0.2 busybox arping -D -c 1 -w 1 -I dev A`. */
export function describedProbe(dev: string, address: string): string {
  return [...DESCRIBED_DEADLINE, ...DESCRIBED_ARPING, ...probeArgs(dev, address)].join(' ')
}

export function announceArgs(dev: string, address: string): string[] {
  return ['-q', '-U', '-c', '1', '-I', dev, '-s', address, address]
}

/**
 * The arping to use, as an argument-vector prefix: busybox's applet when busybox is on PATH
 * (Debian's standalone `arping` package is a different tool with other options), else an
 * iputils arping. Memoized per command.
 */
export async function arpingTool(ctx: DriverContext<any>): Promise<string[]> {
  const key = 'ip:arping-tool'
  let p = ctx.cache.get(key) as Promise<string[]> | undefined
  if (!p) {
    p = (async () => {
      if (await ctx.host.which('busybox')) {
        const list = await ctx.run('busybox', ['--list'], {quiet: true, okExitCodes: [0, 1], timeout: 5000})
        if (list.stdout.split('\n').includes('arping')) return ['busybox', 'arping']
      }
      if (await ctx.host.which('arping')) {
        const v = await ctx
          .run('arping', ['-V'], {quiet: true, okExitCodes: [0, 1, 2, 64], timeout: 5000})
          .catch(() => undefined)
        if (v && /iputils/i.test(`${v.stdout}\n${v.stderr}`)) return ['arping']
      }
      throw new Error(
        'no usable arping: install busybox (Debian: busybox-static) or iputils-arping (the arping of the Debian "arping" package takes other options)',
      )
    })()
    ctx.cache.set(key, p)
    p.catch(() => ctx.cache.delete(key))
  }
  return p
}

/**
 * The prefix that ends the probe at PROBE_WINDOW: GNU coreutils' timeout (it takes fractions
 * of a second and exits 124 at the deadline; busybox's timeout counts whole seconds), or
 * none: the probe then waits arping's own 1 s. Memoized per command.
 */
export async function probeDeadline(ctx: DriverContext<any>): Promise<string[]> {
  const key = 'ip:probe-deadline'
  let p = ctx.cache.get(key) as Promise<string[]> | undefined
  if (!p) {
    p = (async () => {
      if (!(await ctx.host.which('timeout'))) return []
      const v = await ctx
        .run('timeout', ['--version'], {quiet: true, okExitCodes: [0, 1, 125], timeout: 5000})
        .catch(() => undefined)
      return v && /GNU coreutils/.test(v.stdout) ? [...DESCRIBED_DEADLINE] : []
    })()
    ctx.cache.set(key, p)
  }
  return p
}

/** Both arpings end with "Received N response(s)"; N > 0 is an answer. */
const ANSWERED = /^Received [1-9]\d* response/m

/**
 * Duplicate address detection through `dev` of `where`: true when some host answers for
 * `address` within PROBE_WINDOW. One ARP probe; arping's -D quits at the first answer (exit
 * 1, "Received 1 response(s)"); no answer by the window: timeout ends it (exit 124), or,
 * without GNU timeout, arping gives up after its 1 s (exit 0). Anything else is the probe
 * failing (a missing interface: 2, nsenter: 1 without that line), never "free": it throws.
 * The command line is logged like every command.
 */
export async function addressAnswers(
  ctx: DriverContext<any>,
  where: Where,
  dev: string,
  address: string,
): Promise<boolean> {
  const [[tool, ...pre], deadline] = await Promise.all([arpingTool(ctx), probeDeadline(ctx)])
  if (!deadline.length)
    ctx.log.info(`no GNU timeout(1) on this host: the ARP probe waits arping's own 1 s for an answer`)
  const [head, ...rest] = [...deadline, tool, ...pre, ...probeArgs(dev, address)]
  const [file, argv] = inNetns(where, head, rest)
  const r = await ctx.run(file, argv, {okExitCodes: [0, 1, TIMED_OUT], timeout: 10_000})
  if (ANSWERED.test(r.stdout)) return true
  if (r.exitCode === 1)
    throw new Error(
      `ARP probe for ${address} through ${dev} failed: exit code 1 and no answer reported${r.stderr.trim() ? `: ${r.stderr.trim().split('\n').slice(-3).join(' ')}` : ''}`,
    )
  return false
}

/** A gratuitous ARP for `address` from `dev` of `where`, so neighbours update their caches. */
export async function announce(ctx: DriverContext<any>, where: Where, dev: string, address: string): Promise<void> {
  const [tool, ...pre] = await arpingTool(ctx)
  const [file, argv] = inNetns(where, tool, [...pre, ...announceArgs(dev, address)])
  await ctx.run(file, argv, {timeout: 10_000})
}

/** A failed gratuitous ARP leaves the address working (neighbours learn it at their next ARP): a warning, not a failure. */
export async function announceOrWarn(
  ctx: DriverContext<any>,
  where: Where,
  dev: string,
  address: string,
): Promise<void> {
  try {
    await announce(ctx, where, dev, address)
  } catch (error) {
    ctx.log.warn(`gratuitous ARP for ${address} failed: ${(error as Error).message}`)
  }
}
