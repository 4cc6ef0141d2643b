/**
 * ARP duplicate address detection and gratuitous announcements, with busybox's arping
 * (what the test environment and CI install) or iputils' arping, which take the same
 * options. Never a ping: a probe only asks the LAN behind the configured interface.
 */
import type {DriverContext} from 'svcmgr'
import {inNetns, type Where} from './iproute.js'

/** One ARP probe, one second for the answer: a free address costs 1 s, a taken one answers in microseconds. */
export const PROBE_OPTIONS = ['-q', '-D', '-c', '1', '-w', '1'] as const

/** The command that describe() shows: what a machine with busybox runs. */
export const DESCRIBED_ARPING = ['busybox', 'arping'] as const

export function probeArgs(dev: string, address: string): string[] {
  return [...PROBE_OPTIONS, '-I', dev, address]
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
 * Duplicate address detection through `dev` of `where`: true when some host answers for
 * `address`. The arping line is logged like every command.
 */
export async function addressAnswers(
  ctx: DriverContext<any>,
  where: Where,
  dev: string,
  address: string,
): Promise<boolean> {
  const [tool, ...pre] = await arpingTool(ctx)
  const [file, argv] = inNetns(where, tool, [...pre, ...probeArgs(dev, address)])
  const r = await ctx.run(file, argv, {okExitCodes: [0, 1], timeout: 10_000})
  return r.exitCode === 1
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
