/**
 * `svcmgr apply`: a config in, the service converged to it. The plan is made from the stored
 * config (what the removed sections made is stopped and removed, planned from it) and the new
 * one (provisioned and started from the observed state: created, recreated when it drifted,
 * started, or left alone), then run by runServiceAction under one lock: the removal first,
 * then the new config is stored, then the convergence. A saved plan (`--out`, then
 * `svcmgr apply FILE`) runs as saved, after checking that the stored config and the observed
 * state are still the ones it was made from (StalePlanError, exit 3, names what changed).
 *
 * The stored config after a failed apply: a failed removal leaves the old config (it still
 * describes every resource that exists); once the removal is done the new config is stored,
 * and a failed convergence rolls back as start does, the new config staying (`print status`
 * reports what is not up against it; running apply again resumes).
 */
import {compileServiceLenient, ensureServiceId, normalizeDocument} from '../config/compile.js'
import {diffDocuments, removedSections} from '../config/diff.js'
import {type ServiceDocument, cloneDocument, parseDocument} from '../config/document.js'
import {checkServiceName} from '../config/store.js'
import {maskPlan, secretMasker} from '../log/mask.js'
import type {Service} from '../model/service.js'
import {observedDigestInput, observePlan, stableStringify} from '../planner/observe.js'
import {buildPlan} from '../planner/plan.js'
import {restrictPlan} from '../planner/restrict.js'
import type {ObservedState, Plan, PlanTask} from '../planner/types.js'
import {formatConfigDiffLines} from '../render/config-diff.js'
import type {ActionRequest, PreparedPart} from './actions.js'
import type {EventSink} from '../log/events.js'
import {
  type ApplyPlan,
  type ApplyPlanOptions,
  SAVED_PLAN_FORMAT,
  SAVED_PLAN_VERSION,
  type SavedApplyPlan,
  configDigest,
  sealPlan,
  sha256,
} from './saved-plan.js'
import type {Session} from './session.js'
import {ConfigChangedError, ConfigError, StalePlanError, UsageError} from '../errors.js'

/** The compiled services a plan runs on: the stored config's (absent for a new service) and the new one's. */
export interface ApplyServices {
  readonly base?: Service
  readonly next: Service
}

export interface PlannedApply {
  readonly plan: SavedApplyPlan
  readonly services: ApplyServices
  /** Hides secret values in what is printed (both configs' secrets). */
  readonly mask: (text: string) => string
}

const idOf = (doc: ServiceDocument | undefined) =>
  doc?.find(s => s.name === 'DEFAULT')?.entries.find(([k]) => k === 'id')?.[1]

/** The new config keeps the service's id (its resources carry it): a config without one gets it; another is refused. */
function keepServiceId(name: string, doc: ServiceDocument, base: ServiceDocument | undefined): ServiceDocument {
  const stored = idOf(base)
  const given = idOf(doc)
  if (stored === undefined || given === stored) return doc
  if (given !== undefined)
    throw new UsageError(
      `DEFAULT.id: the config gives ${given}, service ${name}'s id is ${stored}: the id cannot change (what svcmgr made carries it); leave it out or give ${stored}`,
    )
  const out = cloneDocument(doc)
  const def = out.find(s => s.name === 'DEFAULT')
  if (def) def.entries.unshift(['id', stored])
  else out.unshift({name: 'DEFAULT', entries: [['id', stored]]})
  return out
}

const driverOf = (svc: Service | undefined, rid: string) => {
  const r = svc?.resource(rid)
  return r ? `${r.group}.${r.type}` : undefined
}

/** The sections whose resources go: gone from the config, or served by another driver now. */
function sectionsToRemove(
  base: ServiceDocument | undefined,
  baseService: Service | undefined,
  next: Service,
  doc: ServiceDocument,
) {
  const gone = removedSections(base, doc)
  const retyped = (base ?? [])
    .map(s => s.name)
    .filter(
      rid =>
        !gone.includes(rid) &&
        driverOf(baseService, rid) &&
        driverOf(next, rid) &&
        driverOf(baseService, rid) !== driverOf(next, rid),
    )
  return [...gone, ...retyped]
}

async function observedPlans(
  session: Session,
  services: ApplyServices,
  removed: readonly string[],
  options: ApplyPlanOptions,
  sink?: EventSink,
): Promise<{remove: Plan | null; converge: Plan}> {
  // the steps are described only where the observation does not answer them (as an action's plan)
  const observe = {settings: session.driverSettings, describeUnobserved: true, ...(sink ? {sink} : {})}
  const planned = {...options, describe: false}
  const {base, next} = services
  const removal =
    base && removed.length > 0
      ? observePlan(
          restrictPlan(buildPlan(base, 'unprovision', {rids: [...removed]}, planned), new Set(removed)),
          base,
          observe,
        ).then(p => maskPlan(p, secretMasker(base)))
      : Promise.resolve(null)
  const converge = observePlan(buildPlan(next, 'provision', {}, planned), next, observe).then(p =>
    maskPlan(p, secretMasker(next)),
  )
  const [remove, c] = await Promise.all([removal, converge])
  return {remove, converge: c}
}

const planned = (p: Plan | null) => p?.tasks ?? []

function observedDigest(remove: Plan | null, converge: Plan): string {
  return sha256(`${remove ? observedDigestInput(remove) : 'null'}\n${observedDigestInput(converge)}`)
}

/** The masker of the configs involved: a secret of either never shows in a diff line. */
function masker(services: ApplyServices): (text: string) => string {
  const a = services.base ? secretMasker(services.base) : (s: string) => s
  const b = secretMasker(services.next)
  return text => b(a(text))
}

/** Reads, validates and plans: nothing is written, nothing changes on the host or the engine. */
export async function planApply(
  session: Session,
  name: string,
  input: {text: string; origin: string},
  options: ApplyPlanOptions,
  /** The input already parsed (the run read it to choose the plugins): not parsed again. */
  parsed?: ServiceDocument,
): Promise<PlannedApply> {
  checkServiceName(name)
  const registry = await session.registry()
  const stored = session.store.exists(name) ? await session.loadLenient(name) : undefined
  const base = stored?.doc
  const baseService = stored?.service
  const doc = keepServiceId(
    name,
    normalizeDocument(parsed ?? parseDocument(input.text, name, input.origin), registry),
    base,
  )
  const next = await session.compile(name, doc)
  const removed = sectionsToRemove(base, baseService, next, doc)
  const cannot = (stored?.unusable ?? []).filter(u => removed.includes(u.rid))
  if (cannot.length > 0)
    throw new ConfigError(
      cannot.map(
        u =>
          `${u.rid}: removed from the config, but its section in ${name}'s stored config cannot be used (${u.problems.join('; ')}): what it made cannot be removed; fix the stored config (svcmgr -s ${name} set/unset) first`,
      ),
    )
  const services = {base: baseService, next}
  const {remove, converge} = await observedPlans(session, services, removed, options)
  const diff = diffDocuments(base, doc)
  const tasks = [...planned(remove), ...converge.tasks]
  const plan: ApplyPlan = {
    format: SAVED_PLAN_FORMAT,
    version: SAVED_PLAN_VERSION,
    service: name,
    config: {digest: configDigest(doc), sections: doc},
    base: base ? {digest: configDigest(base), sections: base} : null,
    diff,
    remove,
    converge,
    observedDigest: observedDigest(remove, converge),
    changes: diff.length > 0 || tasks.some(t => t.change !== 'none'),
    options,
  }
  return {plan: sealPlan(plan), services, mask: masker(services)}
}

/** The services of a saved plan, compiled from the configs it holds. */
export async function servicesOfPlan(
  session: Session,
  plan: ApplyPlan,
): Promise<ApplyServices & {mask: (t: string) => string}> {
  const next = await session.compile(plan.service, plan.config.sections)
  const base = plan.base
    ? compileServiceLenient(plan.base.sections, await session.registry(), {
        name: plan.service,
        nodename: session.settings.nodename,
        varDir: session.store.varDir(plan.service),
      }).service
    : undefined
  const services = {base, next}
  return {...services, mask: masker(services)}
}

function storedNow(session: Session, name: string): ServiceDocument | undefined {
  return session.store.exists(name) ? session.store.read(name) : undefined
}

/** Why the stored config is not the one a plan was made against, or undefined when it is. */
function configStaleness(session: Session, plan: ApplyPlan, mask: (t: string) => string): string | undefined {
  const now = storedNow(session, plan.service)
  if (!plan.base && now) return `service ${plan.service} was created since the plan was made`
  if (plan.base && !now) return `service ${plan.service} was deleted since the plan was made`
  if (!plan.base || !now || configDigest(now) === plan.base.digest) return undefined
  const lines = formatConfigDiffLines(diffDocuments(plan.base.sections, now), mask)
  return `the stored config of ${plan.service} changed since the plan was made: ${lines.length > 0 ? lines.join(', ') : 'its text differs'}`
}

const shownState = (o: ObservedState | undefined) =>
  o
    ? `${o.status}${o.detail ? ` (${o.detail})` : ''}${o.drift && o.drift.length > 0 ? `, drift: ${o.drift.join(', ')}` : ''}`
    : 'not observed'

/** What differs between the tasks of a saved plan and the same plan made now, resource by resource. */
export function observedChanges(saved: readonly PlanTask[], now: readonly PlanTask[], part: string): string[] {
  const shape = (ts: readonly PlanTask[]) => ts.map(t => `${t.rid} ${t.op}`).join(', ')
  if (shape(saved) !== shape(now))
    return [`the ${part} tasks differ from what svcmgr plans now (${shape(saved)} → ${shape(now)})`]
  const out: string[] = []
  for (const [i, a] of saved.entries()) {
    const b = now[i]
    if (stableStringify({c: a.change, o: a.observed ?? null}) === stableStringify({c: b.change, o: b.observed ?? null}))
      continue
    out.push(
      `${a.rid}: planned ${a.change} when it was ${shownState(a.observed)}; now ${shownState(b.observed)}: ${b.change}${b.cause ? ` (${b.cause})` : ''}`,
    )
  }
  return out
}

/** Refuses a saved plan whose stored config or observed state differs now (StalePlanError, exit 3), naming what changed. */
export async function assertPlanCurrent(
  session: Session,
  plan: ApplyPlan,
  services: ApplyServices & {mask: (t: string) => string},
): Promise<void> {
  const again = `nothing was done; make the plan again (svcmgr -s ${plan.service} apply --config FILE --dry-run --out FILE)`
  const config = configStaleness(session, plan, services.mask)
  if (config) throw new StalePlanError(`stale plan: ${config}: ${again}`)
  const removed = planned(plan.remove)
    .map(t => t.rid)
    .filter((r, i, a) => a.indexOf(r) === i)
  const now = await observedPlans(session, services, removed, plan.options)
  if (observedDigest(now.remove, now.converge) === plan.observedDigest) return
  const changes = [
    ...observedChanges(planned(plan.remove), planned(now.remove), 'removal'),
    ...observedChanges(plan.converge.tasks, now.converge.tasks, 'convergence'),
  ]
  throw new StalePlanError(
    `stale plan: the observed state of ${plan.service} changed since the plan was made: ${changes.length > 0 ? changes.join('; ') : 'its digest differs'}: ${again}`,
  )
}

export interface ApplyRun {
  readonly waitlockMs?: number
  /** Told holding the lock, once the plan is known to be current, with the plans about to run. */
  readonly verified?: (remove: Plan | null, converge: Plan) => void
  /** A saved plan: checked against the stored config and the observed state holding the lock (exit 3 when stale). */
  readonly saved: boolean
}

/**
 * The action request that runs an apply plan through runServiceAction: the removal, the new
 * config stored, the convergence, under one lock.
 */
export async function applyRequest(
  session: Session,
  planned: {plan: ApplyPlan; services: ApplyServices & {mask?: (t: string) => string}},
  run: ApplyRun,
): Promise<Omit<ActionRequest, 'view'>> {
  const {plan, services} = planned
  // a new service gets its id when it is stored (not in the plan: a plan of a new service is deterministic)
  const stored = ensureServiceId(plan.config.sections)
  const next = stored === plan.config.sections ? services.next : await session.compile(plan.service, stored)
  const toParts = (remove: Plan | null, converge: Plan): PreparedPart[] => [
    ...(remove && remove.tasks.length > 0 ? [{service: services.base!, plan: remove}] : []),
    {
      service: next,
      plan: converge,
      ...(plan.diff.length > 0 || !plan.base ? {before: () => session.store.write(plan.service, stored)} : {}),
    },
  ]
  const removed = [...new Set(planned.plan.remove?.tasks.map(t => t.rid) ?? [])]
  return {
    service: plan.service,
    action: 'provision',
    selection: {},
    force: plan.options.force,
    disableRollback: plan.options.disableRollback,
    noWait: plan.options.noWait,
    waitlockMs: run.waitlockMs,
    prepared: {
      name: 'apply',
      service: next,
      // a saved plan runs as saved (checked against what is observed now by verify); a fresh
      // one is observed again holding the lock, as every action is
      parts: async sink => {
        if (run.saved) return toParts(plan.remove, plan.converge)
        const now = await observedPlans(session, {base: services.base, next}, removed, plan.options, sink)
        return toParts(now.remove, now.converge)
      },
      verified: parts => {
        const converge = parts[parts.length - 1].plan
        run.verified?.(parts.length > 1 ? parts[0].plan : null, converge)
      },
      verify: async () => {
        if (run.saved) return assertPlanCurrent(session, plan, {...services, mask: services.mask ?? (t => t)})
        const now = storedNow(session, plan.service)
        if ((now ? configDigest(now) : null) !== (plan.base?.digest ?? null))
          throw new ConfigChangedError(
            `apply ${plan.service}: the config changed while waiting for the lock: nothing was done; run the apply again`,
          )
      },
    },
  }
}
