/**
 * Case `scalemixed`: services of 1,000 and 10,000 sections that are not only containers, the
 * whole CLI (a fresh `node bin/run.js` per run, the INI on disk): create, validate config and
 * start --dry-run --format json of
 *   - ip:    one container and ip.netns sections joining it (unique addresses, a netmask)
 *   - fs:    ext4 sections, each its own device and mount point (no device needs to exist)
 *   - mixed: container.docker with an `environment` secret, an ip.netns in each one's
 *            namespace, and an ext4 fs: a third of the sections each
 * Each 10,000 figure is held to 1 s and to 11x the 1,000 figure (issue 11, target 2). create and
 * validate ask no engine; the dry-run observes (issue 12): the service's containers' list, none
 * of them existing.
 *
 *   BENCH_SCALE_SIZES    as for `scale` (default 1000,10000)
 *   BENCH_MIXED_KINDS    comma list of ip,fs,mixed (default all)
 */
import fs from 'node:fs'
import path from 'node:path'
import {REPO, type Leftovers} from './engine.js'
import {fmtMs, median, type Row, type Section, timeOk} from './lib.js'

const BIN = path.join(REPO, 'bin/run.js')
const BUDGET_MS = 1000
const MAX_GROWTH = 11

const address = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
const container = (i: number, secret: boolean) =>
  `[container#${i}]\ntype = docker\nimage = google/pause\n${secret ? `environment = TOKEN=s3cr3t${i} MODE=m${i}\n` : ''}`
const ip = (i: number, ns: number) =>
  `[ip#${i}]\ntype = netns\nnetns = container#${ns}\nipdev = eth0\nipname = ${address(i + 1)}\nnetmask = 255.0.0.0\n`
const ext4 = (i: number) =>
  `[fs#${i}]\ntype = ext4\ndev = /dev/disk/by-label/bench${i}\nmnt = /srv/bench/d${i}\nmnt_opt = rw\n`

/** The config of about `n` sections of one kind (DEFAULT included). */
export function mixedConfig(kind: string, n: number): string {
  const out = [`[DEFAULT]\nid = 00000000-0000-4000-8001-${String(n).padStart(12, '0')}\n`]
  if (kind === 'ip') {
    out.push(container(1, false))
    for (let i = 1; i < n - 1; i++) out.push(ip(i, 1))
  } else if (kind === 'fs') for (let i = 1; i < n; i++) out.push(ext4(i))
  else for (let i = 1; i <= Math.floor((n - 1) / 3); i++) out.push(container(i, true), ip(i, i), ext4(i))
  return out.join('\n')
}

export function scaleMixedSection(ctx: {left: Leftovers; log: (s: string) => void; runs: number; warmup: number}) {
  const given = (process.env.BENCH_SCALE_SIZES ?? '').split(',').map(s => Number.parseInt(s, 10))
  const [small, big] = given.filter(n => n > 0).length >= 2 ? [given[0], given.at(-1)!] : [1000, 10_000]
  const kinds = (process.env.BENCH_MIXED_KINDS ?? 'ip,fs,mixed').split(',').map(s => s.trim())
  const root = ctx.left.tempDir('scalemixed')
  const opts = {env: {...process.env, SVCMGR_ROOT: root, SVCMGR_NODENAME: 'deb1'}}
  const name = (kind: string, n: number) => `bench${process.pid}${kind}${n}`
  const file = (kind: string, n: number) => path.join(root, `${kind}${n}.conf`)
  for (const kind of kinds)
    for (const n of [small, big]) {
      fs.writeFileSync(file(kind, n), mixedConfig(kind, n))
      timeOk(
        `create ${kind} ${n}`,
        process.execPath,
        [BIN, '-s', name(kind, n), 'create', '--config', file(kind, n)],
        opts,
      )
    }
  let created = 0
  const commands: Record<string, (kind: string, n: number) => string[]> = {
    create: (kind, n) => ['-s', `${name(kind, n)}c${++created}`, 'create', '--config', file(kind, n)],
    'validate config': (kind, n) => ['-s', name(kind, n), 'validate', 'config'],
    'start --dry-run --format json': (kind, n) => ['-s', name(kind, n), 'start', '--dry-run', '--format', 'json'],
  }
  const samples: Record<string, number[]> = {}
  for (let i = 0; i < ctx.warmup + ctx.runs; i++) {
    const round: string[] = []
    for (const kind of kinds)
      for (const [command, args] of Object.entries(commands))
        for (const n of i % 2 ? [big, small] : [small, big]) {
          const ms = timeOk(`${command} ${kind} ${n}`, process.execPath, [BIN, ...args(kind, n)], opts)
          if (i < ctx.warmup) continue
          ;(samples[`${kind}\n${command}\n${n}`] ??= []).push(ms)
          round.push(`${kind} ${command}@${n}=${fmtMs(ms)}`)
        }
    ctx.log(`scalemixed: ${i < ctx.warmup ? 'warm-up' : `run ${i + 1 - ctx.warmup}/${ctx.runs}`}: ${round.join(' ')}`)
    // the create runs' services are not read again
    for (const f of fs.readdirSync(path.join(root, 'etc')))
      if (/\d+c\d+\.conf$/.test(f)) fs.rmSync(path.join(root, 'etc', f))
  }
  const fmtN = (n: number) => n.toLocaleString('en-US')
  const rows: Row[] = []
  for (const kind of kinds)
    for (const command of Object.keys(commands)) {
      const m = median(samples[`${kind}\n${command}\n${big}`])
      const label = `${kind}: ${command} (${fmtN(big)})`
      rows.push(
        {
          case: label,
          median: m,
          baseline: `${BUDGET_MS / 1000} s budget`,
          baselineMedian: BUDGET_MS,
          maxRatio: 1,
          runs: ctx.runs,
        },
        {
          case: label,
          median: m,
          baseline: `same, ${fmtN(small)} sections`,
          baselineMedian: median(samples[`${kind}\n${command}\n${small}`]),
          maxRatio: MAX_GROWTH,
          runs: ctx.runs,
        },
      )
    }
  return {
    title: 'scale, ip/fs/mixed sections',
    rows,
    notes: [
      `ip: one container.docker and ip.netns sections in its namespace (unique addresses, netmask 255.0.0.0); fs: ext4 sections, each its own device and mount point (the devices need not exist); mixed: container.docker with environment = TOKEN=... MODE=... (a secret: 'values' keyword, masked in the plan), an ip.netns joining each, an ext4 fs each. ${fmtN(small)} and ${fmtN(big)} sections, the INI on disk, a fresh \`node bin/run.js\` per run, wall time spawn to exit, medians of ${ctx.runs} runs after ${ctx.warmup} warm-up(s), sizes alternating. create and validate ask no engine; the dry-run observes every resource read-only (one list of the containers, which do not exist; the ip.netns holders' state from it; the mount table once).`,
    ],
  } satisfies Section
}
