/** A duration flag (--timeout 30s): the config's duration syntax, a bad value refused naming the flag (exit 2). */
import {checkDuration} from '../config/keywords.js'
import {UsageError} from '../errors.js'

export function parseDurationFlag(flag: string, value: string): number {
  const d = checkDuration(value)
  if (!d.ok) throw new UsageError(`--${flag}: expected ${d.expected}, got ${JSON.stringify(value)}`)
  return d.value
}
