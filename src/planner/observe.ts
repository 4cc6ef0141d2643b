/**
 * observePlan: the plan of buildPlan reconciled with the observed state. Each task's driver is
 * asked, read-only, what its op would change now (Driver.observe); the answer replaces the
 * task's change, cause and steps. A driver without observe, or one that cannot probe (engine
 * unreachable, timed out), keeps the static steps with a cause saying so. Nothing here changes
 * the host or the engine; the executor then runs what the plan says and decides nothing.
 */
import {setMaxListeners} from 'node:events'
import type {DriverSettings, ObservedStep, StepAction} from '../drivers/api.js'
import {createDriverContext, type ContextShared} from '../drivers/context.js'
import {batchDeadline, type BatchDeadline, EXPIRED} from '../drivers/deadline.js'
import type {EventSink} from '../log/events.js'
import type {Service} from '../model/service.js'
import {describeTask, summarizeChanges} from './plan.js'
import type {ObservedState, Plan, PlanTask} from './types.js'

export interface ObserveOptions {
  readonly settings: DriverSettings
  /** Where the drivers' log lines go (a dry-run drops them; a real run keeps them in its log). */
  readonly sink?: EventSink
  readonly signal?: AbortSignal
  /** The whole observation's deadline (default 15 s, as status): a driver not answered by then is "not probed". */
  readonly timeoutMs?: number
  /** Shared with the drivers: clients and engine lists (a real run passes the executor's). */
  readonly cache?: Map<string, unknown>
  /**
   * The plan was built with `describe: false` (./plan.ts): the tasks whose observation gives no
   * steps (no observe, not probed, skipped, a start its stop phase makes) are described here.
   */
  readonly describeUnobserved?: boolean
}

export const OBSERVE_TIMEOUT_MS = 15_000
/** Observations in flight at once (as status: each holds a context and often a connection). */
const OBSERVE_CONCURRENCY = 64

export const NOT_OBSERVABLE = 'not probed: the driver cannot observe'

const silent: EventSink = {emit: () => undefined}

type StaticSteps = (t: PlanTask) => readonly string[]

function staticStep(t: PlanTask, cause: string, steps: StaticSteps): ObservedStep {
  return {change: t.op, cause, steps: steps(t), observed: {status: 'unknown'}}
}

async function observeTask(
  shared: ContextShared,
  service: Service,
  t: PlanTask,
  op: StepAction,
  deadline: BatchDeadline,
  timeoutMs: number,
  steps: StaticSteps,
): Promise<ObservedStep> {
  const r = service.resource(t.rid)!
  if (!r.driver.observe) return staticStep(t, NOT_OBSERVABLE, steps)
  try {
    const answer = await deadline.race(r.driver.observe(createDriverContext(shared, r), op))
    if (answer === EXPIRED) return staticStep(t, `not probed: no answer within ${timeoutMs / 1000}s`, steps)
    return answer
  } catch (error) {
    return staticStep(t, `not probed: ${(error as Error).message}`, steps)
  }
}

/**
 * The plan with each task's change, cause, observed state and steps from its driver's
 * observation, and the summary of changes (observed = true). Skipped tasks stay as planned.
 * A restart's start-phase task of a resource its stop phase stops is a start, whatever it
 * saw (it will be down by then), unless the driver plans more (create, recreate).
 */
export async function observePlan(plan: Plan, service: Service, options: ObserveOptions): Promise<Plan> {
  const controller = new AbortController()
  setMaxListeners(4 * OBSERVE_CONCURRENCY, controller.signal)
  const stop = () => controller.abort(options.signal?.reason)
  if (options.signal?.aborted) stop()
  else options.signal?.addEventListener('abort', stop, {once: true})
  const shared: ContextShared = {
    service,
    settings: options.settings,
    sink: options.sink ?? silent,
    signal: controller.signal,
    cache: options.cache ?? new Map(),
    action: plan.action,
  }
  const staticSteps: StaticSteps = options.describeUnobserved ? t => describeTask(service, t) : t => t.steps
  const timeoutMs = options.timeoutMs ?? OBSERVE_TIMEOUT_MS
  // one deadline for all, one timer (not one per task: 10,000 tasks made 10,000 timers)
  const deadline = batchDeadline(timeoutMs)
  const answers = new Array<ObservedStep | undefined>(plan.tasks.length)
  let next = 0
  const worker = async () => {
    while (next < plan.tasks.length) {
      const i = next++
      const t = plan.tasks[i]
      if (t.skip) continue
      answers[i] = await observeTask(shared, service, t, t.op, deadline, timeoutMs, staticSteps)
    }
  }
  try {
    await Promise.all(Array.from({length: Math.min(OBSERVE_CONCURRENCY, plan.tasks.length)}, worker))
  } finally {
    deadline.clear()
    options.signal?.removeEventListener('abort', stop)
    // a driver's request still in flight after the deadline is cancelled
    controller.abort()
  }
  const stoppedFirst = new Set(
    plan.tasks.filter((t, i) => t.phase === 'stop' && answers[i]?.change === 'stop').map(t => t.rid),
  )
  // the start-phase changes by rid: a netns made anew takes what was plumbed in the old one with it
  const made = new Map<string, string>()
  const tasks = plan.tasks.map((t, i): PlanTask => {
    const a = answers[i]
    if (!a) return options.describeUnobserved ? {...t, steps: staticSteps(t)} : t
    let change = a.change
    let cause = a.cause
    let steps = a.steps
    if (t.phase === 'start' && change === 'none') {
      const renewed = service
        .needed(t.rid)
        .filter(n => n.capability.startsWith('netns:'))
        .flatMap(n => service.providers(n.capability, t.rid))
        .find(p => made.has(p.rid))
      if (stoppedFirst.has(t.rid)) {
        change = 'start'
        cause = `stopped by this ${plan.action}'s stop phase`
        steps = staticSteps(t)
      } else if (renewed) {
        change = 'start'
        cause = `${renewed.rid} is ${made.get(renewed.rid)}d: its network namespace is new`
        steps = staticSteps(t)
      }
    }
    if (t.phase === 'start' && (change === 'create' || change === 'recreate')) made.set(t.rid, change)
    return {...t, change, cause, steps, observed: deterministic(a.observed)}
  })
  return {...plan, tasks, observed: true, summary: summarizeChanges(tasks)}
}

/** Only the fields ObservedState defines, in a fixed order (a driver may return more). */
function deterministic(o: ObservedState): ObservedState {
  // assigned in order, not spread from literals: once per task
  const out: {status: ObservedState['status']; detail?: string; drift?: string[]} = {status: o.status}
  if (o.detail !== undefined) out.detail = o.detail
  if (o.drift !== undefined) out.drift = [...o.drift].sort()
  return out
}

/** JSON with every object's keys sorted: the same value always gives the same text. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  )
}

/**
 * The observed state a plan was built from, as a stable text to digest (a saved plan's stale
 * check): each task's rid, op, change and observed state, sorted keys, in task order.
 */
export function observedDigestInput(plan: Plan): string {
  return stableStringify(
    plan.tasks.map(t => ({rid: t.rid, op: t.op, phase: t.phase, change: t.change, observed: t.observed ?? null})),
  )
}

/** The observed step the executor hands a task's driver (ActionContext.planned), when the plan was observed. */
export function plannedStep(plan: Plan, t: PlanTask): ObservedStep | undefined {
  if (!plan.observed || !t.observed) return undefined
  return {change: t.change, cause: t.cause, steps: t.steps, observed: t.observed}
}
