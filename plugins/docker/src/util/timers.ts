/**
 * Node fires a timer longer than 2^31-1 ms at once (with a TimeoutOverflowWarning): a deadline
 * made of a bounded duration plus a margin (stop_timeout + 10 s) could pass that and fire at
 * once. Every timer of this plugin goes through timerDelay. The core bounds durations at the
 * same value (MAX_DURATION_MS in src/config/keywords.ts).
 */
export const MAX_TIMER_MS = 2 ** 31 - 1

/** `ms` as a delay Node's timers keep: within 0 .. 2^31-1. */
export function timerDelay(ms: number): number {
  return Number.isFinite(ms) ? Math.min(Math.max(0, ms), MAX_TIMER_MS) : MAX_TIMER_MS
}
