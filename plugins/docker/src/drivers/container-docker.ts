/**
 * container.docker: a Docker container per resource, named "<svc>.container.<index>",
 * labelled with the service and rid, optionally sharing another container's network
 * namespace (netns = container#N), in the shared engine or the service's private dockerd.
 */
import {existsSync} from 'node:fs'
import type Dockerode from 'dockerode'
import type {ActionContext, ChangeResult, Dependency, Driver, DriverContext, NetnsInfo, Resource, ResourceStatus, ServiceView, StatusLogEntry, StepAction} from 'svcmgr'
import {dockerClient, type Engine, engineInfo, engineMessage, engineReader, serviceEngine, statusCode} from '../engine/client.js'
import {pingAddress} from '../engine/address.js'
import {daemonPid, type DaemonSpec, dataDirFilesystem, dockerdArgs, privateDaemonConfig, serviceDaemonSpec, startDaemon, stopDaemon} from '../engine/daemon.js'
import {imagePresent, pullImage} from '../engine/images.js'
import {commandLine} from '../util/words.js'
import {DOCKER_KEYWORDS, type DockerKeywords} from './container-docker.keywords.js'
import {cliArgs, containerName, containerSpec, createOptions, netnsOwner, ownerName} from './spec.js'

type Ctx = DriverContext<DockerKeywords>
type ACtx = ActionContext<DockerKeywords>
type Res = Resource<DockerKeywords>
type Inspect = Dockerode.ContainerInspectInfo

const PULL_TIMEOUT_FLOOR = 5 * 60_000
const DAEMON_STOP_TIMEOUT = 30_000
const OPERATIONAL_MS = 300

// ---------------------------------------------------------------------------------------
// engine access

/** A ping memoized for 2 s per command, so status of many resources on a dead tcp engine stays fast. */
async function engineAnswers(ctx: Ctx, engine: Engine, timeoutMs = 1500): Promise<boolean> {
  const key = `docker:ping:${engine.address}`
  const hit = ctx.cache.get(key) as {at: number; ok: Promise<boolean>} | undefined
  if (hit && Date.now() - hit.at < 2000) return hit.ok
  const ok = pingAddress(engine.address, timeoutMs)
  ctx.cache.set(key, {at: Date.now(), ok})
  return ok
}

function forgetPing(ctx: Ctx, engine: Engine): void {
  ctx.cache.delete(`docker:ping:${engine.address}`)
}

async function inspectContainer(docker: Dockerode, name: string): Promise<Inspect | undefined> {
  try {
    return await docker.getContainer(name).inspect()
  } catch (error) {
    if (statusCode(error) === 404) return undefined
    throw new Error(`docker inspect ${name}: ${engineMessage(error)}`)
  }
}

const isUp = (i: Inspect | undefined) => i !== undefined && i.State.Running && !i.State.Restarting

/** The engine of ctx's service, ready: the private daemon started when needed, the engine answering. */
async function readyEngine(ctx: ACtx): Promise<{engine: Engine; docker: Dockerode}> {
  const engine = await serviceEngine(ctx.service, ctx.settings, ctx.cache)
  if (engine.daemon) await ensureDaemon(ctx, engine, engine.daemon)
  if (!(await engineAnswers(ctx, engine, 2000))) throw new Error(`docker daemon is not running (${engine.address})`)
  return {engine, docker: await dockerClient(engine.address, ctx.cache)}
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
  const holder = dataDirFilesystem(ctx.service.resources, dataDir)
  const peer = holder ? ctx.peer(holder.rid) : undefined
  if (!holder || !peer) return
  const st = await peer.driver.status(peer.context)
  if (st.status === 'up' || st.status === 'stdby up') return
  const label = st.label ?? peer.driver.label(holder, ctx.service)
  throw new Error(`docker_data_dir ${dataDir} is on ${holder.rid} (${label}), which is ${st.status}: the docker daemon is not started on its bare mount point (start ${holder.rid} first)`)
}

/** Starts the service's private dockerd once per command, however many containers start in parallel. */
async function ensureDaemon(ctx: ACtx, engine: Engine, spec: DaemonSpec): Promise<void> {
  let p = ctx.cache.get(startKey(spec)) as Promise<'started' | 'running'> | undefined
  let mine = false
  if (!p) {
    mine = true
    ctx.cache.delete(stopKey(spec))
    p = (async () => {
      if (!(await engineAnswers(ctx, engine))) await checkDataDirMounted(ctx)
      return startDaemon(spec, {
        timeoutMs: Math.max(ctx.resource.kw.start_timeout, 30_000),
        onSpawn: line => {
          ctx.log.info('starting docker daemon')
          ctx.log.info(commandLine(line))
        },
      })
    })()
    ctx.cache.set(startKey(spec), p)
    p.catch(() => ctx.cache.delete(startKey(spec)))
  }
  const r = await p
  forgetPing(ctx, engine)
  if (mine && r === 'started') {
    ctx.journal.undo(`stop the docker daemon of ${ctx.service.name}`, async () => {
      await stopDaemon(spec, {timeoutMs: DAEMON_STOP_TIMEOUT})
      ctx.cache.delete(startKey(spec))
      forgetPing(ctx, engine)
    })
  }
}

/** After a stop: shut the private daemon down when no container runs in it any more. */
async function shutdownIdleDaemon(ctx: ACtx, engine: Engine, docker: Dockerode): Promise<void> {
  const spec = engine.daemon
  if (!spec) return
  const running = await docker.listContainers({filters: {status: ['running', 'restarting']}})
  if (running.length > 0) return
  let p = ctx.cache.get(stopKey(spec)) as Promise<unknown> | undefined
  if (!p) {
    ctx.log.info('no more container handled by docker daemon. shut it down')
    p = stopDaemon(spec, {timeoutMs: DAEMON_STOP_TIMEOUT})
    ctx.cache.set(stopKey(spec), p)
    ctx.cache.delete(startKey(spec))
    p.catch(() => ctx.cache.delete(stopKey(spec)))
  }
  await p
  forgetPing(ctx, engine)
}

// ---------------------------------------------------------------------------------------
// container operations

/** The last lines a container printed (its json-file log), demultiplexed. */
async function lastLogLines(docker: Dockerode, id: string, tty: boolean, lines = 8): Promise<string[]> {
  try {
    const raw = (await docker.getContainer(id).logs({stdout: true, stderr: true, tail: lines, follow: false})) as unknown as Buffer
    let text = ''
    if (tty) text = raw.toString('utf8')
    else {
      for (let off = 0; off + 8 <= raw.length; ) {
        const size = raw.readUInt32BE(off + 4)
        text += raw.subarray(off + 8, off + 8 + size).toString('utf8')
        off += 8 + size
      }
    }
    return text.split('\n').map(l => l.trimEnd()).filter(Boolean).slice(-lines)
  } catch {
    return []
  }
}

async function exitedError(docker: Dockerode, name: string, info: Inspect): Promise<Error> {
  const s = info.State
  const why = s.OOMKilled ? 'was killed for lack of memory' : `exited with code ${s.ExitCode}`
  const lines = await lastLogLines(docker, info.Id, info.Config.Tty)
  const err = s.Error ? ` (${s.Error})` : ''
  return new Error(`container ${name} ${why} right after start${err}${lines.length ? `; its last output:\n  ${lines.join('\n  ')}` : '; it printed nothing'}`)
}

function ensureImageTimeout(kw: DockerKeywords): number {
  return Math.max(kw.start_timeout, PULL_TIMEOUT_FLOOR)
}

/** Pulls the image when the policy asks for it. Returns true when it pulled. */
async function ensureImage(ctx: ACtx, docker: Dockerode): Promise<boolean> {
  const {image, image_pull_policy: policy} = ctx.resource.kw
  if (policy === 'once' && (await imagePresent(docker, image))) return false
  ctx.log.info(`pulling docker image ${image}`)
  await pullImage(docker, image, {
    timeoutMs: ensureImageTimeout(ctx.resource.kw),
    progress: line => ctx.log.info(line),
    progressEveryMs: 5000,
    signal: ctx.signal,
  })
  return true
}

/** The netns owner's container, which must run for this one to start. */
async function runningOwner(ctx: Ctx, docker: Dockerode): Promise<{rid: string; name: string; info: Inspect} | undefined> {
  const rid = netnsOwner(ctx.resource)
  if (!rid) return undefined
  const name = ownerName(ctx.service, rid)
  const info = await inspectContainer(docker, name)
  if (!isUp(info)) throw new Error(`${ctx.resource.rid}: its netns owner ${rid} (container ${name}) is ${info ? 'not running' : 'missing'}: start ${rid} first`)
  return {rid, name, info: info!}
}

async function createContainer(ctx: ACtx, engine: Engine, docker: Dockerode, verb: 'run' | 'create'): Promise<Dockerode.Container> {
  const info = await engineInfo(engine.address, ctx.cache)
  const spec = containerSpec(ctx.resource, ctx.service, info.CgroupDriver)
  ctx.log.info(commandLine([...engine.cli, ...cliArgs(spec, verb)]))
  try {
    return await docker.createContainer(createOptions(spec))
  } catch (error) {
    throw new Error(`docker ${verb} ${spec.name}: ${engineMessage(error)}`)
  }
}

async function stopContainer(ctx: ACtx, engine: Engine, docker: Dockerode, info: Inspect): Promise<void> {
  ctx.log.info(commandLine([...engine.cli, 'stop', info.Id]))
  try {
    await docker.getContainer(info.Id).stop({t: Math.ceil(ctx.resource.kw.stop_timeout / 1000)})
  } catch (error) {
    // 304: it stopped on its own meanwhile
    if (statusCode(error) !== 304) throw new Error(`docker stop ${containerName(ctx.service, ctx.resource)}: ${engineMessage(error)}`)
  }
  ctx.log.info(`output:\n${info.Id}`)
}

async function removeContainer(ctx: ACtx, engine: Engine, docker: Dockerode, name: string, force = false): Promise<void> {
  ctx.log.info(commandLine([...engine.cli, 'rm', ...(force ? ['-f'] : []), name]))
  try {
    await docker.getContainer(name).remove({force})
  } catch (error) {
    if (statusCode(error) !== 404) throw new Error(`docker rm ${name}: ${engineMessage(error)}`)
  }
}

async function waitDown(ctx: ACtx, docker: Dockerode, name: string): Promise<void> {
  await ctx.waitFor('down status', async () => !isUp(await inspectContainer(docker, name)), {timeoutMs: 10_000, intervalMs: 100})
}

async function waitOperational(ctx: ACtx, docker: Dockerode, name: string): Promise<void> {
  let startedAt = ''
  let upSince = 0
  const check = async (): Promise<Inspect> => {
    const i = await inspectContainer(docker, name)
    if (!i) throw new Error(`container ${name} disappeared right after start`)
    if (!i.State.Running && !i.State.Restarting && (i.State.Status === 'exited' || i.State.Status === 'dead')) throw await exitedError(docker, name, i)
    return i
  }
  await ctx.waitFor(
    'up status',
    async () => {
      const i = await check()
      if (!isUp(i)) return false
      startedAt = i.State.StartedAt
      upSince = Date.now()
      return true
    },
    {timeoutMs: ctx.resource.kw.start_timeout, intervalMs: 100},
  )
  await ctx.waitFor(
    'container operational',
    async () => {
      const i = await check()
      if (!isUp(i) || i.State.StartedAt !== startedAt) throw new Error(`container ${name} restarted right after start (exit code ${i.State.ExitCode})`)
      return Date.now() - upSince >= OPERATIONAL_MS
    },
    {timeoutMs: Math.max(ctx.resource.kw.start_timeout, OPERATIONAL_MS * 10), intervalMs: 100},
  )
}

/** A context for an undo step: its own changes are not journaled again. */
function undoContext(ctx: ACtx, action: StepAction): ACtx {
  return {...ctx, action, journal: {undo: () => undefined}}
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
  return spec ? [`start the service's docker daemon when it is not running: ${commandLine(['dockerd', ...dockerdArgs(spec)])}`] : []
}

function describeCreate(res: Res, svc: ServiceView, verb: 'run' | 'create'): string[] {
  const cli = describeCli(svc)
  const kw = res.kw
  const spec = containerSpec(res, svc, 'cgroupfs')
  const pull = kw.image_pull_policy === 'always' ? `${commandLine([...cli, 'pull', kw.image])}  (image_pull_policy always)` : `${commandLine([...cli, 'pull', kw.image])}  (when the image is absent)`
  return [pull, `${commandLine([...cli, ...cliArgs(spec, verb)])}  (when the container does not exist; --cgroup-parent on cgroupfs engines only)`]
}

function describeStop(res: Res, svc: ServiceView): string[] {
  const cli = describeCli(svc)
  const name = containerName(svc, res)
  const lines = [`${commandLine([...cli, 'stop', '-t', String(Math.ceil(res.kw.stop_timeout / 1000)), name])}  (when it runs)`]
  if (res.kw.rm) lines.push(commandLine([...cli, 'rm', name]))
  lines.push('wait for down status')
  if (serviceDaemonSpec(svc)) lines.push("stop the service's docker daemon when no container runs in it any more")
  return lines
}

// ---------------------------------------------------------------------------------------
// the driver

export const dockerDriver: Driver<DockerKeywords> = {
  group: 'container',
  type: 'docker',
  description: 'A Docker container, optionally sharing the network namespace of another container of the service, in the shared engine or a private per-service dockerd.',
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
        problems.push(`${res.rid}.netns: expected a docker container resource of this service, got ${JSON.stringify(netns)} (a ${peer.type} container)`)
      } else {
        // netns chains must end: container#1 -> container#2 -> container#1 can never start
        const seen = [res.rid]
        let cur: Resource | undefined = peer
        while (cur && cur.type === 'docker') {
          if (seen.includes(cur.rid)) {
            problems.push(`${res.rid}.netns: the network namespace owners form a cycle (${[...seen, cur.rid].join(' -> ')})`)
            break
          }
          seen.push(cur.rid)
          const next = netnsOwner(cur as unknown as Res)
          cur = next ? svc.resource(next) : undefined
        }
      }
      if (res.kw.hostname !== undefined) problems.push(`${res.rid}.hostname: not allowed with netns = ${netns} (the container takes ${netns}'s hostname with its network namespace)`)
    }
    return problems
  },

  dependencies(res): Dependency[] {
    const owner = netnsOwner(res)
    return owner ? [{before: owner, after: res.rid, reason: 'netns owner'}] : []
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
          ...(netnsOwner(res) ? [`check that the netns owner ${netnsOwner(res)} (container ${ownerName(svc, netnsOwner(res)!)}) runs`] : []),
          `${commandLine([...cli, 'start', name])}  (when the container exists and is stopped)`,
          ...describeCreate(res, svc, 'run'),
          `wait for up status (at most ${secs(res.kw.start_timeout)}), then for container operational (running ${OPERATIONAL_MS} ms without restarting)`,
        ]
      case 'stop':
        return describeStop(res, svc)
      case 'provision':
        return [...describeDaemonStart(svc), ...describeCreate(res, svc, 'create')]
      case 'unprovision':
        return [
          ...describeDaemonStart(svc),
          `${commandLine([...cli, 'stop', '-t', String(Math.ceil(res.kw.stop_timeout / 1000)), name])}  (when it runs)`,
          `${commandLine([...cli, 'rm', name])}  (the image is kept)`,
          ...(serviceDaemonSpec(svc) ? ["stop the service's docker daemon when no container runs in it any more"] : []),
        ]
      default:
        return []
    }
  },

  async status(ctx): Promise<ResourceStatus> {
    const label = dockerDriver.label(ctx.resource, ctx.service)
    const name = containerName(ctx.service, ctx.resource)
    const down = (level: StatusLogEntry['level'], message: string, extra: Partial<ResourceStatus> = {}): ResourceStatus => ({status: 'down', label, log: [{level, message}], ...extra})
    let engine: Engine
    try {
      engine = await serviceEngine(ctx.service, ctx.settings, ctx.cache)
    } catch (error) {
      return down('warn', (error as Error).message)
    }
    if (!(await engineAnswers(ctx, engine))) return down('warn', 'docker daemon is not running')
    let info: Inspect | undefined
    try {
      info = await (await engineReader(engine.address, ctx.cache)).get<Inspect>(`/containers/${encodeURIComponent(name)}/json`)
    } catch (error) {
      return down('warn', `docker inspect ${name}: ${engineMessage(error)}`)
    }
    if (!info) return down('info', `container ${name} does not exist`, {provisioned: false})
    const log: StatusLogEntry[] = []
    const image = ctx.resource.kw.image
    if (info.Config.Image !== image)
      log.push({level: 'info', message: `the container runs image ${info.Config.Image}, the configuration says ${image}: with rm = true a restart recreates it`})
    const s = info.State
    if (isUp(info) && s.Paused) return {status: 'warn', label, log: [...log, {level: 'warn', message: `container ${name} is paused`}], provisioned: true}
    if (isUp(info)) return {status: 'up', label, log, provisioned: true}
    if (s.Restarting) log.push({level: 'warn', message: `container ${name} is restarting (last exit code ${s.ExitCode})`})
    else if (s.Status === 'exited' && s.ExitCode !== 0) log.push({level: 'warn', message: `container ${name} exited with code ${s.ExitCode} at ${s.FinishedAt}`})
    else if (s.Status === 'dead') log.push({level: 'warn', message: `container ${name} is dead${s.Error ? `: ${s.Error}` : ''}`})
    return {status: 'down', label, log, provisioned: true}
  },

  async start(ctx): Promise<ChangeResult> {
    const {engine, docker} = await readyEngine(ctx)
    const name = containerName(ctx.service, ctx.resource)
    let info = await inspectContainer(docker, name)
    if (isUp(info)) return 'unchanged'
    const owner = await runningOwner(ctx, docker)
    if (info && owner) {
      // docker pins container:<name> to the owner's id at create: a recreated owner leaves this one unstartable
      const mode = info.HostConfig.NetworkMode ?? ''
      const target = mode.startsWith('container:') ? mode.slice('container:'.length) : undefined
      if (target !== owner.name && target !== owner.info.Id && `/${target}` !== owner.info.Name) {
        ctx.log.info(`container ${name} joined the network namespace of ${target ?? mode}, not of ${owner.rid}'s current container: recreate it`)
        await removeContainer(ctx, engine, docker, name, true)
        info = undefined
      }
    }
    let created = false
    let id: string
    if (info) {
      id = info.Id
      ctx.log.info(commandLine([...engine.cli, 'start', id]))
      try {
        await docker.getContainer(id).start()
      } catch (error) {
        if (statusCode(error) !== 304) throw new Error(`docker start ${name}: ${engineMessage(error)}`)
      }
    } else {
      await ensureImage(ctx, docker)
      const c = await createContainer(ctx, engine, docker, 'run')
      created = true
      id = c.id
      try {
        await c.start()
      } catch (error) {
        await c.remove({force: true}).catch(() => undefined)
        throw new Error(`docker run ${name}: ${engineMessage(error)}`)
      }
    }
    ctx.log.info(`output:\n${id}`)
    ctx.journal.undo(`stop ${name}`, async () => {
      const u = undoContext(ctx, 'stop')
      const now = await inspectContainer(docker, name)
      if (isUp(now)) await stopContainer(u, engine, docker, now!)
      if (created && now) await removeContainer(u, engine, docker, name, true)
      await shutdownIdleDaemon(u, engine, docker)
    })
    await waitOperational(ctx, docker, name)
    return 'changed'
  },

  async stop(ctx): Promise<ChangeResult> {
    const engine = await serviceEngine(ctx.service, ctx.settings, ctx.cache)
    if (!(await engineAnswers(ctx, engine, 2000))) {
      // nothing can run in an engine that is down; a private one is simply not started
      if (!engine.daemon) ctx.log.warn(`docker daemon is not running (${engine.address}): nothing to stop`)
      return 'unchanged'
    }
    const docker = await dockerClient(engine.address, ctx.cache)
    const name = containerName(ctx.service, ctx.resource)
    const info = await inspectContainer(docker, name)
    let change: ChangeResult = 'unchanged'
    if (info && isUp(info)) {
      await stopContainer(ctx, engine, docker, info)
      change = 'changed'
    }
    // rm = true: also a container found stopped (exited on its own) goes, so the next start recreates it
    if (info && ctx.resource.kw.rm) {
      await removeContainer(ctx, engine, docker, name)
      change = 'changed'
    }
    if (change === 'changed') {
      await waitDown(ctx, docker, name)
      ctx.journal.undo(`start ${name}`, async () => {
        await dockerDriver.start(undoContext(ctx, 'start'))
      })
    }
    await shutdownIdleDaemon(ctx, engine, docker)
    return change
  },

  async provision(ctx): Promise<ChangeResult> {
    const {engine, docker} = await readyEngine(ctx)
    const name = containerName(ctx.service, ctx.resource)
    const pulled = await ensureImage(ctx, docker)
    if (await inspectContainer(docker, name)) return pulled ? 'changed' : 'unchanged'
    const c = await createContainer(ctx, engine, docker, 'create')
    ctx.log.info(`output:\n${c.id}`)
    ctx.journal.undo(`remove ${name}`, async () => {
      await removeContainer(undoContext(ctx, 'unprovision'), engine, docker, name, true)
    })
    return 'changed'
  },

  async unprovision(ctx): Promise<ChangeResult> {
    const engine = await serviceEngine(ctx.service, ctx.settings, ctx.cache)
    if (engine.daemon && (await daemonPid(engine.daemon)) === undefined && !(await engineAnswers(ctx, engine))) {
      // a private engine never started holds nothing; one that is down still holds the container:
      // start it to remove the container, then it stops again when idle
      if (!existsSync(engine.daemon.dataRoot)) return 'unchanged'
      await ensureDaemon(ctx, engine, engine.daemon)
    }
    if (!(await engineAnswers(ctx, engine, 2000))) throw new Error(`docker daemon is not running (${engine.address})`)
    const docker = await dockerClient(engine.address, ctx.cache)
    const name = containerName(ctx.service, ctx.resource)
    const info = await inspectContainer(docker, name)
    let change: ChangeResult = 'unchanged'
    if (info) {
      if (isUp(info)) await stopContainer(ctx, engine, docker, info)
      await removeContainer(ctx, engine, docker, name, true)
      change = 'changed'
    }
    await shutdownIdleDaemon(ctx, engine, docker)
    return change
  },

  capabilities: {
    async netns(ctx): Promise<NetnsInfo | undefined> {
      const engine = await serviceEngine(ctx.service, ctx.settings, ctx.cache)
      if (!(await engineAnswers(ctx, engine))) return undefined
      const info = await inspectContainer(await dockerClient(engine.address, ctx.cache), containerName(ctx.service, ctx.resource))
      if (!isUp(info) || !info!.State.Pid) return undefined
      return {pid: info!.State.Pid, path: `/proc/${info!.State.Pid}/ns/net`}
    },
  },
}
