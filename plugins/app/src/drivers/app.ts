/**
 * The app drivers: OpenSVC's [app#N] resources.
 *
 * - app.forking (the group's default type): `start` returns once the application runs in the
 *   background; `stop` stops it; `check` says whether it runs (0 up, 1 down, other warn).
 * - app.simple: `start` runs in the foreground; svcmgr runs it detached and keeps its pid, so
 *   `check` and `stop` are optional (the pid is checked and signalled).
 *
 * Commands are argument vectors run through ctx.run (no shell unless the value names one).
 * Apps start after containers and stop before them: that is the core's group order; inside
 * the group, resources go by rid in natural order (app#2 before app#10).
 */
import {spawn} from 'node:child_process'
import {closeSync, readFileSync, rmSync} from 'node:fs'
import path from 'node:path'
import type {
  ActionContext,
  ChangeResult,
  Driver,
  DriverContext,
  Resource,
  ResourceStatus,
  ServiceView,
  StatusLogEntry,
  StepAction,
} from 'svcmgr'
import {describeCommand, invocation, resolveUser, type UserInfo} from '../command.js'
import {type AppKeywords, appKeywords} from '../keywords.js'
import {appReadiness} from '../readiness.js'

type Ctx = DriverContext<AppKeywords>
type ACtx = ActionContext<AppKeywords>
type Res = Resource<AppKeywords>

const DEFAULT_ACTION_TIMEOUT = 5 * 60_000
const ALL_EXIT_CODES = Array.from({length: 256}, (_, i) => i)

type Kind = 'forking' | 'simple'
type CheckResult = {state: 'up' | 'down' | 'warn'; log: StatusLogEntry[]}

// ---------------------------------------------------------------------------------------
// running commands

function cwdOf(ctx: Ctx): string {
  if (ctx.resource.kw.cwd) return ctx.resource.kw.cwd
  // the default working folder is the service's own var folder: make sure it exists
  ctx.host.ensurePrivateDir(ctx.service.varDir)
  return ctx.service.varDir
}

async function userOf(ctx: Ctx): Promise<UserInfo | undefined> {
  return ctx.resource.kw.user ? resolveUser(ctx, ctx.resource.kw.user) : undefined
}

/** How long past its timeout a command may keep its output open before svcmgr stops waiting for it. */
const OUTPUT_GRACE_MS = 2000

async function runKeyword(
  ctx: Ctx,
  words: readonly string[],
  options: {timeout: number; quiet?: boolean; okExitCodes?: readonly number[]},
) {
  const inv = invocation(ctx.resource.kw, words, cwdOf(ctx), await userOf(ctx))
  const run = ctx.run(inv.file, inv.args, {
    env: inv.env,
    timeout: options.timeout,
    quiet: options.quiet,
    okExitCodes: options.okExitCodes,
  })
  // ctx.run waits for the command's output to close: a background process that inherited it
  // (`daemon &` without a redirection) would make it wait for as long as that process lives
  let timer: NodeJS.Timeout | undefined
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `${ctx.formatCommandLine(words)}: no result after ${options.timeout / 1000}s: the command, or a background process it started, still holds its output open (a forking start must redirect what it leaves running: "mydaemon >log 2>&1 &")`,
          ),
        ),
      // Node fires a timer past 2^31-1 ms at once: a timeout at the duration bound plus the grace must not
      Math.min(options.timeout + OUTPUT_GRACE_MS, 2 ** 31 - 1),
    )
  })
  run.catch(() => undefined)
  try {
    return await Promise.race([run, stuck])
  } finally {
    clearTimeout(timer)
  }
}

const startTimeout = (kw: AppKeywords) => kw.start_timeout ?? kw.timeout ?? DEFAULT_ACTION_TIMEOUT
const stopTimeout = (kw: AppKeywords) => kw.stop_timeout ?? kw.timeout ?? DEFAULT_ACTION_TIMEOUT

function outputLines(r: {stdout: string; stderr: string}): string[] {
  return [r.stdout, r.stderr]
    .join('\n')
    .split('\n')
    .map(l => l.trimEnd())
    .filter(Boolean)
}

/** Runs `check`: 0 up, 1 down, anything else (or a failure to run) warn with the output. */
async function runCheck(ctx: Ctx, quiet: boolean): Promise<CheckResult> {
  const words = ctx.resource.kw.check!
  try {
    const r = await runKeyword(ctx, words, {
      timeout: ctx.resource.kw.check_timeout ?? 10_000,
      quiet,
      okExitCodes: ALL_EXIT_CODES,
    })
    if (r.exitCode === 0) return {state: 'up', log: []}
    if (r.exitCode === 1) return {state: 'down', log: []}
    const lines = outputLines(r).slice(-5)
    return {
      state: 'warn',
      log: [
        {
          level: 'warn',
          message: `check exited with code ${r.exitCode}${lines.length ? `: ${lines.join(' / ')}` : ' and printed nothing'}`,
        },
      ],
    }
  } catch (error) {
    return {state: 'warn', log: [{level: 'warn', message: `check failed: ${(error as Error).message}`}]}
  }
}

async function runInfo(ctx: Ctx): Promise<StatusLogEntry[]> {
  try {
    const r = await runKeyword(ctx, ctx.resource.kw.info!, {
      timeout: ctx.resource.kw.info_timeout ?? 10_000,
      quiet: true,
    })
    return outputLines(r)
      .slice(0, 20)
      .map(message => ({level: 'info' as const, message}))
  } catch (error) {
    return [{level: 'warn', message: `info failed: ${(error as Error).message}`}]
  }
}

// ---------------------------------------------------------------------------------------
// app.simple: the pid of a detached foreground process

function pidFile(ctx: Ctx): string {
  return path.join(ctx.service.varDir, 'app', `${ctx.resource.index}.pid`)
}

function logFile(ctx: Ctx): string {
  return path.join(ctx.service.varDir, 'app', `${ctx.resource.index}.log`)
}

/** The pid app.simple started, when it still runs. A pid file that cannot be read (not a missing one) throws: the state is unknown. */
function recordedPid(ctx: Ctx): number | undefined {
  let text: string
  try {
    text = readFileSync(pidFile(ctx), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new Error(
      `cannot read the pid file ${pidFile(ctx)}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}: whether ${ctx.resource.rid} runs is unknown`,
      {cause: error},
    )
  }
  const [pid, started] = text.trim().split(/\s+/)
  const n = Number(pid)
  return ctx.host.pidAlive(n, started) ? n : undefined
}

function logTail(ctx: Ctx, lines = 8): string[] {
  try {
    return readFileSync(logFile(ctx), 'utf8')
      .split('\n')
      .map(l => l.trimEnd())
      .filter(Boolean)
      .slice(-lines)
  } catch {
    return []
  }
}

async function spawnDetached(ctx: ACtx): Promise<number> {
  const kw = ctx.resource.kw
  const inv = invocation(kw, kw.start!, cwdOf(ctx), await userOf(ctx))
  ctx.log.info(ctx.formatCommandLine([inv.file, ...inv.args]))
  const out = ctx.host.openPrivateAppend(logFile(ctx))
  try {
    const child = spawn(inv.file, inv.args, {
      detached: true,
      stdio: ['ignore', out, out],
      env: {...process.env, ...inv.env},
    })
    const exited = new Promise<number | string>(resolve => {
      child.once('exit', (code, signal) => resolve(code ?? signal ?? -1))
      child.once('error', error => resolve(error.message))
    })
    // a command that dies at once (bad path, bad option) is a start failure, not an "up" that turns down
    const early = await Promise.race([exited, new Promise<undefined>(resolve => setTimeout(resolve, 300))])
    if (early !== undefined || child.pid === undefined) {
      const tail = logTail(ctx)
      throw new Error(
        `${ctx.formatCommandLine(kw.start!)} exited right after start (${early})${tail.length ? `; its last output:\n  ${tail.join('\n  ')}` : ''}`,
      )
    }
    child.unref()
    ctx.host.writePrivateFile(pidFile(ctx), `${child.pid} ${ctx.host.processStartTime(child.pid) ?? ''}\n`)
    ctx.log.info(`started pid ${child.pid}, output in ${logFile(ctx)}`)
    return child.pid
  } finally {
    closeSync(out)
  }
}

async function signalAndWait(ctx: ACtx, pid: number): Promise<void> {
  const started = ctx.host.processStartTime(pid)
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal) // the whole process group: the app was started as its leader
    } catch {
      try {
        process.kill(pid, signal)
      } catch {
        // gone already
      }
    }
  }
  const gone = async () => !ctx.host.pidAlive(pid, started)
  ctx.log.info(`kill -TERM -${pid}`)
  kill('SIGTERM')
  try {
    await ctx.waitFor(`pid ${pid} to exit`, gone, {timeoutMs: stopTimeout(ctx.resource.kw), intervalMs: 100})
  } catch {
    ctx.log.warn(`pid ${pid} still runs after ${stopTimeout(ctx.resource.kw) / 1000}s: kill -KILL -${pid}`)
    kill('SIGKILL')
    await ctx.waitFor(`pid ${pid} to exit after SIGKILL`, gone, {timeoutMs: 5000, intervalMs: 100})
  }
  rmSync(pidFile(ctx), {force: true})
}

// ---------------------------------------------------------------------------------------
// the state of a resource, as actions see it

/** start and stop act on it; a pid file that cannot be read throws (an unknown state is not acted on). */
async function probe(ctx: Ctx, kind: Kind, quiet: boolean): Promise<CheckResult | undefined> {
  if (ctx.resource.kw.check) return runCheck(ctx, quiet)
  if (kind === 'simple') return {state: recordedPid(ctx) === undefined ? 'down' : 'up', log: []}
  return undefined
}

function label(kind: Kind, res: Res, svc: ServiceView): string {
  const cmd = res.kw.start ? svc.formatCommandLine(res.kw.start) : 'no start command'
  const short = cmd.length > 60 ? `${cmd.slice(0, 57)}...` : cmd
  return `${kind}: ${short}${res.kw.user ? ` (as ${res.kw.user})` : ''}`
}

function validate(res: Res): string[] {
  const problems: string[] = []
  for (const k of ['start', 'stop', 'check', 'info'] as const) {
    const words = res.kw[k]
    if (words !== undefined && words.length === 0)
      problems.push(`${res.rid}.${k}: expected a command, got an empty value`)
  }
  for (const entry of res.kw.environment ?? []) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(entry))
      problems.push(`${res.rid}.environment: expected KEY=VALUE words, got ${JSON.stringify(entry)}`)
  }
  for (const k of ['timeout', 'start_timeout', 'stop_timeout', 'check_timeout', 'info_timeout'] as const) {
    if (res.kw[k] === 0) problems.push(`${res.rid}.${k}: expected a duration above 0, got 0`)
  }
  return problems
}

function describe(kind: Kind, action: StepAction, res: Res, svc: ServiceView): string[] {
  const kw = res.kw
  const cwd = kw.cwd ?? svc.varDir
  const cmd = (words: readonly string[]) => describeCommand(kw, words, cwd, w => svc.formatCommandLine(w))
  const lines: string[] = []
  const checkLine = kw.check
    ? `check: ${cmd(kw.check)}`
    : kind === 'simple'
      ? `check: the pid in ${path.join(svc.varDir, 'app', `${res.index}.pid`)} is alive`
      : undefined
  if (action === 'start') {
    if (checkLine) lines.push(`${checkLine} (skip start when up)`)
    if (!kw.start) lines.push('nothing to start (no start command)')
    else if (kind === 'simple')
      lines.push(`${cmd(kw.start)} &  (detached, output in ${path.join(svc.varDir, 'app', `${res.index}.log`)})`)
    else lines.push(cmd(kw.start))
  } else if (action === 'stop') {
    if (checkLine) lines.push(`${checkLine} (skip stop when down)`)
    if (kw.stop) lines.push(cmd(kw.stop))
    else if (kind === 'simple') lines.push('kill -TERM the process group of the started pid (-KILL after stop_timeout)')
    else lines.push('nothing to stop (no stop command)')
  }
  return lines
}

// ---------------------------------------------------------------------------------------
// the drivers

function appDriver(kind: Kind): Driver<AppKeywords> {
  return {
    group: 'app',
    type: kind,
    isDefaultType: kind === 'forking',
    description:
      kind === 'forking'
        ? 'An application started by a command that returns once it runs in the background, stopped and checked by commands (OpenSVC app.forking).'
        : 'An application whose start command runs in the foreground: svcmgr runs it detached, keeps its pid, checks and signals it (OpenSVC app.simple).',
    keywords: appKeywords(kind),
    validate: res => validate(res),
    label: (res, svc) => label(kind, res, svc),
    describe: (action, res, svc) => describe(kind, action, res, svc),

    observe(ctx, op) {
      return ctx.observeFromStatus(op)
    },

    async status(ctx: Ctx): Promise<ResourceStatus> {
      let checked: CheckResult | undefined
      try {
        checked = await probe(ctx, kind, true)
      } catch (error) {
        // unknown is never down
        checked = {state: 'warn', log: [{level: 'warn', message: (error as Error).message}]}
      }
      const info = ctx.resource.kw.info ? await runInfo(ctx) : []
      if (!checked) return {status: 'n/a', log: [{level: 'info', message: 'no check command'}, ...info]}
      return {status: checked.state, log: [...checked.log, ...info]}
    },

    async start(ctx: ACtx): Promise<ChangeResult> {
      const kw = ctx.resource.kw
      const before = await probe(ctx, kind, false)
      if (before?.state === 'up') return 'unchanged'
      for (const entry of before?.log ?? []) ctx.log.warn(entry.message)
      if (!kw.start) {
        ctx.log.info('no start command')
        return 'unchanged'
      }
      if (kind === 'simple') {
        await spawnDetached(ctx)
        ctx.journal.undo(`stop ${ctx.resource.rid}`, async () => {
          await stopNow(ctx, kind)
        })
        return 'changed'
      }
      await runKeyword(ctx, kw.start, {timeout: startTimeout(kw)})
      if (kw.stop)
        ctx.journal.undo(`${ctx.formatCommandLine(kw.stop)}`, async () => {
          await runKeyword(ctx, kw.stop!, {timeout: stopTimeout(kw)})
        })
      return 'changed'
    },

    async stop(ctx: ACtx): Promise<ChangeResult> {
      const before = await probe(ctx, kind, false)
      if (before?.state === 'down') return 'unchanged'
      for (const entry of before?.log ?? []) ctx.log.warn(entry.message)
      return stopNow(ctx, kind)
    },

    // readiness_probe, readiness_timeout, readiness_interval: see ../readiness.ts
    capabilities: {readiness: appReadiness},
  }
}

async function stopNow(ctx: ACtx, kind: Kind): Promise<ChangeResult> {
  const kw = ctx.resource.kw
  if (kw.stop) {
    await runKeyword(ctx, kw.stop, {timeout: stopTimeout(kw)})
    if (kind === 'simple') {
      const pid = recordedPid(ctx)
      if (pid !== undefined && ctx.host.pidAlive(pid)) await signalAndWait(ctx, pid)
      else rmSync(pidFile(ctx), {force: true})
    }
    return 'changed'
  }
  if (kind === 'simple') {
    const pid = recordedPid(ctx)
    if (pid === undefined) {
      rmSync(pidFile(ctx), {force: true})
      return 'unchanged'
    }
    await signalAndWait(ctx, pid)
    return 'changed'
  }
  ctx.log.info('no stop command')
  return 'unchanged'
}

export const forkingDriver = appDriver('forking')
export const simpleDriver = appDriver('simple')
