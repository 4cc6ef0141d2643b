/**
 * Case "cold": what a cold `print status` loads (issue 11, target 1). The lean path (bin/run.js →
 * dist/bundle/lean.script.js with its code cache, no oclif; and with SVCMGR_CODE_CACHE=0) against
 * the same command through oclif (SVCMGR_LEAN=0: the bundled CLI, as every other command runs),
 * all against `node -e 0`; and the JavaScript files
 * each opens, counted with strace (rows skipped without it). The other print status rows (and
 * their bare-script baselines) are in cli-cases.ts.
 */
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {type CliCtx} from './cli-cases.js'
import {REPO} from './engine.js'
import {fmtMs, median, type Section, timeOk} from './lib.js'

const BIN = path.join(REPO, 'bin/run.js')
const NODE = process.execPath

/** Distinct .js/.mjs/.cjs files a run opened successfully, from strace -f; undefined without strace. */
function jsFilesOpened(args: string[], env: NodeJS.ProcessEnv, out: string): number | undefined {
  const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=openat', '-o', out, NODE, ...args], {env, stdio: 'ignore'})
  if (r.error || r.status !== 0 || !fs.existsSync(out)) return undefined
  const files = new Set<string>()
  for (const line of fs.readFileSync(out, 'utf8').split('\n')) {
    const m = /openat\([^"]*"([^"]+\.(?:m|c)?js)"/.exec(line)
    if (m && !/= -1 /.test(line)) files.add(m[1])
  }
  return files.size
}

export async function coldStartSection(ctx: CliCtx): Promise<Section> {
  const name = ctx.left.service(`bench${process.pid}cold`)
  const root = ctx.left.tempDir('cold')
  // a cache folder of its own: the warm-up writes the code cache the runs take
  const env = {...process.env, SVCMGR_ROOT: root, SVCMGR_NODENAME: 'deb1', SVCMGR_CACHE_DIR: path.join(root, 'cache')}
  const oclifEnv = {...env, SVCMGR_LEAN: '0'}
  const uncachedEnv = {...env, SVCMGR_CODE_CACHE: '0'}
  const opts = {env, stdio: ['pipe', 'pipe', 'pipe'] as Array<'pipe'>}
  const config = JSON.stringify({
    'container#1': {type: 'docker', image: 'google/pause'},
    'container#2': {type: 'docker', image: 'nginx', netns: 'container#1'},
  })
  timeOk('create', NODE, [BIN, '-s', name, 'create', '--config=-', '--local'], {...opts, input: config})
  const status = [BIN, '-s', name, 'print', 'status']
  const fns: Record<string, () => number> = {
    'node -e 0': () => timeOk('node -e 0', NODE, ['-e', '0'], opts),
    lean: () => timeOk('print status', NODE, status, opts),
    uncached: () => timeOk('print status (SVCMGR_CODE_CACHE=0)', NODE, status, {...opts, env: uncachedEnv}),
    oclif: () => timeOk('print status (SVCMGR_LEAN=0)', NODE, status, {...opts, env: oclifEnv}),
  }
  const names = Object.keys(fns)
  const s: Record<string, number[]> = Object.fromEntries(names.map(n => [n, []]))
  for (let i = 0; i < ctx.warmup + ctx.runs; i++) {
    const round: string[] = []
    for (const n of names.map((_, k) => names[(k + i) % names.length])) {
      const ms = fns[n]()
      if (i < ctx.warmup) continue
      s[n].push(ms)
      round.push(`${n}=${fmtMs(ms)}`)
    }
    ctx.log(
      `cold: ${i < ctx.warmup ? `warm-up ${i + 1}` : `run ${i + 1 - ctx.warmup}/${ctx.runs}: ${round.join(' ')}`}`,
    )
  }
  const m = (k: string) => median(s[k])
  const runs = ctx.runs
  const rows: Section['rows'] = [
    {
      case: 'print status cold, lean path',
      median: m('lean'),
      baseline: 'node -e 0',
      baselineMedian: m('node -e 0'),
      runs,
    },
    {
      case: '  print status cold, no code cache',
      median: m('uncached'),
      baseline: 'node -e 0',
      baselineMedian: m('node -e 0'),
      runs,
    },
    {
      case: '  print status cold, through oclif',
      median: m('oclif'),
      baseline: 'node -e 0',
      baselineMedian: m('node -e 0'),
      runs,
    },
  ]
  const leanFiles = jsFilesOpened(status, env, path.join(root, 'strace-lean.txt'))
  const oclifFiles = jsFilesOpened(status, oclifEnv, path.join(root, 'strace-oclif.txt'))
  if (leanFiles !== undefined && oclifFiles !== undefined)
    rows.push({
      case: '  JS files opened: print status',
      median: leanFiles,
      baseline: 'the same through oclif',
      baselineMedian: oclifFiles,
      unit: 'files',
    })
  return {
    title: 'cold',
    rows,
    notes: [
      `\`svcmgr -s ${name} print status\` of 2 containers never created (the engine answers "no such container"), wall time spawn to exit, medians of ${runs} runs after ${ctx.warmup} warm-up(s), interleaved. Lean path: bin/run.js answers a plain print status without loading oclif (src/cli/lean-status.ts); "through oclif": SVCMGR_LEAN=0, the bundled CLI every other command uses. The lean path is dist/bundle/lean.script.js, a script bundle of its own run with V8's code cache (src/cli/cached-script.ts: written by the warm-up run into the bench's SVCMGR_CACHE_DIR, as any first run after a build writes it), and runs only the core plugins the config can need (package.json svcmgrPlugin.serves); "no code cache": SVCMGR_CODE_CACHE=0, what a run without the cache compiles.`,
      leanFiles === undefined || oclifFiles === undefined
        ? 'JS files opened: skipped (no strace)'
        : 'JS files opened: distinct .js/.mjs/.cjs files a run opens (strace -f -e openat), whatever loads them (the engine client included).',
    ],
  }
}
