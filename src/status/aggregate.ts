/**
 * Status arithmetic: up+down is warn, n/a is neutral, standby counts as its plain value.
 * warn wins over everything: a resource whose state is unknown (an engine that does not
 * answer) keeps the instance from reading as down, however many others are down.
 */
import type {StatusValue} from '../drivers/api.js'

export type AggregateStatus = 'up' | 'down' | 'warn' | 'n/a'

export function aggregateStatus(values: readonly StatusValue[]): AggregateStatus {
  const plain = values.map(v => (v === 'stdby up' ? 'up' : v === 'stdby down' ? 'down' : v)).filter(v => v !== 'n/a')
  if (plain.length === 0) return 'n/a'
  if (plain.includes('warn')) return 'warn'
  const set = new Set(plain)
  return set.size === 1 ? plain[0] : 'warn'
}
