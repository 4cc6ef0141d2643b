/** Small helpers of the bench: medians, wall-clock timing of processes, the result table. */
import {spawnSync, type SpawnSyncOptions} from 'node:child_process'
import {setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'

export interface Row {
  readonly case: string
  /** ms */
  readonly median: number
  readonly baseline: string
  /** ms */
  readonly baselineMedian: number
  /** Shown as "<= Nx" ; undefined: informational row. */
  readonly maxRatio?: number
  /** Overrides the target text (the verdict still compares ratio with maxRatio). */
  readonly targetText?: string
  /** runs that made the median, e.g. "7" */
  readonly runs?: number
  /** What median and baselineMedian count when not ms (e.g. 'MB', 'files'). */
  readonly unit?: string
}

export interface Section {
  readonly title: string
  readonly rows: Row[]
  readonly notes: string[]
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Positive integer from the environment, else the default. */
export function envInt(name: string, fallback: number): number {
  const v = Number.parseInt(process.env[name] ?? '', 10)
  return Number.isFinite(v) && v > 0 ? v : fallback
}

let gcFn: (() => void) | undefined
/** A full GC between in-process runs, so one run does not pay for the garbage of the one before. */
export function collectGarbage(): void {
  if (!gcFn) {
    setFlagsFromString('--expose-gc')
    gcFn = runInNewContext('gc') as () => void
  }
  gcFn()
}

export interface Timed {
  readonly ms: number
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs a process to its end and measures its wall time (spawn to exit) in ms. */
export function timeProcess(cmd: string, args: readonly string[], options: SpawnSyncOptions = {}): Timed {
  const t0 = performance.now()
  const r = spawnSync(cmd, args, {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 180_000, ...options})
  const ms = performance.now() - t0
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`)
  return {ms, status: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '')}
}

/** Same, and fails with the process's output when it does not exit 0. */
export function timeOk(label: string, cmd: string, args: readonly string[], options: SpawnSyncOptions = {}): number {
  const r = timeProcess(cmd, args, options)
  if (r.status !== 0)
    throw new Error(
      `${label}: \`${[cmd, ...args].join(' ')}\` exited ${r.status}\nstdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-3000)}`,
    )
  return r.ms
}

export const fmtMs = (ms: number) =>
  Number.isNaN(ms) ? '-' : ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`

function cells(r: Row): string[] {
  const ratio = r.median / r.baselineMedian
  const target = r.targetText ?? (r.maxRatio === undefined ? '(info)' : `<= ${r.maxRatio}x`)
  const verdict = r.maxRatio === undefined ? '(info)' : ratio <= r.maxRatio ? 'met' : 'NOT met'
  const fmt = (n: number) => (r.unit ? `${Math.round(n)} ${r.unit}` : fmtMs(n))
  return [
    r.case,
    fmt(r.median),
    r.baseline,
    fmt(r.baselineMedian),
    Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : '-',
    target,
    verdict,
  ]
}

/** One markdown table of every section's rows, then the numbered footnotes. */
export function renderTable(
  sections: readonly Section[],
  skipped: readonly string[],
  context: readonly string[] = [],
): string {
  const head = ['case', 'median', 'baseline', 'baseline median', 'ratio', 'target', 'verdict']
  const body: string[][] = []
  for (const s of sections) for (const r of s.rows) body.push(cells(r))
  const width = head.map((h, i) => Math.max(h.length, ...body.map(b => b[i].length)))
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(width[i])).join(' | ')} |`
  const out = [line(head), `|${width.map(w => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)]
  const notes = sections.flatMap(s => s.notes.map(n => `${s.title}: ${n}`))
  if (notes.length || skipped.length || context.length) out.push('')
  for (const n of notes) out.push(`- ${n}`)
  if (context.length) out.push(`- measured on: ${context.join('; ')}`)
  for (const s of skipped) out.push(`- SKIPPED ${s}`)
  return out.join('\n')
}
