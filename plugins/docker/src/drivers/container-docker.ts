/**
 * container.docker: a Docker container per resource, named "<svc>.container.<index>",
 * labelled with the service, its id and the rid, optionally sharing another container's
 * network namespace (netns = container#N), in the shared engine or the service's private dockerd.
 * Only a container whose labels say this service, id and rid is managed (see ownership in spec.ts).
 */
import {existsSync} from 'node:fs'
import type {
  ActionContext,
  ChangeResult,
  Driver,
  DriverContext,
  NetnsInfo,
  Need,
  Resource,
  ResourceStatus,
  ServiceView,
  StatusLogEntry,
  StepAction,
} from 'svcmgr'
import {ACTION_PING_TIMEOUT_MS, PING_TIMEOUT_MS} from '../engine/address.js'
import {
  ActionDeadline,
  CALL_TIMEOUT_MS,
  type CallOptions,
  EngineError,
  STOP_MARGIN_MS,
  untilAborted,
} from '../engine/calls.js'
import {dockerClient, type Engine, engineInfo, resolveSharedAddress, serviceEngine} from '../engine/client.js'
import {
  commandAnswer,
  commandSnapshot,
  engineClient,
  findByName,
  INSPECTS_AT_ONCE,
  limited,
  noteEngineChange,
  type Seen,
  seenInspect,
  serviceContainers,
  strategy,
} from '../engine/containers.js'
import {subscribeEngineEvents} from '../engine/events.js'
import {type ContainerInspect, type ContainerSummary, demultiplex, type EngineClient} from '../engine/http.js'
import {
  type DaemonSpec,
  dockerdArgs,
  privateDaemonConfig,
  serviceDaemonSpec,
  startDaemon,
  stopDaemon,
} from '../engine/daemon.js'
import {imageId, pullImage} from '../engine/images.js'
import {answeredRecently, engineState, forgetEngineState, unreachableState} from '../engine/state.js'
import {DOCKER_KEYWORDS, type DockerKeywords} from './container-docker.keywords.js'
import {netnsCycle} from './netns-chain.js'
import {dockerReadiness, healthReadiness, listedHealth, rememberRunning} from './readiness.js'
import {observeContainer, statusDrift} from './observe.js'
import {
  cliArgs,
  containerName,
  containerSpec,
  createLine,
  createOptions,
  LABEL_IMAGE,
  netnsOwner,
  ownerName,
  ownership,
} from './spec.js'

type Ctx = DriverContext<DockerKeywords>
type ACtx = ActionContext<DockerKeywords>
type Res = Resource<DockerKeywords>
type Inspect = ContainerInspect

const PULL_TIMEOUT_FLOOR = 5 * 60_000
const DAEMON_START_FLOOR = 30_000
const DAEMON_STOP_TIMEOUT = 30_000
const DOWN_WAIT_MS = 10_000
/** Status's one list request (and its rare targeted inspects): under the core's 15 s status bound, so status names the precise wait. */
const STATUS_CALL_TIMEOUT_MS = 8_000

// ---------------------------------------------------------------------------------------
// engine access: every request under a deadline and the action's signal

/** The call options of a request of ctx's action (its signal) under the default deadline. */
const opts = (ctx: Ctx, timeoutMs = CALL_TIMEOUT_MS, finishOnInterrupt = false) => ({
  timeoutMs,
  signal: ctx.signal,
  finishOnInterrupt,
})

/**
 * A request that changes the engine, through the node:http client: not sent after an
 * interruption, finished under its own deadline when already sent (finishOnInterrupt). Once it
 * is over, a container list of this command is asked again (never reused from before the change).
 */
async function clientChange<T>(
  ctx: Ctx,
  engine: Engine,
  request: (client: EngineClient, options: CallOptions) => Promise<T>,
  timeoutMs = CALL_TIMEOUT_MS,
): Promise<T> {
  try {
    return await request(engineClient(engine.address, ctx.cache), opts(ctx, timeoutMs, true))
  } finally {
    noteEngineChange(ctx.cache, engine.address)
  }
}

/** GET /containers/{id or name}/json over node:http: undefined when it does not exist. */
function httpInspect(ctx: Ctx, engine: Engine, ref: string, timeoutMs = CALL_TIMEOUT_MS) {
  return engineClient(engine.address, ctx.cache).inspect(`docker inspect ${ref}`, ref, opts(ctx, timeoutMs))
}

const isUp = (i: Pick<Inspect, 'State'> | undefined) => i !== undefined && i.State.Running && !i.State.Restarting
/** The list's word for the same: running or paused (a paused container still runs: stop stops it). */
const listedUp = (c: Pick<Seen, 'State'>) => c.State === 'running' || c.State === 'paused'

/** The container by this resource's name: absent, ours, or foreign (same name, not our labels). */
type Found<T = Inspect> = {kind: 'absent'} | {kind: 'ours'; info: T} | {kind: 'foreign'; info: T; reason: string}

function classify(ctx: Ctx, name: string, rid: string, info: Inspect | undefined): Found {
  if (!info) return {kind: 'absent'}
  const own = ownership(info.Config.Labels, name, ctx.service, rid)
  return own.owned ? {kind: 'ours', info} : {kind: 'foreign', info, reason: own.reason}
}

/** The same from what findByName saw (a list row carries the labels too). */
function classifyListed(ctx: Ctx, name: string, row: Seen | undefined): Found<Seen> {
  if (!row) return {kind: 'absent'}
  const own = ownership(row.Labels, name, ctx.service, ctx.resource.rid)
  return own.owned ? {kind: 'ours', info: row} : {kind: 'foreign', info: row, reason: own.reason}
}

/**
 * This resource's container by its name: an action's inspect over node:http (start, provision),
 * its first request after readyEngine. That sent no ping when the engine answered a moment ago,
 * so this inspect may be the one that finds it stalled: it waits ACTION_PING_TIMEOUT_MS, as the
 * ping would have (stop's list likewise).
 */
async function findContainer(ctx: Ctx, engine: Engine): Promise<Found> {
  const name = containerName(ctx.service, ctx.resource)
  return classify(ctx, name, ctx.resource.rid, await httpInspect(ctx, engine, name, ACTION_PING_TIMEOUT_MS))
}

/** The network namespace of this resource's container: undefined when it does not run. */
async function containerNetns(ctx: Ctx, engine: Engine): Promise<NetnsInfo | undefined> {
  const name = containerName(ctx.service, ctx.resource)
  // unknown is not "not running": the caller fails naming why instead of acting on a guess
  if ((await answeringEngine(ctx, engine, `the network namespace of ${name}`)) === 'not started') return undefined
  // its pid is not in the list: one inspect by name, over node:http (status of an ip.netns loads no dockerode)
  const found = classify(ctx, name, ctx.resource.rid, await httpInspect(ctx, engine, name))
  if (found.kind === 'foreign') throw new Error(found.reason)
  if (found.kind === 'absent' || !isUp(found.info) || !found.info.State.Pid) return undefined
  return {pid: found.info.State.Pid, path: `/proc/${found.info.State.Pid}/ns/net`}
}

/**
 * A read-only pass's look at a holder's namespace. In a large service the one list status sends
 * for its containers already says which holders are absent, foreign or not running: only a
 * running one is inspected, for its pid (10,000 ip.netns in 3,333 containers' namespaces asked
 * 3,333 inspects of containers the list showed absent). A small service inspects as before.
 */
async function snapshotNetns(ctx: Ctx, engine: Engine): Promise<NetnsInfo | undefined> {
  if (serviceNames(ctx.service).length > strategy.listAbove) {
    const name = containerName(ctx.service, ctx.resource)
    if ((await answeringEngine(ctx, engine, `the network namespace of ${name}`)) === 'not started') return undefined
    const listed = await findListed(ctx, engine, STATUS_CALL_TIMEOUT_MS, true)
    if (listed.kind === 'foreign') throw new Error(listed.reason)
    if (listed.kind === 'absent' || listed.info.State !== 'running') return undefined
  }
  return containerNetns(ctx, engine)
}

const namesOfService = new WeakMap<ServiceView['resources'], readonly string[]>()

/**
 * The managed names of the service's docker containers (findByName lists a large service):
 * once per service view, as every resource asks (10,000 resources asking for 10,000 names each
 * was most of a large service's status).
 */
function serviceNames(svc: ServiceView): readonly string[] {
  // keyed on the resource list itself: a view given other resources is asked anew
  let names = namesOfService.get(svc.resources)
  if (!names) {
    names = svc.resources.filter(r => r.group === 'container' && r.type === 'docker').map(r => containerName(svc, r))
    namesOfService.set(svc.resources, names)
  }
  return names
}

/**
 * This resource's container over node:http: its own inspect by name in a small service; in a
 * large one, the service's list, one request answering every resource asking at the same time
 * (status; the stops of a parallel subset). See engine/containers.ts.
 */
async function findListed(
  ctx: Ctx,
  engine: Engine,
  timeoutMs = CALL_TIMEOUT_MS,
  snapshot = false,
): Promise<Found<Seen>> {
  const name = containerName(ctx.service, ctx.resource)
  const seen = await findByName(ctx.cache, engine.address, ctx.service.name, serviceNames(ctx.service), name, {
    timeoutMs,
    signal: ctx.signal,
    snapshot,
  })
  return classifyListed(ctx, name, seen)
}

/**
 * A stop's view of its container: ownership (labels and id) from the command's one list
 * (engine/containers.ts commandSnapshot), the state from it while this process changed nothing
 * since, else from an inspect by that id. The list doubles as the engine's probe (no ping before
 * it): it waits ACTION_PING_TIMEOUT_MS for a slow engine; 'not started' for a private daemon
 * that is not; throws when the engine cannot say what runs (an unknown state is never read as
 * "nothing runs").
 */
async function findListedForAction(ctx: Ctx, engine: Engine, doing: string): Promise<Found<Seen> | 'not started'> {
  try {
    const name = containerName(ctx.service, ctx.resource)
    const {seen, current} = await commandSnapshot(
      ctx.cache,
      engine.address,
      ctx.service.name,
      serviceNames(ctx.service),
      name,
      {timeoutMs: ACTION_PING_TIMEOUT_MS, signal: ctx.signal},
    )
    if (!seen || current) return classifyListed(ctx, name, seen)
    const now = await httpInspect(ctx, engine, seen.Id, ACTION_PING_TIMEOUT_MS)
    return classifyListed(ctx, name, now && seenInspect(now))
  } catch (error) {
    if (!(error instanceof EngineError && error.unreachable && error.reason)) throw error
    const st = await unreachableState(ctx, engine, error.kind, error.reason)
    if (st.kind === 'not started') return 'not started'
    throw new EngineError(
      `${doing}: ${st.kind === 'unknown' ? st.reason : error.reason}: the state of the container is unknown, nothing was done`,
      undefined,
      true,
    )
  }
}

/**
 * Throws when the engine cannot say what runs: an unknown state is never read as "nothing runs".
 * An action waits ACTION_PING_TIMEOUT_MS (30 s) for a slow engine; a read (the netns
 * capability, asked during status too) PING_TIMEOUT_MS. Socket missing or connection refused fail at once.
 */
async function answeringEngine(
  ctx: Ctx,
  engine: Engine,
  doing: string,
  timeoutMs = PING_TIMEOUT_MS,
): Promise<'answering' | 'not started'> {
  if (!ctx.signal?.aborted && answeredRecently(ctx.cache, engine.address, timeoutMs)) return 'answering'
  const st = await untilAborted(doing, engineState(ctx, engine, timeoutMs), ctx.signal)
  if (st.kind === 'unknown')
    throw new EngineError(
      `${doing}: ${st.reason}: the state of the container is unknown, nothing was done`,
      undefined,
      true,
    )
  return st.kind
}

/** The engine of ctx's service, ready: the private daemon started when needed, the engine answering. */
async function readyEngine(ctx: ACtx, deadline: ActionDeadline, doing: string): Promise<Engine> {
  const engine = await serviceEngine(ctx.service, ctx.settings, ctx.cache)
  if (engine.daemon) await ensureDaemon(ctx, engine, engine.daemon, deadline)
  if ((await answeringEngine(ctx, engine, doing, ACTION_PING_TIMEOUT_MS)) !== 'answering')
    throw new Error(`${doing}: ${engine.daemon?.title ?? 'the docker daemon'} is not running (${engine.address})`)
  return engine
}

/**
 * Runs a driver action under its overall bound (start_timeout / stop_timeout plus margins):
 * the action's calls get a signal that aborts when the bound passes or ctx.signal does.
 */
async function bounded<T>(
  ctx: ACtx,
  what: string,
  ms: number,
  fn: (c: ACtx, deadline: ActionDeadline) => Promise<T>,
): Promise<T> {
  const deadline = new ActionDeadline(what, ms, ctx.signal)
  try {
    return await fn({...ctx, signal: deadline.signal}, deadline)
  } finally {
    deadline.dispose()
  }
}

const startBound = (kw: DockerKeywords) => kw.start_timeout + CALL_TIMEOUT_MS
/** What docker stop may take: the container's grace, then the engine's answer once it is down. */
const stopGrace = (kw: DockerKeywords) => kw.stop_timeout + STOP_MARGIN_MS
const stopBound = (kw: DockerKeywords) => stopGrace(kw) + DOWN_WAIT_MS + CALL_TIMEOUT_MS

/**
 * A context for an undo step: its own changes are not journaled again, and it gets a signal
 * of its own (each call keeps its deadline): the action's signal may be aborted by the very
 * Ctrl-C that started this rollback.
 */
function undoContext(ctx: ACtx, action: StepAction): ACtx {
  return {...ctx, action, journal: {undo: () => undefined}, signal: new AbortController().signal}
}

// ---------------------------------------------------------------------------------------
// private daemon

const startKey = (spec: DaemonSpec) => `docker:daemon-start:${spec.socket}`
const stopKey = (spec: DaemonSpec) => `docker:daemon-stop:${spec.socket}`

/**
 * docker_data_dir on a filesystem resource of the service (the seed's appdata on fs#2): that
 * filesystem must be up, or dockerd would put its data on the bare mount point underneath.
 */
async function checkDataDirMounted(ctx: ACtx): Promise<void> {
  const dataDir = privateDaemonConfig(ctx.service)?.dataDir
  if (!dataDir) return
  const peer = ctx.provider(`path:${dataDir}`)
  if (!peer) return
  const holder = peer.resource
  const st = await peer.driver.status(peer.context)
  if (st.status === 'up' || st.status === 'stdby up') return
  const label = st.label ?? peer.driver.label(holder, ctx.service)
  throw new Error(
    `docker_data_dir ${dataDir} is on ${holder.rid} (${label}), which is ${st.status}: the docker daemon is not started on its bare mount point (start ${holder.rid} first)`,
  )
}

/** Starts the service's private dockerd once per command, however many containers start in parallel. */
async function ensureDaemon(ctx: ACtx, engine: Engine, spec: DaemonSpec, deadline: ActionDeadline): Promise<void> {
  let p = ctx.cache.get(startKey(spec)) as Promise<'started' | 'running'> | undefined
  let mine = false
  const timeoutMs = Math.max(ctx.resource.kw.start_timeout, DAEMON_START_FLOOR)
  deadline.extend(timeoutMs)
  if (!p) {
    mine = true
    ctx.cache.delete(stopKey(spec))
    p = (async () => {
      if ((await engineState(ctx, engine)).kind === 'not started') await checkDataDirMounted(ctx)
      return startDaemon(ctx.host, spec, {
        timeoutMs,
        signal: ctx.signal,
        onSpawn: line => {
          ctx.log.info('starting docker daemon')
          ctx.log.info(ctx.formatCommandLine(line))
        },
      })
    })()
    ctx.cache.set(startKey(spec), p)
    p.catch(() => ctx.cache.delete(startKey(spec)))
  }
  const r = await p
  forgetEngineState(ctx.cache, engine)
  if (mine && r === 'started') {
    ctx.journal.undo(`stop the docker daemon of ${ctx.service.name}`, async () => {
      await stopDaemon(ctx.host, spec, {timeoutMs: DAEMON_STOP_TIMEOUT})
      ctx.cache.delete(startKey(spec))
      forgetEngineState(ctx.cache, engine)
    })
  }
}

/** After a stop: shut the private daemon down when no container runs in it any more. */
async function shutdownIdleDaemon(ctx: ACtx, engine: Engine): Promise<void> {
  const spec = engine.daemon
  if (!spec) return
  const running = await engineClient(engine.address, ctx.cache).list(
    'docker ps',
    {status: ['running', 'restarting']},
    opts(ctx),
  )
  if (running.length > 0) return
  let p = ctx.cache.get(stopKey(spec)) as Promise<unknown> | undefined
  if (!p) {
    ctx.log.info('no more container handled by docker daemon. shut it down')
    p = stopDaemon(ctx.host, spec, {timeoutMs: DAEMON_STOP_TIMEOUT})
    ctx.cache.set(stopKey(spec), p)
    ctx.cache.delete(startKey(spec))
    p.catch(() => ctx.cache.delete(stopKey(spec)))
  }
  await p
  forgetEngineState(ctx.cache, engine)
}

// ---------------------------------------------------------------------------------------
// container operations

/** The last lines a container printed (its json-file log), demultiplexed unless it has a tty. */
async function lastLogLines(ctx: Ctx, engine: Engine, id: string, tty: boolean, lines = 8): Promise<string[]> {
  try {
    const raw = await engineClient(engine.address, ctx.cache).logs(`docker logs ${id}`, id, lines, opts(ctx))
    const text = tty ? raw.toString('utf8') : demultiplex(raw)
    return text
      .split('\n')
      .map(l => l.trimEnd())
      .filter(Boolean)
      .slice(-lines)
  } catch {
    return []
  }
}

async function exitedError(ctx: Ctx, engine: Engine, name: string, info: Inspect): Promise<Error> {
  const s = info.State
  const why = s.OOMKilled ? 'was killed for lack of memory' : `exited with code ${s.ExitCode}`
  const lines = await lastLogLines(ctx, engine, info.Id, info.Config.Tty)
  const err = s.Error ? ` (${s.Error})` : ''
  return new Error(
    `container ${name} ${why} right after start${err}${lines.length ? `; its last output:\n  ${lines.join('\n  ')}` : '; it printed nothing'}`,
  )
}

function ensureImageTimeout(kw: DockerKeywords): number {
  return Math.max(kw.start_timeout, PULL_TIMEOUT_FLOOR)
}

/**
 * Pulls the image when the policy asks for it. Returns whether it pulled and the id the image
 * name now stands for (a container is created from it). A pull has its own bound, added to the
 * action's. The presence check is one node:http request; dockerode (for the pull's stream) is
 * loaded only when a pull is due.
 */
async function ensureImage(
  ctx: ACtx,
  engine: Engine,
  deadline: ActionDeadline,
): Promise<{pulled: boolean; id: string}> {
  const {image, image_pull_policy: policy} = ctx.resource.kw
  if (policy === 'once') {
    const id = await imageId(engineClient(engine.address, ctx.cache), image, opts(ctx))
    if (id) return {pulled: false, id}
  }
  ctx.log.info(`pulling docker image ${image}`)
  deadline.extend(ensureImageTimeout(ctx.resource.kw))
  const id = await pullImage(await dockerClient(engine.address, ctx.cache), image, {
    timeoutMs: ensureImageTimeout(ctx.resource.kw),
    progress: line => ctx.log.info(line),
    progressEveryMs: 5000,
    signal: ctx.signal,
  })
  return {pulled: true, id}
}

/** The netns owner's container, which must be ours and run for this one to start. */
async function runningOwner(ctx: Ctx, engine: Engine): Promise<{rid: string; name: string; info: Inspect} | undefined> {
  const rid = netnsOwner(ctx.resource)
  if (!rid) return undefined
  const name = ownerName(ctx.service, rid)
  const found = classify(ctx, name, rid, await httpInspect(ctx, engine, name))
  if (found.kind === 'foreign') throw new Error(`${ctx.resource.rid}: its netns owner ${rid}: ${found.reason}`)
  if (found.kind === 'absent' || !isUp(found.info)) {
    // an owner that exited after its own start was confirmed (see waitStarted) says so here
    const s = found.kind === 'ours' ? found.info.State : undefined
    const exited = s?.Status === 'exited' ? ` (it exited with code ${s.ExitCode} at ${s.FinishedAt})` : ''
    throw new Error(
      `${ctx.resource.rid}: its netns owner ${rid} (container ${name}) is ${s ? `not running${exited}` : 'missing'}: start ${rid} first`,
    )
  }
  return {rid, name, info: found.info}
}

/** POST /containers/create from the image `image` (an id: see createOptions): the new container's id. */
async function createContainer(ctx: ACtx, engine: Engine, verb: 'run' | 'create', image: string): Promise<string> {
  const info = await engineInfo(engine.address, ctx.cache, ctx.signal)
  const spec = containerSpec(ctx.resource, ctx.service, info.CgroupDriver)
  ctx.log.info(ctx.formatCommandLine([...engine.cli, ...cliArgs(spec, verb, image)]))
  const what = `docker ${verb} ${spec.name}`
  return (await clientChange(ctx, engine, (client, o) => client.create(what, createOptions(spec, image), o))).Id
}

/** POST /containers/{id}/start; 304 ('already'): it runs already. */
async function startContainer(ctx: ACtx, engine: Engine, id: string, what: string): Promise<void> {
  await clientChange(ctx, engine, (client, o) => client.start(what, id, o))
}

async function stopContainer(ctx: ACtx, engine: Engine, info: Pick<Inspect, 'Id'>): Promise<void> {
  ctx.log.info(ctx.formatCommandLine([...engine.cli, 'stop', info.Id]))
  const t = Math.ceil(ctx.resource.kw.stop_timeout / 1000)
  const what = `docker stop ${containerName(ctx.service, ctx.resource)}`
  // the engine answers only once the container is down: the grace period plus a margin;
  // 304 ('already'): it stopped on its own meanwhile
  await clientChange(
    ctx,
    engine,
    (client, o) => client.stop(what, info.Id, t, o),
    ctx.resource.kw.stop_timeout + STOP_MARGIN_MS,
  )
  ctx.log.info(`output:\n${info.Id}`)
}

/** Removes our container by its id (never by name: another container may have taken the name meanwhile). */
async function removeContainer(
  ctx: ACtx,
  engine: Engine,
  info: Pick<Inspect, 'Id' | 'Name'>,
  force = false,
): Promise<void> {
  const name = info.Name.replace(/^\//, '')
  ctx.log.info(ctx.formatCommandLine([...engine.cli, 'rm', ...(force ? ['-f'] : []), name]))
  // 'absent' (404): gone already
  await clientChange(ctx, engine, (client, o) => client.remove(`docker rm ${name}`, info.Id, force, o))
}

/** After docker stop answered: the engine says it is down (a restart policy or a stop that did not take would show here). */
async function waitDown(ctx: ACtx, engine: Engine, id: string): Promise<void> {
  await ctx.waitFor('down status', async () => !isUp(await httpInspect(ctx, engine, id)), {
    timeoutMs: DOWN_WAIT_MS,
    intervalMs: 100,
  })
}

/** The state of a container the driver just started: gone, or exited (its exit code and last output), fail the start. */
async function startedState(ctx: ACtx, engine: Engine, name: string, id: string): Promise<Inspect> {
  const i = await httpInspect(ctx, engine, id)
  if (!i) throw new Error(`container ${name} disappeared right after start`)
  if (!i.State.Running && !i.State.Restarting && (i.State.Status === 'exited' || i.State.Status === 'dead'))
    throw await exitedError(ctx, engine, name, i)
  return i
}

/**
 * Where "started" is decided, after the start request returned: no fixed wait. The container
 * is up when the engine says it runs (up status: polled while it is not running yet, e.g.
 * restarting, at most start_timeout) and, at the next state check, one round trip later, it
 * still runs the same run: running, not restarting, same StartedAt and RestartCount. One that
 * exited by then fails the start with its exit code and last output; one that restarted, with
 * its last exit code. An exit the engine has not yet seen when that check comes back is not
 * caught here: that is a readiness question (a probe of the service itself): the core's
 * readiness wait follows the start (the readiness capability, ./readiness.ts), and the run this
 * check saw is remembered for its first probe.
 */
async function waitStarted(ctx: ACtx, engine: Engine, name: string, id: string): Promise<void> {
  let run: Inspect | undefined
  await ctx.waitFor(
    'up status',
    async () => {
      const i = await startedState(ctx, engine, name, id)
      if (!isUp(i)) return false
      run = i
      return true
    },
    {timeoutMs: ctx.resource.kw.start_timeout, intervalMs: 100},
  )
  const again = await startedState(ctx, engine, name, id)
  if (!isUp(again) || again.State.StartedAt !== run!.State.StartedAt || again.RestartCount !== run!.RestartCount)
    throw new Error(`container ${name} restarted right after start (exit code ${again.State.ExitCode})`)
  rememberRunning(ctx, again)
}

// ---------------------------------------------------------------------------------------
// describe helpers (pure)

function describeCli(svc: ServiceView): string[] {
  const spec = serviceDaemonSpec(svc)
  return spec ? ['docker', '-H', spec.address] : ['docker']
}

function secs(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`
}

function describeDaemonStart(svc: ServiceView): string[] {
  const spec = serviceDaemonSpec(svc)
  return spec
    ? [
        `start the service's docker daemon when it is not running: ${svc.formatCommandLine(['dockerd', ...dockerdArgs(spec)])}`,
      ]
    : []
}

function describeCreate(res: Res, svc: ServiceView, verb: 'run' | 'create'): string[] {
  const cli = describeCli(svc)
  const kw = res.kw
  const pull =
    kw.image_pull_policy === 'always'
      ? `${svc.formatCommandLine([...cli, 'pull', kw.image])}  (image_pull_policy always)`
      : `${svc.formatCommandLine([...cli, 'pull', kw.image])}  (when the image is absent)`
  return [
    pull,
    `${createLine(res, svc, 'cgroupfs', cli, verb)}  (when the container does not exist; --cgroup-parent on cgroupfs engines only)`,
  ]
}

function describeStop(res: Res, svc: ServiceView): string[] {
  const cli = describeCli(svc)
  const name = containerName(svc, res)
  const lines = [
    `${svc.formatCommandLine([...cli, 'stop', '-t', String(Math.ceil(res.kw.stop_timeout / 1000)), name])}  (when it runs)`,
  ]
  if (res.kw.rm) lines.push(svc.formatCommandLine([...cli, 'rm', name]))
  lines.push('wait for down status')
  if (serviceDaemonSpec(svc)) lines.push("stop the service's docker daemon when no container runs in it any more")
  return lines
}

// ---------------------------------------------------------------------------------------
// status from the list (inspect only for what it cannot tell)

/** What status reports of a container, from its inspect or its list row. */
interface RunState {
  readonly image: string
  /** Running and not restarting (a paused container is up and paused). */
  readonly up: boolean
  readonly paused: boolean
  readonly restarting: boolean
  /** created, running, paused, restarting, removing, exited, dead */
  readonly status: string
  readonly exitCode: number
  readonly finishedAt?: string
  readonly error?: string
}

function inspectedState(i: ContainerInspect): RunState {
  const s = i.State
  return {
    image: i.Config.Labels?.[LABEL_IMAGE] ?? i.Config.Image,
    up: isUp(i),
    paused: s.Paused,
    restarting: s.Restarting,
    status: s.Status,
    exitCode: s.ExitCode,
    finishedAt: s.FinishedAt,
    error: s.Error,
  }
}

/** "Exited (137) 5 minutes ago", "Restarting (1) 2 seconds ago": the engine's own format. */
const EXIT_CODE = /^(?:Exited|Restarting) \((-?\d+)\)/

/**
 * The state from the list row alone, or undefined when the list cannot tell: the image it was
 * created as (its com.svcmgr.image label; without one, made before the label, the row's Image,
 * which is the image id once the tag moved: the inspect says what the container was created
 * from) is not the configured one, an exit code other than 0 (status dates it), a dead
 * container (status says its error), a restart count the row does not parse.
 */
function listedState(c: ContainerSummary, image: string): RunState | undefined {
  const created = c.Labels?.[LABEL_IMAGE] ?? c.Image
  if (created !== image) return undefined
  const code = EXIT_CODE.exec(c.Status ?? '')?.[1]
  const exitCode = code === undefined ? undefined : Number(code)
  const base = {image: created, status: c.State, exitCode: exitCode ?? 0, paused: false, restarting: false}
  switch (c.State) {
    case 'running':
      return {...base, up: true}
    case 'paused':
      return {...base, up: true, paused: true}
    case 'created':
    case 'removing':
      return {...base, up: false}
    case 'exited':
      return exitCode === 0 ? {...base, up: false} : undefined
    case 'restarting':
      return exitCode === undefined ? undefined : {...base, up: false, restarting: true}
    default:
      return undefined
  }
}

// ---------------------------------------------------------------------------------------
// the driver

export const dockerDriver: Driver<DockerKeywords> = {
  group: 'container',
  type: 'docker',
  description:
    'A Docker container, optionally sharing the network namespace of another container of the service, in the shared engine or a private per-service dockerd.',
  keywords: DOCKER_KEYWORDS,

  validate(res, svc) {
    const problems: string[] = []
    const netns = res.kw.netns
    const owner = netnsOwner(res)
    if (owner) {
      const peer = svc.resource(owner)
      if (!peer || peer.group !== 'container' || peer.rid === res.rid) {
        problems.push(`${res.rid}.netns: expected a container resource of this service, got ${JSON.stringify(netns)}`)
      } else if (peer.type !== 'docker') {
        problems.push(
          `${res.rid}.netns: expected a docker container resource of this service, got ${JSON.stringify(netns)} (a ${peer.type} container)`,
        )
      } else {
        // netns chains must end: container#1 -> container#2 -> container#1 can never start
        const cycle = netnsCycle(res, peer, svc)
        if (cycle) problems.push(`${res.rid}.netns: the network namespace owners form a cycle (${cycle.join(' -> ')})`)
      }
      if (res.kw.hostname !== undefined)
        problems.push(
          `${res.rid}.hostname: not allowed with netns = ${netns} (the container takes ${netns}'s hostname with its network namespace)`,
        )
    }
    return problems
  },

  // its network namespace (its own, or the one it joined: another container can join it there);
  // none with netns = host, which is the host's
  provides(res) {
    return res.kw.netns === 'host' ? [] : [`netns:${res.rid}`]
  },

  needs(res, svc): Need[] {
    const needs: Need[] = []
    const owner = netnsOwner(res)
    // joining the owner's namespace needs it started, not ready
    if (owner) needs.push({capability: `netns:${owner}`, reason: 'netns owner', gate: 'started'})
    // the host's namespace: no resource provides it, but an ip.netns learns it cannot plumb there
    else if (res.kw.netns === 'host') needs.push({capability: 'netns:host', reason: 'netns owner'})
    // the private daemon's data folder: the filesystem holding it starts first
    const dataDir = privateDaemonConfig(svc)?.dataDir
    if (dataDir?.startsWith('/'))
      needs.push({capability: `path:${dataDir}`, reason: `holds docker_data_dir ${dataDir}`})
    return needs
  },

  label(res, svc) {
    return `docker container ${containerName(svc, res)}@${res.kw.image}`
  },

  describe(action, res, svc) {
    const cli = describeCli(svc)
    const name = containerName(svc, res)
    switch (action) {
      case 'start':
        return [
          ...describeDaemonStart(svc),
          `check that a container named ${name}, if any, is labelled for this service, its id and ${res.rid} (else fail: it is not ours)`,
          ...(netnsOwner(res)
            ? [
                `check that the netns owner ${netnsOwner(res)} (container ${ownerName(svc, netnsOwner(res)!)}) is ours and runs`,
              ]
            : []),
          `${svc.formatCommandLine([...cli, 'start', name])}  (when the container exists and is stopped)`,
          ...describeCreate(res, svc, 'run'),
          `wait for up status (at most ${secs(res.kw.start_timeout)}), then check once more that it still runs, not restarted (no fixed wait)`,
        ]
      case 'stop':
        return describeStop(res, svc)
      case 'provision':
        return [...describeDaemonStart(svc), ...describeCreate(res, svc, 'create')]
      case 'unprovision':
        return [
          ...describeDaemonStart(svc),
          `${svc.formatCommandLine([...cli, 'stop', '-t', String(Math.ceil(res.kw.stop_timeout / 1000)), name])}  (when it runs)`,
          `${svc.formatCommandLine([...cli, 'rm', name])}  (the image is kept)`,
          ...(serviceDaemonSpec(svc) ? ["stop the service's docker daemon when no container runs in it any more"] : []),
        ]
      default:
        return []
    }
  },

  observe: (ctx, op) =>
    observeContainer(ctx, op, {
      findListed: (c, engine) => findListed(c, engine, STATUS_CALL_TIMEOUT_MS, true),
      describe: (action, res, svc) => dockerDriver.describe(action, res, svc),
      describeStop,
      describeCli,
      secs,
    }),

  // a large service's status is one engine list (findListed): sent before the config compiles.
  // Only for the shared engine: a service naming a private daemon (its DEFAULT keywords, as
  // written) is left to the pass, which resolves its engine from the compiled config as always.
  prefetch(req): Promise<void> | undefined {
    if (req.sections.length <= strategy.listAbove) return undefined
    if ('docker_data_dir' in req.defaults || 'docker_daemon_private' in req.defaults) return undefined
    const names = req.sections.map(s => containerName(req.service, s))
    return resolveSharedAddress(req.settings).then(
      address =>
        new Promise<void>(sent => {
          // the pass's first findListed joins it: the same key, generation and timeout
          serviceContainers(req.cache, address, req.service.name, names, {
            timeoutMs: STATUS_CALL_TIMEOUT_MS,
            snapshot: true,
            onSent: sent,
          }).then(
            () => sent(),
            () => sent(),
          )
        }),
      () => undefined,
    )
  },

  async status(ctx): Promise<ResourceStatus> {
    const label = dockerDriver.label(ctx.resource, ctx.service)
    const name = containerName(ctx.service, ctx.resource)
    const down = (
      level: StatusLogEntry['level'],
      message: string,
      extra: Partial<ResourceStatus> = {},
    ): ResourceStatus => ({status: 'down', label, log: [{level, message}], ...extra})
    // the engine did not answer: what runs is unknown, which is never "down"
    const unknown = (reason: string): ResourceStatus => ({
      status: 'warn',
      label,
      log: [{level: 'warn', message: `${reason}: the state of container ${name} is unknown`}],
    })
    const failed = (error: unknown): ResourceStatus =>
      error instanceof EngineError && error.unreachable
        ? unknown(error.reason ?? error.message)
        : {status: 'warn', label, log: [{level: 'warn', message: (error as Error).message}]}
    let engine: Engine
    try {
      engine = await serviceEngine(ctx.service, ctx.settings, ctx.cache)
    } catch (error) {
      return {status: 'warn', label, log: [{level: 'warn', message: (error as Error).message}]}
    }
    // one request for the whole service (every resource's status asks at once): no ping before it,
    // its failure says whether the engine is absent (socket missing, refused) or not answering
    let found: Found<Seen>
    try {
      found = await findListed(ctx, engine, STATUS_CALL_TIMEOUT_MS, true)
    } catch (error) {
      if (!(error instanceof EngineError && error.unreachable && error.reason)) return failed(error)
      const st = await unreachableState(ctx, engine, error.kind, error.reason)
      if (st.kind === 'not started') return down('warn', 'docker daemon is not running')
      return unknown(st.kind === 'unknown' ? st.reason : error.reason)
    }
    if (found.kind === 'absent') return down('info', `container ${name} does not exist`, {provisioned: false})
    if (found.kind === 'foreign') return {status: 'warn', label, log: [{level: 'warn', message: found.reason}]}
    const seen = found.info
    let inspected = seen.inspect
    let state = seen.inspect ? inspectedState(seen.inspect) : seen.row && listedState(seen.row, ctx.resource.kw.image)
    if (!state) {
      // the list cannot tell (another image name, an exit code to date, a dead container's error): inspect it
      let info: ContainerInspect | undefined
      try {
        info = await limited(ctx.cache, 'docker:status-inspects', INSPECTS_AT_ONCE, () =>
          httpInspect(ctx, engine, seen.Id, STATUS_CALL_TIMEOUT_MS),
        )
      } catch (error) {
        return failed(error)
      }
      // removed since the list: the name is free again
      if (!info) return down('info', `container ${name} does not exist`, {provisioned: false})
      inspected = info
      state = inspectedState(info)
    }
    const log: StatusLogEntry[] = []
    const image = ctx.resource.kw.image
    // drift: the fingerprint label against the config (./fingerprint.ts); without one, the image compared live
    const drift = statusDrift(ctx, seen)
    if (drift === undefined && state.image !== image)
      log.push({
        level: 'info',
        message: `the container runs image ${state.image}, the configuration says ${image}: with rm = true a restart recreates it`,
      })
    if (drift === undefined)
      log.push({level: 'info', message: 'no fingerprint (made before svcmgr recorded one): drift not checked'})
    else if (drift.length > 0) log.push({level: 'warn', message: `drift: ${drift.join(', ')} (start recreates it)`})
    const driftField = drift ? {drift} : {}
    if (state.up && state.paused)
      return {
        status: 'warn',
        label,
        log: [...log, {level: 'warn', message: `container ${name} is paused`}],
        provisioned: true,
        ...driftField,
      }
    if (state.up) {
      // readiness for status, from what was read anyway (./readiness.ts): no request more
      if (inspected) rememberRunning(ctx, inspected)
      const readiness = inspected ? healthReadiness(inspected) : seen.row && listedHealth(seen.row)
      return {status: 'up', label, log, provisioned: true, ...driftField, ...(readiness ? {readiness} : {})}
    }
    if (state.restarting)
      log.push({level: 'warn', message: `container ${name} is restarting (last exit code ${state.exitCode})`})
    else if (state.status === 'exited' && state.exitCode !== 0)
      log.push({level: 'warn', message: `container ${name} exited with code ${state.exitCode} at ${state.finishedAt}`})
    else if (state.status === 'dead')
      log.push({level: 'warn', message: `container ${name} is dead${state.error ? `: ${state.error}` : ''}`})
    return {status: 'down', label, log, provisioned: true, ...driftField}
  },

  start(actionCtx): Promise<ChangeResult> {
    const name = containerName(actionCtx.service, actionCtx.resource)
    const recreating = actionCtx.planned?.change === 'recreate'
    // a recreate stops the old container first: its stop_timeout's grace is part of the start
    const bound = startBound(actionCtx.resource.kw) + (recreating ? stopGrace(actionCtx.resource.kw) : 0)
    return bounded(actionCtx, `start ${name}`, bound, async (ctx, deadline) => {
      const engine = await readyEngine(ctx, deadline, `docker start ${name}`)
      const found = await findContainer(ctx, engine)
      if (found.kind === 'foreign') throw new Error(found.reason)
      let info = found.kind === 'ours' ? found.info : undefined
      let image: string | undefined
      let replaced = false
      // the plan decided it (its cause: drift, or the netns owner recreated): the old container goes
      if (info && recreating) {
        ctx.log.info(`recreate container ${name}: ${ctx.planned!.cause}`)
        // the new image before the old container goes: a failed pull leaves the service as it was
        image = (await ensureImage(ctx, engine, deadline)).id
        // stopped as a stop does, with its stop_timeout's grace (a database gets to shut down
        // cleanly), not killed by the removal
        if (isUp(info)) await stopContainer(ctx, engine, info)
        await removeContainer(ctx, engine, info, true)
        replaced = true
        info = undefined
      }
      if (isUp(info)) return 'unchanged'
      const owner = await runningOwner(ctx, engine)
      if (info && owner) {
        // docker pins container:<name> to the owner's id at create: a recreated owner leaves this one unstartable
        const mode = info.HostConfig.NetworkMode ?? ''
        const target = mode.startsWith('container:') ? mode.slice('container:'.length) : undefined
        if (target !== owner.name && target !== owner.info.Id && `/${target}` !== owner.info.Name) {
          ctx.log.info(
            `container ${name} joined the network namespace of ${target ?? mode}, not of ${owner.rid}'s current container: recreate it`,
          )
          await removeContainer(ctx, engine, info, true)
          info = undefined
        }
      }
      let created = false
      let id: string
      if (info) {
        id = info.Id
        ctx.log.info(ctx.formatCommandLine([...engine.cli, 'start', id]))
        await startContainer(ctx, engine, id, `docker start ${name}`)
      } else {
        image ??= (await ensureImage(ctx, engine, deadline)).id
        id = await createContainer(ctx, engine, 'run', image)
        created = true
        const made = id
        try {
          await startContainer(ctx, engine, made, `docker run ${name}`)
        } catch (error) {
          await clientChange(undoContext(ctx, 'unprovision'), engine, (client, o) =>
            client.remove(`docker rm -f ${name}`, made, true, o),
          ).catch(() => undefined)
          throw error
        }
      }
      ctx.log.info(`output:\n${id}`)
      // a rollback removes what it created: a container this one replaced is gone, and says so
      const undoing = replaced ? `stop and remove ${name} (the container it replaced is not restored)` : `stop ${name}`
      ctx.journal.undo(undoing, async () => {
        const u = undoContext(ctx, 'stop')
        const now = await httpInspect(u, engine, id)
        if (isUp(now)) await stopContainer(u, engine, now!)
        if (created && now) await removeContainer(u, engine, now, true)
        await shutdownIdleDaemon(u, engine)
      })
      await waitStarted(ctx, engine, name, id)
      return 'changed'
    })
  },

  stop(actionCtx): Promise<ChangeResult> {
    const name = containerName(actionCtx.service, actionCtx.resource)
    return bounded(actionCtx, `stop ${name}`, stopBound(actionCtx.resource.kw), async ctx => {
      const engine = await serviceEngine(ctx.service, ctx.settings, ctx.cache)
      // one list answers the stops of the whole subset (ownership by the labels it carries) and
      // says whether the engine answers; a private daemon not started holds nothing running
      const found = await findListedForAction(ctx, engine, `docker stop ${name}`)
      if (found === 'not started') return 'unchanged'
      if (found.kind === 'foreign') {
        // not ours: never stopped; a running one under our name is not "stopped" either
        if (listedUp(found.info)) throw new Error(`docker stop ${name}: ${found.reason}`)
        ctx.log.warn(found.reason)
        return 'unchanged'
      }
      const row = found.kind === 'ours' ? found.info : undefined
      let change: ChangeResult = 'unchanged'
      if (row && listedUp(row)) {
        await stopContainer(ctx, engine, row)
        change = 'changed'
      }
      // rm = true: also a container found stopped (exited on its own) goes, so the next start recreates it
      if (row && ctx.resource.kw.rm) {
        await removeContainer(ctx, engine, {Id: row.Id, Name: name})
        change = 'changed'
      }
      if (change === 'changed') {
        // the container was stopped: its undo is owed even when the wait below is interrupted
        ctx.journal.undo(`start ${name}`, async () => {
          await dockerDriver.start(undoContext(ctx, 'start'))
        })
        await waitDown(ctx, engine, row!.Id)
      }
      await shutdownIdleDaemon(ctx, engine)
      return change
    })
  },

  provision(actionCtx): Promise<ChangeResult> {
    const name = containerName(actionCtx.service, actionCtx.resource)
    return bounded(actionCtx, `provision ${name}`, startBound(actionCtx.resource.kw), async (ctx, deadline) => {
      const engine = await readyEngine(ctx, deadline, `docker create ${name}`)
      const found = await findContainer(ctx, engine)
      if (found.kind === 'foreign') throw new Error(found.reason)
      const image = await ensureImage(ctx, engine, deadline)
      if (found.kind === 'ours') return image.pulled ? 'changed' : 'unchanged'
      const id = await createContainer(ctx, engine, 'create', image.id)
      ctx.log.info(`output:\n${id}`)
      ctx.journal.undo(`remove ${name}`, async () => {
        await removeContainer(undoContext(ctx, 'unprovision'), engine, {Id: id, Name: name}, true)
      })
      return 'changed'
    })
  },

  unprovision(actionCtx): Promise<ChangeResult> {
    const name = containerName(actionCtx.service, actionCtx.resource)
    return bounded(actionCtx, `unprovision ${name}`, stopBound(actionCtx.resource.kw), async (ctx, deadline) => {
      const engine = await serviceEngine(ctx.service, ctx.settings, ctx.cache)
      const doing = `docker rm ${name}`
      if (engine.daemon && (await answeringEngine(ctx, engine, doing, ACTION_PING_TIMEOUT_MS)) === 'not started') {
        // a private engine never started holds nothing; one that is down still holds the container:
        // start it to remove the container, then it stops again when idle
        if (!existsSync(engine.daemon.dataRoot)) return 'unchanged'
        await ensureDaemon(ctx, engine, engine.daemon, deadline)
      }
      if ((await answeringEngine(ctx, engine, doing, ACTION_PING_TIMEOUT_MS)) !== 'answering')
        throw new Error(`${doing}: ${engine.daemon?.title ?? 'the docker daemon'} is not running (${engine.address})`)
      const found = await findListed(ctx, engine)
      // not ours: never stopped nor removed, and the name stays taken: unprovision is not done
      if (found.kind === 'foreign') throw new Error(`${doing}: ${found.reason}`)
      let change: ChangeResult = 'unchanged'
      if (found.kind === 'ours') {
        if (listedUp(found.info)) await stopContainer(ctx, engine, found.info)
        await removeContainer(ctx, engine, {Id: found.info.Id, Name: name}, true)
        change = 'changed'
      }
      await shutdownIdleDaemon(ctx, engine)
      return change
    })
  },

  capabilities: {
    async netns(ctx, options = {}): Promise<NetnsInfo | undefined> {
      const engine = await serviceEngine(ctx.service, ctx.settings, ctx.cache)
      // a read-only pass asks once per container (every ip.netns in its namespace asks the same)
      return options.snapshot
        ? commandAnswer(ctx.cache, engine.address, `netns:${containerName(ctx.service, ctx.resource)}`, () =>
            snapshotNetns(ctx, engine),
          )
        : containerNetns(ctx, engine)
    },
    // readiness_probe, readiness_timeout, readiness_interval: see ./readiness.ts
    readiness: dockerReadiness,
    // the node agent's: the engine's die/oom/destroy events of this container, at once (../engine/events.ts)
    async watch(ctx, onChange, signal): Promise<void> {
      const engine = await serviceEngine(ctx.service, ctx.settings, ctx.cache)
      const rid = ctx.resource.rid
      subscribeEngineEvents(
        engine.address,
        {
          service: ctx.service.name,
          rid,
          id: ctx.service.id,
          onEvent: e => onChange({rid, event: e.event, message: e.message}),
          onTrouble: message => ctx.log.warn(message),
        },
        signal,
      )
    },
  },
}
