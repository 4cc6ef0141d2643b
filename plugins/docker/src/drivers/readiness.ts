/**
 * container.docker readiness (the driver API's ReadinessCapability): tcp and http probes in the
 * container's network namespace (through the kit's runners: the namespace's listening sockets
 * read from /proc/PID/net, then a connect with nsenter), exec inside the container (the engine's
 * exec API), and health: the engine's own HEALTHCHECK status, the default when the image or the
 * container config defines a HEALTHCHECK.
 */
import type {
  DriverContext,
  ProbeOptions,
  ProbeResult,
  ReadinessCapability,
  ReadinessProbe,
  ResourceStatus,
} from 'svcmgr'
import type Dockerode from 'dockerode'
import {secs} from '../engine/address.js'
import {engineCall} from '../engine/calls.js'
import {dockerClient, serviceEngine} from '../engine/client.js'
import {engineClient} from '../engine/containers.js'
import {type ContainerInspect, demultiplex} from '../engine/http.js'
import type {DockerKeywords} from './container-docker.keywords.js'
import {reapExec} from './exec-leftover.js'
import {containerName} from './spec.js'

type Ctx = DriverContext<DockerKeywords>
type Inspect = ContainerInspect

/** What a container's inspect says of its engine health, for status (no extra request): undefined when it has no HEALTHCHECK. */
export function healthReadiness(info: Inspect): ResourceStatus['readiness'] {
  const h = info.State.Health
  if (!h || !hasHealthcheck(info)) return undefined
  return h.Status === 'healthy' ? {ready: true, detail: 'healthy'} : {ready: false, detail: healthDetail(info)}
}

/** The same from a list row: its Status ends "(healthy)", "(health: starting)" or "(unhealthy)" when the container has a HEALTHCHECK. */
export function listedHealth(row: {Status?: string}): ResourceStatus['readiness'] {
  const m = /\((healthy|unhealthy|health: starting)\)$/.exec(row.Status ?? '')
  if (!m) return undefined
  return m[1] === 'healthy' ? {ready: true, detail: 'healthy'} : {ready: false, detail: m[1].replace('health: ', '')}
}

function hasHealthcheck(info: Inspect): boolean {
  const test = info.Config.Healthcheck?.Test
  return Array.isArray(test) && test.length > 0 && test[0] !== 'NONE'
}

function healthDetail(info: Inspect): string {
  const h = info.State.Health
  if (!h) return 'no health status yet'
  const last = h.Log?.[h.Log.length - 1]
  const out = last?.Output?.trim().split('\n').pop()
  return `${h.Status}${last ? ` (last check exit code ${last.ExitCode}${out ? `: ${out}` : ''})` : ''}`
}

/** The container's inspect by name over node:http (no dockerode: the default probe runs after every start); info undefined when it does not exist. */
async function inspect(ctx: Ctx, options: ProbeOptions): Promise<{info?: Inspect}> {
  const engine = await serviceEngine(ctx.service, ctx.settings, ctx.cache)
  const name = containerName(ctx.service, ctx.resource)
  const info = await engineClient(engine.address, ctx.cache).inspect(`docker inspect ${name}`, name, {
    timeoutMs: options.timeoutMs,
    signal: options.signal,
  })
  return {info}
}

/** Runs argv inside the container (no shell: the words as given); exit 0 is ready. The exec stream is dockerode's, loaded here. */
async function execInside(ctx: Ctx, id: string, argv: readonly string[], options: ProbeOptions): Promise<ProbeResult> {
  const engine = await serviceEngine(ctx.service, ctx.settings, ctx.cache)
  const c = (await dockerClient(engine.address, ctx.cache)).getContainer(id)
  const what = `docker exec ${containerName(ctx.service, ctx.resource)} ${ctx.formatCommandLine(argv)}`
  // the exec whose command is running: a probe that gives up on it kills it (./exec-leftover.ts)
  let running: Dockerode.Exec | undefined
  return engineCall(what, engine.address, {timeoutMs: options.timeoutMs, signal: options.signal}, async abortSignal => {
    const exec = await c.exec({Cmd: [...argv], AttachStdout: true, AttachStderr: true, abortSignal})
    const stream = (await exec.start({hijack: true, stdin: false, abortSignal})) as NodeJS.ReadableStream
    running = exec
    const chunks: Buffer[] = []
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (b: Buffer) => chunks.push(b))
      stream.once('end', () => resolve())
      stream.once('close', () => resolve())
      stream.once('error', reject)
      abortSignal.addEventListener('abort', () => reject(new Error('aborted')), {once: true})
    })
    running = undefined
    const r = await exec.inspect({abortSignal})
    const out = demultiplex(Buffer.concat(chunks)).trim().split('\n').pop() ?? ''
    const code = r.ExitCode ?? -1
    return {ready: code === 0, detail: `exit code ${code}${out ? `: ${out}` : ''}`}
  }).catch(async (error: Error) => {
    if (!running) return {ready: false, detail: error.message}
    // the engine answered; the command itself did not end in time (not "the daemon is not answering")
    const interrupted = options.signal?.aborted === true
    const fate = await reapExec(running, argv, engine.address)
    return {
      ready: false,
      detail: `${interrupted ? 'interrupted' : `no exit within ${secs(options.timeoutMs)}`}: the command ${fate}`,
    }
  })
}

/** What a probe needs of a running container, remembered for the command (ctx.cache) once an inspect said it runs. */
interface Running {
  readonly id: string
  readonly pid: number
  readonly pidStart?: string
  readonly hostNetwork: boolean
  /** Its config defines a HEALTHCHECK (the image's or its own): fixed when the container was created. */
  readonly healthcheck?: boolean
}

const runningKey = (rid: string) => `docker:readiness:running:${rid}`

/**
 * Remembers a container an inspect found running (status, a probe): the next probes of this
 * command check its pid (alive, same start time: not reused) instead of asking the engine
 * again; a pid gone sends them back to the engine, which says why.
 */
export function rememberRunning(ctx: Ctx, info: Inspect): void {
  if (!info.State.Running || !info.State.Pid) return
  ctx.cache.set(runningKey(ctx.resource.rid), {
    id: info.Id,
    pid: info.State.Pid,
    pidStart: ctx.host.processStartTime(info.State.Pid),
    hostNetwork: info.HostConfig.NetworkMode === 'host',
    healthcheck: hasHealthcheck(info),
  } satisfies Running)
}

const netnsWords = (kw: DockerKeywords) =>
  kw.netns === 'host' ? "the host's network namespace" : "the container's network namespace"

export const dockerReadiness: ReadinessCapability<DockerKeywords> = {
  kinds: ['tcp', 'http', 'exec', 'health'],
  defaultHelp: 'health when the image or the container defines a HEALTHCHECK (the engine says healthy), else started',

  describe(probe, res) {
    switch (probe.kind) {
      case 'tcp':
        return `connect to ${probe.host ? `${probe.host}:${probe.port}` : `port ${probe.port} (where it listens)`} in ${netnsWords(res.kw)}`
      case 'http':
        return `GET ${probe.path} on ${probe.host ? `${probe.host}:${probe.port}` : `port ${probe.port} (where it listens)`} in ${netnsWords(res.kw)} answers 2xx/3xx`
      case 'exec':
        return `${probe.text.slice(5).trim()} exits 0 inside the container (docker exec)`
      case 'health':
        return 'the engine says healthy (the HEALTHCHECK)'
      default:
        return probe.text
    }
  },

  async defaultProbe(ctx): Promise<ReadinessProbe | undefined> {
    // the start's last state check remembered the run it saw (waitStarted): whether that
    // container has a HEALTHCHECK is its config's, which never changes; no second inspect
    const known = ctx.cache.get(runningKey(ctx.resource.rid)) as Running | undefined
    if (known?.healthcheck !== undefined) return known.healthcheck ? {kind: 'health', text: 'health'} : undefined
    const {info} = await inspect(ctx, {timeoutMs: 15_000, signal: ctx.signal})
    if (info) rememberRunning(ctx, info)
    return info && hasHealthcheck(info) ? {kind: 'health', text: 'health'} : undefined
  },

  async probe(ctx, probe, options): Promise<ProbeResult> {
    const name = containerName(ctx.service, ctx.resource)
    // a container known to run (its pid alive, not reused) needs no inspect, but for its health
    let known = ctx.cache.get(runningKey(ctx.resource.rid)) as Running | undefined
    let info: Inspect | undefined
    if (probe.kind === 'health' || !known || !ctx.host.pidAlive(known.pid, known.pidStart)) {
      ctx.cache.delete(runningKey(ctx.resource.rid))
      info = (await inspect(ctx, options)).info
      if (!info) return {ready: false, detail: `container ${name} does not exist`, final: true}
      const s = info.State
      if (!s.Running) {
        const why = s.Restarting ? `is restarting (last exit code ${s.ExitCode})` : `exited with code ${s.ExitCode}`
        return {ready: false, detail: `container ${name} ${why}`, ...(s.Restarting ? {} : {final: true})}
      }
      rememberRunning(ctx, info)
      known = {id: info.Id, pid: s.Pid, hostNetwork: info.HostConfig.NetworkMode === 'host'}
    }
    const netns = known.hostNetwork ? {} : {netns: `/proc/${known.pid}/ns/net`, listenPid: known.pid}
    switch (probe.kind) {
      case 'tcp':
        return ctx.probes.tcp({host: probe.host, port: probe.port, ...netns}, options)
      case 'http':
        return ctx.probes.http({host: probe.host, port: probe.port, path: probe.path, ...netns}, options)
      case 'exec':
        return execInside(ctx, known.id, probe.argv, options)
      case 'health':
        if (!info || !hasHealthcheck(info))
          return {ready: false, detail: `container ${name} has no HEALTHCHECK (its image defines none)`, final: true}
        return info.State.Health?.Status === 'healthy'
          ? {ready: true, detail: 'healthy'}
          : {ready: false, detail: healthDetail(info)}
      default:
        return {ready: true}
    }
  },
}
