/** Builds the contexts drivers receive: logging, command running, waits, peers, the host kit. */
import type {
  ActionContext,
  DriverContext,
  DriverSettings,
  Journal,
  Logger,
  ObservedStep,
  PeerHandle,
  RunOptions,
  RunResult,
  StepAction,
  WaitOptions,
} from './api.js'
import {createHostKit, formatWords} from './host.js'
import {createProbeKit} from '../readiness/runners.js'
import {observeFromStatus} from './observe-status.js'
import type {EventLevel, EventSink} from '../log/events.js'
import {MAX_DURATION_MS} from '../config/keywords.js'
import {secretMasker} from '../log/mask.js'
import type {Service, ServiceResource} from '../model/service.js'
import {CommandError, WaitTimeoutError} from '../errors.js'
import {signalGroup, trackGroup} from './process-group.js'

/** A command line as an operator would paste it (display only: commands always run from argument vectors). */
export function formatCommandLine(file: string, args: readonly string[]): string {
  return formatWords([file, ...args])
}

export interface ContextShared {
  readonly service: Service
  readonly settings: DriverSettings
  readonly sink: EventSink
  /** Read at each use: the executor gives the rollback a signal of its own (see execute.ts). */
  readonly signal: AbortSignal
  readonly cache: Map<string, unknown>
  readonly action?: ActionContext['command']
}

/** A logger whose messages never show a secret keyword value of the service (see ../log/mask.ts). */
export function createLogger(shared: ContextShared, rid?: string): Logger {
  const mask = secretMasker(shared.service)
  const emit = (level: EventLevel) => (message: string) =>
    shared.sink.emit({
      time: new Date().toISOString(),
      level,
      node: shared.settings.nodename,
      service: shared.service.name,
      rid,
      action: shared.action,
      message: mask(message),
    })
  return {debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error')}
}

const DEFAULT_COMMAND_TIMEOUT = 60_000
const KILL_GRACE_MS = 2_000

/** A delay Node's timers keep: a longer one (a driver's bounded timeout plus its margin) would fire at once. */
export function timerDelay(ms: number): number {
  return Number.isFinite(ms) ? Math.min(Math.max(0, ms), MAX_DURATION_MS) : MAX_DURATION_MS
}

/** The command runner of a context: execa with an argument vector, a timeout, the line and its output logged. */
export function commandRunner(log: Logger, signal: () => AbortSignal) {
  return async function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const {execa} = await import('execa')
    const line = formatCommandLine(file, args)
    if (!options.quiet) log.info(line)
    const timeout = options.timeout ?? DEFAULT_COMMAND_TIMEOUT
    const child = execa(file, [...args], {
      input: options.input,
      reject: false,
      env: options.env ? {...process.env, ...options.env} : undefined,
      cwd: options.cwd,
      uid: options.uid,
      gid: options.gid,
      cancelSignal: signal(),
      stdin: options.input === undefined ? 'ignore' : undefined,
      // a group of its own: a timeout or an abort ends what it started too (./process-group.ts)
      detached: true,
    })
    const pid = child.pid
    // the command's own end, which comes before the result when a process it left holds the output
    let ended: number | string | undefined
    child.once('exit', (code, sig) => (ended = code ?? sig ?? undefined))
    // Our own timer rather than execa's: a background process that inherited the output pipes
    // would keep execa waiting for them to close long after the command itself was killed.
    let timedOut = false
    // it had ended by itself when the timeout came: what held the output was a process it left
    let endedFirst = false
    let grace: NodeJS.Timeout | undefined
    const end = () => {
      if (pid !== undefined) signalGroup(pid, 'SIGTERM')
      else child.kill('SIGTERM')
      grace ??= setTimeout(() => {
        if (pid !== undefined) signalGroup(pid, 'SIGKILL')
        child.kill('SIGKILL')
        child.stdout?.destroy()
        child.stderr?.destroy()
      }, KILL_GRACE_MS)
    }
    const timer = setTimeout(() => {
      timedOut = true
      endedFirst = ended !== undefined
      end()
    }, timerDelay(timeout))
    // execa's cancelSignal ends the command alone: its group with it
    const abortSignal = signal()
    if (abortSignal.aborted) end()
    else abortSignal.addEventListener('abort', end, {once: true})
    if (pid !== undefined)
      trackGroup(
        pid,
        child.catch(() => undefined),
      )
    const r = await child.finally(() => {
      clearTimeout(timer)
      clearTimeout(grace)
      abortSignal.removeEventListener('abort', end)
    })
    const result: RunResult = {
      exitCode: r.exitCode ?? -1,
      stdout: String(r.stdout ?? ''),
      stderr: String(r.stderr ?? ''),
    }
    const output = [result.stdout, result.stderr]
      .filter(s => s.trim())
      .join('\n')
      .trim()
    if (!options.quiet && output) log.info(`output:\n${output}`)
    if (timedOut && endedFirst)
      throw new CommandError(
        `${line}: no result after ${timeout / 1000}s: the command ended (${typeof ended === 'number' ? `exit code ${ended}` : ended}), but a process it started held its output open; it was ended with the command's process group (what a command leaves running must have its output redirected: "mydaemon >log 2>&1 &")`,
        result,
      )
    if (timedOut) throw new CommandError(`${line}: timed out after ${timeout / 1000}s`, result)
    if (r.failed && r.exitCode === undefined) throw new CommandError(`${line}: ${r.shortMessage}`, result)
    if (!(options.okExitCodes ?? [0]).includes(result.exitCode))
      throw new CommandError(
        `${line}: exit code ${result.exitCode}${result.stderr.trim() ? `: ${result.stderr.trim().split('\n').slice(-3).join(' ')}` : ''}`,
        result,
      )
    return result
  }
}

export function createDriverContext(shared: ContextShared, resource: ServiceResource): DriverContext {
  return buildContext(shared, resource, {})
}

/** Whether the shared's signal is a getter (the executor's: the rollback gets a signal of its own), not a fixed value. */
function signalChanges(shared: ContextShared): boolean {
  return Object.getOwnPropertyDescriptor(shared, 'signal')?.get !== undefined
}

// Every member is a plain data property: a context is made per resource and per probe (a dry run
// or a status of thousands of resources makes thousands), and an accessor in the literal would
// put each one in V8's slow dictionary mode, several times the memory and time. The one
// exception: when the shared's signal changes (the executor's), `signal` is a getter, so that an
// undo step registered during the action runs with the rollback's signal, not with the action's
// aborted one (a spread of the context copies the signal of that moment).
function buildContext<E extends object>(shared: ContextShared, resource: ServiceResource, extra: E): DriverContext & E {
  const log = createLogger(shared, resource.rid)
  const run = commandRunner(log, () => shared.signal)
  const ctx: DriverContext & E = {
    ...extra,
    resource,
    service: shared.service,
    settings: shared.settings,
    log,
    signal: shared.signal,
    cache: shared.cache,
    host: createHostKit(run),
    probes: createProbeKit(run),
    observeFromStatus: op => observeFromStatus(resource.driver, ctx, op),
    formatCommandLine: formatWords,
    run,
    async waitFor(what: string, probe: () => Promise<boolean>, options: WaitOptions): Promise<void> {
      const deadline = Date.now() + options.timeoutMs
      const interval = options.intervalMs ?? 100
      log.info(`wait for ${what}`)
      for (;;) {
        if (await probe()) return
        if (shared.signal.aborted) throw new WaitTimeoutError(`wait for ${what}: interrupted`)
        if (Date.now() + interval > deadline)
          throw new WaitTimeoutError(`wait for ${what}: timed out after ${options.timeoutMs / 1000}s`)
        await new Promise(r => setTimeout(r, timerDelay(interval)))
      }
    },
    peer(rid: string): PeerHandle | undefined {
      const peer = shared.service.resource(rid)
      return peer ? {resource: peer, driver: peer.driver, context: createDriverContext(shared, peer)} : undefined
    },
    provider(capability: string): PeerHandle | undefined {
      const found = shared.service.providers(capability, resource.rid)[0]
      return found ? {resource: found, driver: found.driver, context: createDriverContext(shared, found)} : undefined
    },
  }
  if (signalChanges(shared))
    Object.defineProperty(ctx, 'signal', {get: () => shared.signal, enumerable: true, configurable: true})
  return ctx
}

export function createActionContext(
  shared: ContextShared,
  resource: ServiceResource,
  action: StepAction,
  force: boolean,
  journal: Journal,
  planned?: ObservedStep,
): ActionContext {
  return buildContext(shared, resource, {
    action,
    command: shared.action ?? action,
    force,
    journal,
    ...(planned ? {planned} : {}),
  })
}
