/**
 * SIGINT, SIGTERM and SIGHUP, handled the same way for every command:
 * - outside an action (loading, waiting for a lock, printing) svcmgr ends at once with 128+n:
 *   nothing is held and nothing was changed by this process yet;
 * - during an action (between taking and releasing its lock) the first signal aborts it: no new
 *   task starts, running ones finish or are cancelled, a start is rolled back; a second one cuts
 *   the rollback short. The action then reports, releases its lock and exits with 128+n.
 * No dependencies: bin/run.js installs this before oclif loads.
 */

export const INTERRUPT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
export type InterruptSignal = (typeof INTERRUPT_SIGNALS)[number]

/** The shell's convention, which scripts and supervisors read: 128 + the signal number. */
export const SIGNAL_EXIT_CODE: Record<InterruptSignal, number> = {SIGHUP: 129, SIGINT: 130, SIGTERM: 143}

export interface InterruptScope {
  /** Aborted by the first signal, with the reason "interrupted by SIGINT". */
  readonly abort: AbortSignal
  /** Aborted by the second signal: skip the rest of the rollback. */
  readonly cut: AbortSignal
  close(): void
}

interface ActiveScope {
  readonly abort: AbortController
  readonly cut: AbortController
  readonly says?: ScopeMessages
}

/** What a scope says on its first and second signal (an action's, by default). */
export interface ScopeMessages {
  readonly first: (signal: InterruptSignal) => string
  readonly second: (signal: InterruptSignal) => string
}

let installed = false
let active: ActiveScope | undefined
let first: InterruptSignal | undefined
const write = (line: string) => process.stderr.write(`${line}\n`)

/** The first signal received by this process, if any: it decides the exit code. */
export function receivedInterrupt(): InterruptSignal | undefined {
  return first
}

export function restoreTerminal(): void {
  // the TTY renderer hides the cursor while it draws
  if (process.stdout.isTTY) process.stdout.write('\u001B[?25h')
}

function onSignal(signal: InterruptSignal): void {
  first ??= signal
  // a hung-up terminal fails every write with EIO: that must not crash the rollback
  if (signal === 'SIGHUP') for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined)
  if (!active) {
    write(`svcmgr: interrupted by ${signal} (no action in progress)`)
    restoreTerminal()
    process.exit(SIGNAL_EXIT_CODE[first])
  }
  if (!active.abort.signal.aborted) {
    write(
      active.says?.first(signal) ??
        `svcmgr: ${signal} received: stopping; no new task starts, running ones finish, a start is rolled back (SIGINT or SIGTERM again skips the rollback)`,
    )
    active.abort.abort(`interrupted by ${signal}`)
  } else if (signal !== 'SIGHUP' && !active.cut.signal.aborted) {
    // a second hang-up is the same lost session, not an operator's decision to skip the undo
    write(active.says?.second(signal) ?? `svcmgr: second signal (${signal}): the rest of the rollback is skipped`)
    active.cut.abort(`skipped after a second signal (${signal})`)
  } else {
    write(`svcmgr: ${signal}: already stopping, waiting for the running step to end`)
  }
}

/** Idempotent: bin/run.js calls it first thing, the command base class again (for in-process runs). */
export function installInterruptHandlers(): void {
  if (installed) return
  installed = true
  for (const s of INTERRUPT_SIGNALS) process.on(s, () => onSignal(s))
}

/** Signals abort this scope instead of ending the process, until close(). One scope at a time. */
export function enterInterruptScope(says?: ScopeMessages): InterruptScope {
  if (active) throw new Error('internal: an interrupt scope is already open')
  const scope: ActiveScope = {abort: new AbortController(), cut: new AbortController(), ...(says ? {says} : {})}
  active = scope
  return {
    abort: scope.abort.signal,
    cut: scope.cut.signal,
    close() {
      if (active === scope) active = undefined
    },
  }
}
