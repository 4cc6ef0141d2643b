/**
 * One deadline for a batch of driver calls (a status's probes, a plan's observation): each call
 * answers, or EXPIRED once the deadline passed. One timer for the batch, and a call that
 * settles leaves nothing behind: racing each of 10,000 calls against one pending promise
 * (Promise.race) left a reaction on it per call, kept until the end, with the call's answer.
 */

/** What a call answers when the batch's deadline passed before it did. */
export const EXPIRED = Symbol('expired')

export interface BatchDeadline {
  /** `call`'s answer, or EXPIRED when the deadline's timer runs first (at once once it has run). */
  race<T>(call: Promise<T>): Promise<T | typeof EXPIRED>
  readonly expired: boolean
  /** Clears the timer: no call waits any longer for it. */
  clear(): void
}

// process.hrtime, not performance.now(): the first use of `performance` loads perf_hooks' modules (~1 ms of a cold status)
const nowMs = () => Number(process.hrtime.bigint() / 1_000_000n)

export function batchDeadline(timeoutMs: number): BatchDeadline {
  const waiting = new Set<() => void>()
  const end = nowMs() + timeoutMs
  let expired = false
  // the clock too: a busy event loop runs the timer late
  const passed = () => expired || nowMs() >= end
  const timer = setTimeout(() => {
    expired = true
    for (const expire of waiting) expire()
    waiting.clear()
  }, timeoutMs)
  return {
    race<T>(call: Promise<T>): Promise<T | typeof EXPIRED> {
      if (expired) return Promise.resolve(EXPIRED)
      return new Promise<T | typeof EXPIRED>((resolve, reject) => {
        const expire = () => resolve(EXPIRED)
        waiting.add(expire)
        // a native promise is itself (no copy); a driver's plain value still works
        Promise.resolve(call).then(
          value => {
            waiting.delete(expire)
            resolve(value)
          },
          (error: unknown) => {
            waiting.delete(expire)
            // the call's own rejection, passed on as it is (as Promise.race would)
            // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
            reject(error)
          },
        )
      })
    },
    get expired() {
      return passed()
    },
    clear() {
      clearTimeout(timer)
    },
  }
}
