/**
 * Case ipcheck: the ip plugin's ARP availability check (plugins/ip/src/net/arp.ts) of a free
 * address and of a taken one, in process, each run with a fresh command context (so its tool
 * look-ups count, as in a real command), against the old check: the same tool look-up, then
 * `arping -q -D -c 1 -w 1` (one probe, one second). Needs root: a LAN of its own, namespace
 * ipcb<pid> holding 198.51.100.1/24 behind a veth whose root-namespace end ipcb<pid>h has no
 * address; both go at the end, also at process exit (a SIGINT of the bench).
 */
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import type {DriverContext} from '../src/drivers/api.js'
import {compileConfig, createDriverContext, EventCollector} from '../src/testing/harness.js'
import {registration} from '../plugins/ip/src/hooks/drivers.js'
import {addressAnswers, arpingTool, PROBE_WINDOW} from '../plugins/ip/src/net/arp.js'
import {envInt, fmtMs, median, type Section} from './lib.js'

const TARGET_MS = 300
const GATEWAY = '198.51.100.1'
const FREE = '198.51.100.77'

function must(args: string[]): void {
  const r = spawnSync('ip', args, {encoding: 'utf8', timeout: 30_000})
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: exit ${r.status}: ${r.stderr || r.error?.message}`)
}

/** Namespaces of earlier bench runs whose process is gone. */
function sweepStale(): void {
  const r = spawnSync('ip', ['netns', 'list'], {encoding: 'utf8', timeout: 30_000})
  for (const name of String(r.stdout ?? '').match(/^ipcb\d+/gm) ?? []) {
    const pid = Number(name.slice(4))
    if (pid !== process.pid && !fs.existsSync(`/proc/${pid}`)) spawnSync('ip', ['netns', 'del', name])
  }
}

function context(dev: string): DriverContext {
  const service = compileConfig({'ip#1': {ipdev: dev, ipname: FREE}}, [{plugin: '@svcmgr/plugin-ip', registration}], {
    name: 'ipcheck',
  })
  return createDriverContext(
    {
      service,
      settings: {root: '/nonexistent', nodename: 'deb1'},
      sink: new EventCollector(),
      signal: new AbortController().signal,
      cache: new Map(),
    },
    service.resource('ip#1')!,
  )
}

/** The check before issue 11: the tool look-up, then one probe waiting arping's own second. */
async function oldCheck(ctx: DriverContext, dev: string, address: string): Promise<boolean> {
  const [tool, ...pre] = await arpingTool(ctx)
  const r = await ctx.run(tool, [...pre, '-q', '-D', '-c', '1', '-w', '1', '-I', dev, address], {
    okExitCodes: [0, 1],
    timeout: 10_000,
  })
  return r.exitCode === 1
}

export async function ipcheckSection(log: (s: string) => void, sections: Section[], skipped: string[]): Promise<void> {
  const title = 'ipcheck'
  if (process.getuid?.() !== 0) {
    skipped.push(`${title}: needs root (a network namespace and a veth of its own)`)
    return
  }
  const ns = `ipcb${process.pid}`
  const dev = `${ns}h`
  const cleanup = () => {
    spawnSync('ip', ['netns', 'del', ns])
    spawnSync('ip', ['link', 'del', dev], {stdio: 'ignore'})
  }
  process.once('exit', cleanup)
  try {
    sweepStale()
    cleanup()
    must(['netns', 'add', ns])
    must(['link', 'add', dev, 'type', 'veth', 'peer', 'name', 'gw0', 'netns', ns])
    must(['-n', ns, 'addr', 'add', `${GATEWAY}/24`, 'dev', 'gw0'])
    must(['-n', ns, 'link', 'set', 'gw0', 'up'])
    must(['link', 'set', dev, 'up'])
    const cases: Record<string, {fn: () => Promise<boolean>; expect: boolean}> = {
      newFree: {fn: () => addressAnswers(context(dev), undefined, dev, FREE), expect: false},
      oldFree: {fn: () => oldCheck(context(dev), dev, FREE), expect: false},
      newTaken: {fn: () => addressAnswers(context(dev), undefined, dev, GATEWAY), expect: true},
      oldTaken: {fn: () => oldCheck(context(dev), dev, GATEWAY), expect: true},
    }
    const names = Object.keys(cases)
    const samples: Record<string, number[]> = Object.fromEntries(names.map(n => [n, []]))
    const runs = envInt('BENCH_RUNS', 7)
    const warmup = envInt('BENCH_WARMUP', 1)
    for (let i = 0; i < warmup + runs; i++) {
      const round: string[] = []
      for (const n of names.map((_, k) => names[(k + i) % names.length])) {
        const t0 = performance.now()
        const answered = await cases[n].fn()
        const ms = performance.now() - t0
        // a wrong answer is a broken check, not a figure
        if (answered !== cases[n].expect) throw new Error(`${title}: ${n} answered ${answered}`)
        if (i >= warmup) {
          samples[n].push(ms)
          round.push(`${n}=${fmtMs(ms)}`)
        }
      }
      log(
        `${title}: ${i < warmup ? `warm-up ${i + 1}/${warmup}` : `run ${i + 1 - warmup}/${runs}: ${round.join(' ')}`}`,
      )
    }
    const oldFree = median(samples.oldFree)
    sections.push({
      title,
      rows: [
        {
          case: `ip availability check, free address (timeout ${PROBE_WINDOW} arping -D -c 1 -w 1)`,
          median: median(samples.newFree),
          baseline: 'old check: arping -q -D -c 1 -w 1',
          baselineMedian: oldFree,
          maxRatio: TARGET_MS / oldFree,
          targetText: `<= ${TARGET_MS} ms`,
          runs,
        },
        {
          case: 'ip availability check, taken address (refused)',
          median: median(samples.newTaken),
          baseline: 'old check, taken address',
          baselineMedian: median(samples.oldTaken),
          runs,
        },
      ],
      notes: [
        `in process, a fresh command context per run (its arping/timeout look-ups included, as in a command), on a veth to a namespace of its own holding ${GATEWAY}; every run's answer checked (free: false, taken: true)`,
      ],
    })
  } finally {
    cleanup()
    process.removeListener('exit', cleanup)
  }
}
