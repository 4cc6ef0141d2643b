/**
 * The kit's `ctx.observeFromStatus(op)` (src/drivers/context.ts): observe() from the driver's own status probe (read-only, the same probe `print status` makes):
 * up → nothing to start, down → start (the status's reason is the cause), unknown (warn) → the
 * static steps with the reason. Provision and unprovision read `provisioned` when the status tells it.
 */
import type {Driver, DriverContext, ObservedStep, ResourceStatus, StepAction} from './api.js'

const reasonOf = (st: ResourceStatus, fallback: string) =>
  st.log?.find(e => e.level !== 'info')?.message ?? st.log?.[0]?.message ?? fallback

export async function observeFromStatus<K>(
  driver: Driver<K>,
  ctx: DriverContext<K>,
  op: StepAction,
): Promise<ObservedStep> {
  const st = await driver.status(ctx)
  const steps = driver.describe(op, ctx.resource, ctx.service)
  const up = st.status === 'up' || st.status === 'stdby up'
  const down = st.status === 'down' || st.status === 'stdby down'
  const observed = {
    status: st.status === 'warn' ? ('unknown' as const) : st.status,
    detail: reasonOf(st, up ? 'up' : down ? 'down' : st.status),
    ...(st.drift ? {drift: st.drift} : {}),
  }
  const drifted =
    st.drift && st.drift.length > 0 ? ` (drift: ${st.drift.join(', ')}: not converged by this driver)` : ''
  if (!up && !down) return {change: op, cause: `not probed: ${observed.detail}`, steps, observed}
  switch (op) {
    case 'start':
      return up
        ? {change: 'none', cause: `already up${drifted}`, steps: [], observed}
        : {change: 'start', cause: observed.detail, steps, observed}
    case 'stop':
      return down
        ? {change: 'none', cause: 'already down', steps: [], observed}
        : {change: 'stop', cause: 'up', steps, observed}
    case 'provision':
      if (st.provisioned === false) return {change: 'provision', cause: 'not provisioned', steps, observed}
      return up
        ? {change: 'none', cause: `already provisioned and up${drifted}`, steps: [], observed}
        : {
            change: 'start',
            cause: observed.detail,
            steps: driver.describe('start', ctx.resource, ctx.service),
            observed,
          }
    case 'unprovision':
      if (st.provisioned === false) return {change: 'none', cause: 'not provisioned', steps: [], observed}
      return {change: 'unprovision', cause: up ? 'up' : 'provisioned', steps, observed}
  }
}
