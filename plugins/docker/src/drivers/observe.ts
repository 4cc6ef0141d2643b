/**
 * container.docker's observe(): what an op would do to the container now, read-only, from the
 * same one-picture list as a cold `print status` (findListed with snapshot: one request for a
 * small service's inspects or a large one's list, shared by every resource), plus one image
 * inspect per image for a container to create. Drift is the fingerprint label against the
 * config (./fingerprint.ts). A container sharing a netns owner's namespace is recreated when
 * its owner is (docker pins the owner's id at create), and only then.
 */
import type {DriverContext, ObservedState, ObservedStep, Resource, ServiceView, StepAction} from 'svcmgr'
import {EngineError} from '../engine/calls.js'
import {type Engine, serviceEngine} from '../engine/client.js'
import {engineClient, type Seen} from '../engine/containers.js'
import {imagePresent} from '../engine/images.js'
import {unreachableState} from '../engine/state.js'
import type {DockerKeywords} from './container-docker.keywords.js'
import {driftedKeywords, type Fingerprint, fingerprintOf} from './fingerprint.js'
import {containerName, createLine, LABEL_IMAGE, netnsOwner, ownerName, unlabelledSpec} from './spec.js'

type Ctx = DriverContext<DockerKeywords>
type Res = Resource<DockerKeywords>

export type Found = {kind: 'absent'} | {kind: 'ours'; info: Seen} | {kind: 'foreign'; info: Seen; reason: string}

/** What observe uses of the driver (./container-docker.ts passes them: no import cycle). */
export interface DriverParts {
  /** The container by the resource's name from status's one picture of the service. */
  findListed(ctx: Ctx, engine: Engine): Promise<Found>
  describe(op: StepAction, res: Res, svc: ServiceView): string[]
  describeStop(res: Res, svc: ServiceView): string[]
  describeCli(svc: ServiceView): string[]
  secs(ms: number): string
}

const listedUp = (c: Pick<Seen, 'State'>) => c.State === 'running' || c.State === 'paused'
const STATUS_CALL_TIMEOUT_MS = 8_000

/**
 * The config's fingerprint of a resource (no cgroup parent: the engine's driver decides it, and
 * it is not counted). Not kept with the resource: status asks once per resource, and a
 * 10,000-container status holds nothing more (its peak memory has a budget).
 */
export function wantedFingerprint(res: Res, svc: Pick<ServiceView, 'name' | 'id'>): Fingerprint {
  return fingerprintOf(unlabelledSpec(res, svc, undefined))
}

/** Drift of a seen container for status: the drifted keywords, or undefined with no fingerprint. */
export function statusDrift(ctx: Ctx, seen: Pick<Seen, 'Labels'>): string[] | undefined {
  return driftedKeywords(seen.Labels, wantedFingerprint(ctx.resource, ctx.service))
}

/** What the container is, as the list or an inspect showed it. */
interface Seen2 {
  readonly found: Found
  readonly drift?: readonly string[]
  readonly image?: string
  /** The namespace it joined: "container:<name or id>", "host", "none". */
  readonly networkMode?: string
}

/** The image the container was created as: its label (it runs that image's id), else the engine's field. */
function liveImage(seen: Seen): string | undefined {
  return seen.Labels?.[LABEL_IMAGE] ?? seen.inspect?.Config.Image ?? seen.row?.Image
}

function liveNetworkMode(seen: Seen): string | undefined {
  return seen.inspect?.HostConfig.NetworkMode ?? seen.row?.HostConfig?.NetworkMode
}

const memo = (ctx: Ctx, key: string) => `docker:observe:${ctx.service.name}:${key}`

/** The container of ctx's resource, seen once per command (its joined containers ask for it too). */
function look(ctx: Ctx, engine: Engine, d: DriverParts): Promise<Seen2> {
  const key = memo(ctx, `seen:${ctx.resource.rid}`)
  let p = ctx.cache.get(key) as Promise<Seen2> | undefined
  if (!p) {
    p = (async () => {
      const found = await d.findListed(ctx, engine)
      if (found.kind !== 'ours') return {found}
      const drift = statusDrift(ctx, found.info)
      return {
        found,
        ...(drift ? {drift} : {}),
        image: liveImage(found.info),
        networkMode: liveNetworkMode(found.info),
      }
    })()
    ctx.cache.set(key, p)
  }
  return p
}

/** Whether the image is there (one inspect per image per command). */
function hasImage(ctx: Ctx, engine: Engine, image: string): Promise<boolean> {
  const key = memo(ctx, `image:${engine.address}:${image}`)
  let p = ctx.cache.get(key) as Promise<boolean> | undefined
  if (!p) {
    p = imagePresent(engineClient(engine.address, ctx.cache), image, {
      timeoutMs: STATUS_CALL_TIMEOUT_MS,
      signal: ctx.signal,
    })
    ctx.cache.set(key, p)
  }
  return p
}

const stateOf = (s: Seen2): ObservedState => {
  const base = (status: ObservedState['status'], detail: string): ObservedState => ({
    status,
    detail,
    ...(s.drift ? {drift: s.drift} : {}),
  })
  switch (s.found.kind) {
    case 'absent':
      return {status: 'down', detail: 'absent'}
    case 'foreign':
      return {status: 'warn', detail: 'foreign'}
    case 'ours':
      return listedUp(s.found.info) ? base('up', 'running') : base('down', `exists, ${s.found.info.State}`)
  }
}

function driftCause(s: Seen2, res: Res): string {
  const words = (s.drift ?? []).map(k =>
    k === 'image' && s.image !== undefined ? `image ${s.image} → ${res.kw.image}` : k,
  )
  return words.join(', ')
}

/** The start (or provision) of ctx's container as planned now; recursive through netns owners. */
async function plannedStart(
  ctx: Ctx,
  engine: Engine,
  d: DriverParts,
): Promise<{change: ObservedStep['change']; cause: string}> {
  const key = memo(ctx, `start:${ctx.resource.rid}`)
  let p = ctx.cache.get(key) as Promise<{change: ObservedStep['change']; cause: string}> | undefined
  if (p) return p
  p = (async () => {
    const s = await look(ctx, engine, d)
    if (s.found.kind === 'foreign') return {change: 'start' as const, cause: `${s.found.reason} (the start fails)`}
    if (s.found.kind === 'absent') return {change: 'create' as const, cause: 'absent'}
    if (s.drift && s.drift.length > 0) return {change: 'recreate' as const, cause: driftCause(s, ctx.resource)}
    const owner = netnsOwner(ctx.resource)
    const peer = owner ? ctx.peer(owner) : undefined
    if (owner && peer && peer.resource.group === 'container' && peer.resource.type === 'docker') {
      const ownerCtx = peer.context as Ctx
      const o = await plannedStart(ownerCtx, engine, d)
      if (o.change === 'recreate' || o.change === 'create')
        return {change: 'recreate' as const, cause: `its netns owner ${owner} is ${o.change}d`}
      // the owner stays: this one must have joined the owner's current container (docker pins its id)
      const os = await look(ownerCtx, engine, d)
      const target = s.networkMode?.startsWith('container:') ? s.networkMode.slice('container:'.length) : undefined
      const name = ownerName(ctx.service, owner)
      if (os.found.kind === 'ours' && target !== undefined && target !== name && target !== os.found.info.Id)
        return {
          change: 'recreate' as const,
          cause: `it joined the netns of ${target.slice(0, 12)}, not of ${owner}'s current container`,
        }
    }
    if (s.found.kind === 'ours' && listedUp(s.found.info))
      return {change: 'none' as const, cause: s.drift ? 'already up' : 'already up (no fingerprint: drift not checked)'}
    return {change: 'start' as const, cause: `exists, ${s.found.info.State}`}
  })()
  ctx.cache.set(key, p)
  return p
}

async function pullStep(ctx: Ctx, engine: Engine, cli: readonly string[]): Promise<string[]> {
  const {image, image_pull_policy: policy} = ctx.resource.kw
  const line = () => ctx.formatCommandLine([...cli, 'pull', image])
  if (policy === 'always') return [`${line()}  (image_pull_policy always)`]
  return (await hasImage(ctx, engine, image)) ? [] : [`${line()}  (absent)`]
}

function waitStep(res: Res, d: DriverParts): string {
  return `wait for up status (at most ${d.secs(res.kw.start_timeout)}), then check once more that it still runs, not restarted (no fixed wait)`
}

async function startSteps(
  ctx: Ctx,
  engine: Engine,
  plan: {change: ObservedStep['change']; cause: string},
  op: StepAction,
  d: DriverParts,
): Promise<string[]> {
  const svc = ctx.service
  const res = ctx.resource
  const cli = d.describeCli(svc)
  const name = containerName(svc, res)
  switch (plan.change) {
    case 'none':
      return []
    case 'start':
      return [ctx.formatCommandLine([...cli, 'start', name]), waitStep(res, d)]
    case 'create':
    case 'recreate': {
      // the old container is stopped with its grace first, as a stop does, then removed
      const t = String(Math.ceil(res.kw.stop_timeout / 1000))
      const rm =
        plan.change === 'recreate'
          ? [
              `${ctx.formatCommandLine([...cli, 'stop', '-t', t, name])}  (when it runs)`,
              ctx.formatCommandLine([...cli, 'rm', '-f', name]),
            ]
          : []
      const pull = await pullStep(ctx, engine, cli)
      // the image first: a pull that fails leaves the old container in place
      if (op === 'provision')
        return [
          ...pull,
          ...rm,
          createLine(res, svc, 'cgroupfs', cli, 'create'),
          ctx.formatCommandLine([...cli, 'start', name]),
          waitStep(res, d),
        ]
      return [
        ...pull,
        ...rm,
        `${createLine(res, svc, 'cgroupfs', cli, 'run')}  (--cgroup-parent on cgroupfs engines only)`,
        waitStep(res, d),
      ]
    }
    default:
      return []
  }
}

function stopPlan(
  ctx: Ctx,
  s: Seen2,
  op: StepAction,
  d: DriverParts,
  privateEngine: boolean,
): Omit<ObservedStep, 'observed'> {
  const svc = ctx.service
  const res = ctx.resource
  const cli = d.describeCli(svc)
  const name = containerName(svc, res)
  const t = String(Math.ceil(res.kw.stop_timeout / 1000))
  // not ours: the driver's stop/unprovision runs and refuses (or, stopped already, warns): never stopped nor removed
  if (s.found.kind === 'foreign') {
    const fails = op === 'unprovision' || listedUp(s.found.info)
    return {
      change: op === 'unprovision' ? 'remove' : 'stop',
      cause: `${s.found.reason} (${fails ? `the ${op} fails` : 'left alone, with a warning'}: never stopped nor removed)`,
      steps: d.describe(op, res, svc),
    }
  }
  // a private daemon's stop also shuts it down once idle: the driver's stop still runs for that
  const idle = (cause: string): Omit<ObservedStep, 'observed'> =>
    privateEngine && op === 'stop'
      ? {
          change: 'stop',
          cause: `${cause}; the service's docker daemon stops when idle`,
          steps: d.describeStop(res, svc),
        }
      : {change: 'none', cause, steps: []}
  if (s.found.kind === 'absent') return idle('absent')
  const up = listedUp(s.found.info)
  const stopLine = ctx.formatCommandLine([...cli, 'stop', '-t', t, name])
  const rmLine = ctx.formatCommandLine([...cli, 'rm', name])
  if (op === 'unprovision')
    return {
      change: 'remove',
      cause: up ? 'exists, running' : `exists, ${s.found.info.State}`,
      steps: [...(up ? [stopLine] : []), `${rmLine}  (the image is kept)`],
    }
  if (up) return {change: 'stop', cause: 'running', steps: d.describeStop(res, svc)}
  if (res.kw.rm) return {change: 'remove', cause: `exists, ${s.found.info.State}; rm = true`, steps: [rmLine]}
  return idle('already down')
}

export async function observeContainer(ctx: Ctx, op: StepAction, d: DriverParts): Promise<ObservedStep> {
  const engine = await serviceEngine(ctx.service, ctx.settings, ctx.cache)
  let s: Seen2
  try {
    s = await look(ctx, engine, d)
  } catch (error) {
    if (!(error instanceof EngineError && error.unreachable && error.reason)) throw error
    const st = await unreachableState(ctx, engine, error.kind, error.reason)
    if (st.kind !== 'not started') throw new Error(st.kind === 'unknown' ? st.reason : error.reason, {cause: error})
    // the private daemon is not running: no container runs; what it holds is read once it is started
    const static_ = d.describe(op, ctx.resource, ctx.service)
    if (op === 'stop' || op === 'unprovision')
      return {
        change: 'none',
        cause: "the service's docker daemon is not running: nothing runs",
        steps: [],
        observed: {status: 'down', detail: 'daemon not running'},
      }
    return {
      change: op,
      cause: "not probed: the service's docker daemon is not running (it is started first)",
      steps: static_,
      observed: {status: 'unknown', detail: 'daemon not running'},
    }
  }
  const observed = stateOf(s)
  if (op === 'stop' || op === 'unprovision') return {...stopPlan(ctx, s, op, d, engine.daemon !== undefined), observed}
  const plan = await plannedStart(ctx, engine, d)
  const steps = await startSteps(ctx, engine, plan, op, d)
  return {...plan, steps, observed}
}
