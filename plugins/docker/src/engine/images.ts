/**
 * Image presence (node:http) and pulls (dockerode's stream, loaded by the caller only when a
 * pull is due) with throttled progress and a hard timeout.
 */
import type {Readable} from 'node:stream'
import type Dockerode from 'dockerode'
import {CALL_TIMEOUT_MS, type CallOptions, DeadlineError} from './calls.js'
import {engineMessage} from './client.js'
import {unreachableReason} from './address.js'
import {type EngineClient, httpClient} from './http.js'
import {timerDelay} from '../util/timers.js'

/** The engine address a dockerode client talks to, for messages. */
function clientAddress(docker: Dockerode): string {
  const m = docker.modem as unknown as {socketPath?: string; host?: string; port?: number}
  return m.socketPath ? `unix://${m.socketPath}` : `tcp://${m.host}:${m.port}`
}

/**
 * Whether the engine has the image: GET /images/{name}/json over node:http (no dockerode: a
 * start whose images are present loads none), under the call's deadline and signal.
 */
export async function imagePresent(client: EngineClient, image: string, options: CallOptions): Promise<boolean> {
  return (await imageId(client, image, options)) !== undefined
}

/** The id ("sha256:...") of the image the engine has under `image`, or undefined when it has none. */
export async function imageId(client: EngineClient, image: string, options: CallOptions): Promise<string | undefined> {
  const found = await client.get<{Id?: unknown}>(
    `docker image inspect ${image}`,
    `/images/${encodeURIComponent(image)}/json`,
    options,
  )
  if (found === undefined) return undefined
  if (typeof found.Id !== 'string' || !found.Id)
    throw new Error(`docker image inspect ${image}: the engine's answer has no image id`)
  return found.Id
}

interface PullEvent {
  status?: string
  id?: string
  progressDetail?: {current?: number; total?: number}
  error?: string
  errorDetail?: {message?: string}
}

export interface PullOptions {
  readonly timeoutMs: number
  /** Progress lines, no more often than progressEveryMs. */
  readonly progress?: (line: string) => void
  readonly progressEveryMs?: number
  readonly signal?: AbortSignal
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`
}

/**
 * Pulls `image` (tag latest when none) and returns the id it now names. Throws with the
 * registry's message, or on timeout.
 */
export async function pullImage(docker: Dockerode, image: string, options: PullOptions): Promise<string> {
  // one deadline for the whole pull: the engine answers the request itself only once the
  // registry does, so a registry that never answers must time out too
  const deadline = Date.now() + options.timeoutMs
  const timedOut = () => new Error(`docker pull ${image}: timed out after ${options.timeoutMs / 1000}s`)
  let stream: Readable
  let requestTimer: NodeJS.Timeout | undefined
  // the request itself is cancelled on the timeout and on the action's abort, not left hanging
  const interrupted = () =>
    new Error(
      `docker pull ${image}: ${options.signal?.reason instanceof DeadlineError ? options.signal.reason.message : 'interrupted'}`,
    )
  if (options.signal?.aborted) throw interrupted()
  const cancel = new AbortController()
  const onAbort = () => cancel.abort()
  options.signal?.addEventListener('abort', onAbort, {once: true})
  const request = docker.pull(image, {abortSignal: cancel.signal}) as Promise<Readable>
  try {
    stream = await Promise.race([
      request,
      new Promise<never>(
        (_, reject) => (requestTimer = setTimeout(() => reject(timedOut()), timerDelay(options.timeoutMs))),
      ),
      new Promise<never>((_, reject) =>
        cancel.signal.addEventListener('abort', () => reject(options.signal?.aborted ? interrupted() : timedOut()), {
          once: true,
        }),
      ),
    ])
  } catch (error) {
    cancel.abort()
    // a stream that arrives after the timeout is closed at once
    request.then(
      s => s.destroy(),
      () => undefined,
    )
    if (error instanceof Error && error.message.startsWith(`docker pull ${image}:`)) throw error
    const reason = unreachableReason(error, clientAddress(docker))
    throw new Error(`docker pull ${image}: ${reason ?? engineMessage(error)}`, {cause: error})
  } finally {
    clearTimeout(requestTimer)
    options.signal?.removeEventListener('abort', onAbort)
  }
  const every = options.progressEveryMs ?? 5000
  const layers = new Map<string, {status: string; current: number; total: number}>()
  let lastReport = Date.now()
  let lastStatus = ''
  const report = () => {
    if (!options.progress) return
    const all = [...layers.values()]
    const done = all.filter(l => /^(Pull complete|Already exists|Download complete)/.test(l.status)).length
    const current = all.reduce((s, l) => s + l.current, 0)
    const total = all.reduce((s, l) => s + l.total, 0)
    options.progress(
      `pulling docker image ${image}: ${all.length ? `${done}/${all.length} layers` : lastStatus || 'waiting'}${total ? `, ${mb(current)} of ${mb(total)}` : ''}`,
    )
  }
  await new Promise<void>((resolve, reject) => {
    let buf = ''
    let failed: string | undefined
    let finished = false
    const finish = (error?: Error) => {
      if (finished) return
      finished = true
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      if (error) {
        stream.destroy()
        reject(error)
      } else resolve()
    }
    const timer = setTimeout(() => finish(timedOut()), timerDelay(deadline - Date.now()))
    const onAbort = () => finish(interrupted())
    options.signal?.addEventListener('abort', onAbort)
    stream.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8')
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim()
        buf = buf.slice(nl + 1)
        if (!line) continue
        let ev: PullEvent
        try {
          ev = JSON.parse(line) as PullEvent
        } catch {
          continue
        }
        if (ev.error) failed = ev.errorDetail?.message ?? ev.error
        else if (ev.id && ev.status && /^[0-9a-f]{12}$/.test(ev.id)) {
          const prev = layers.get(ev.id) ?? {status: '', current: 0, total: 0}
          const total = ev.progressDetail?.total ?? prev.total
          const current = /complete|exists/i.test(ev.status)
            ? total || prev.current
            : (ev.progressDetail?.current ?? prev.current)
          layers.set(ev.id, {status: ev.status, current, total})
        } else if (ev.status) lastStatus = ev.status
        if (Date.now() - lastReport >= every) {
          lastReport = Date.now()
          report()
        }
      }
    })
    stream.on('error', e => finish(new Error(`docker pull ${image}: ${e.message}`)))
    stream.on('end', () => finish(failed ? new Error(`docker pull ${image}: ${failed}`) : undefined))
    stream.on('close', () => finish(failed ? new Error(`docker pull ${image}: ${failed}`) : undefined))
  })
  const check = {timeoutMs: CALL_TIMEOUT_MS, signal: options.signal}
  const id = await imageId(httpClient(clientAddress(docker)), image, check)
  if (!id) throw new Error(`docker pull ${image}: the engine reported no error, yet the image is not there`)
  return id
}
