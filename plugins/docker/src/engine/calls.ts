/**
 * Deadlines on engine requests, and the reason an engine gave no answer. Every request to an
 * engine goes through engineCall: it has its own deadline, follows the action's abort signal
 * (Ctrl-C, SIGTERM, the resource's start/stop timeout), and fails with a message naming the
 * call and what went wrong: socket missing, connection refused, permission denied, no answer.
 * An interruption refuses requests not yet sent and cancels reads in flight; changes in flight
 * finish (finishOnInterrupt).
 */
import {timerDelay} from '../util/timers.js'
import {noAnswer, secs, type UnreachableKind, unreachableKind, unreachableReason} from './address.js'

/** inspect, list, create, start, remove, logs, info */
export const CALL_TIMEOUT_MS = 15_000
/** docker stop waits the grace period itself: its request gets stop_timeout plus this. */
export const STOP_MARGIN_MS = 10_000

/**
 * An engine error: statusCode when the engine answered (404, 304, 409...), unreachable when it
 * did not answer; then `reason` is why without the call's name (`docker daemon socket /p
 * missing`), and `kind` whether the engine is absent (missing, refused) or slow (timeout).
 */
export class EngineError extends Error {
  constructor(
    message: string,
    readonly statusCode?: number,
    readonly unreachable = false,
    readonly reason?: string,
    readonly kind?: UnreachableKind,
  ) {
    super(message)
  }
}

/** The abort reason of an action whose overall bound passed (see actionDeadline). */
export class DeadlineError extends Error {}

function httpStatus(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'statusCode' in error
    ? (error as {statusCode?: number}).statusCode
    : undefined
}

/** The engine's own sentence of a docker-modem error. */
function engineSentence(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const json = (error as {json?: {message?: string}}).json
    if (json?.message) return json.message
    if (error instanceof Error) return error.message.replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '').trim()
  }
  return String(error)
}

export interface CallOptions {
  readonly timeoutMs: number
  /** The action's signal: Ctrl-C/SIGTERM, or its overall deadline (a DeadlineError reason). */
  readonly signal?: AbortSignal
  /**
   * A request that changes the engine (create, start, stop, rm): once sent, an interruption lets
   * it finish under its own deadline instead of cancelling it. The engine would carry it out
   * anyway, and only a request that returned tells the driver to journal its undo; a cancelled
   * one would leave a change nobody rolls back and a report that says it was not made.
   */
  readonly finishOnInterrupt?: boolean
  /** Called once the request is written to the engine's socket (a prefetch waits for that, not the answer). */
  readonly onSent?: () => void
}

/**
 * Runs one engine request under a deadline. `call` gets the signal to hand to dockerode
 * (`abortSignal`) or docker-modem: on a timeout or an abort the request is destroyed, not left
 * hanging. Throws an EngineError whose message starts with `what`.
 */
export async function engineCall<T>(
  what: string,
  address: string,
  options: CallOptions,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const parent = options.signal
  const controller = new AbortController()
  let fail!: (e: EngineError) => void
  const stopped = new Promise<never>((_, reject) => (fail = reject))
  const abortWith = (e: EngineError) => {
    fail(e)
    controller.abort(e)
  }
  const interrupted = () => {
    const reason = parent?.reason
    return new EngineError(
      `${what}: ${reason instanceof DeadlineError ? reason.message : 'interrupted'}`,
      undefined,
      true,
    )
  }
  if (parent?.aborted) throw interrupted()
  const onParent = () => {
    if (!options.finishOnInterrupt || parent?.reason instanceof DeadlineError) abortWith(interrupted())
  }
  parent?.addEventListener('abort', onParent, {once: true})
  const timer = setTimeout(() => {
    const reason = noAnswer(address, options.timeoutMs)
    abortWith(new EngineError(`${what}: ${reason}`, undefined, true, reason, 'timeout'))
  }, timerDelay(options.timeoutMs))
  const request = call(controller.signal)
  // once the race is decided, a late rejection of the request is expected, not unhandled
  request.catch(() => undefined)
  try {
    return await Promise.race([request, stopped])
  } catch (error) {
    if (error instanceof EngineError) throw error
    const reason = unreachableReason(error, address)
    if (reason) throw new EngineError(`${what}: ${reason}`, undefined, true, reason, unreachableKind(error))
    throw new EngineError(`${what}: ${engineSentence(error)}`, httpStatus(error))
  } finally {
    clearTimeout(timer)
    parent?.removeEventListener('abort', onParent)
  }
}

/**
 * Waits for `p` unless `signal` aborts first (then an EngineError `what: interrupted`, or the
 * action's deadline): for a wait that is not a request of its own, such as the shared ping.
 */
export function untilAborted<T>(what: string, p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p
  const stopped = () => {
    const r: unknown = signal.reason
    return new EngineError(`${what}: ${r instanceof DeadlineError ? r.message : 'interrupted'}`, undefined, true)
  }
  if (signal.aborted) return Promise.reject(stopped())
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(stopped())
    signal.addEventListener('abort', onAbort, {once: true})
    p.then(
      v => {
        signal.removeEventListener('abort', onAbort)
        resolve(v)
      },
      (e: Error) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      },
    )
  })
}

/**
 * The overall bound of one driver action: a signal that aborts when `ms` passes (with a
 * DeadlineError naming `what`) or when the parent (ctx.signal) aborts. extend() adds time,
 * for a pull that has a longer bound of its own.
 */
export class ActionDeadline {
  private readonly controller = new AbortController()
  /**
   * The parent's or our own abort, whichever comes first. AbortSignal.any adds no listener to
   * the parent: the 20 actions of a parallel subset would otherwise put 20 on the executor's
   * signal (and Node warns about a leak past 10).
   */
  readonly signal: AbortSignal
  private timer: NodeJS.Timeout | undefined
  private end: number
  private total: number

  constructor(
    private readonly what: string,
    ms: number,
    parent: AbortSignal,
  ) {
    this.end = Date.now() + ms
    this.total = ms
    this.signal = AbortSignal.any([parent, this.controller.signal])
    this.arm()
  }

  extend(ms: number): void {
    this.end += ms
    this.total += ms
    this.arm()
  }

  dispose(): void {
    clearTimeout(this.timer)
  }

  private arm(): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(
      () => this.controller.abort(new DeadlineError(`${this.what} not done within ${secs(this.total)}`)),
      timerDelay(this.end - Date.now()),
    )
    this.timer.unref()
  }
}
