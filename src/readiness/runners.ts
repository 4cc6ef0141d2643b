/**
 * The engine-agnostic probe runners of the kit (`ctx.probes`): tcp, http and exec, on the host
 * or in a network namespace. In a namespace (a container's), a port with no host is first looked
 * up among the namespace's listening sockets (/proc/PID/net/tcp and tcp6: a file read, no process
 * spawned while nothing listens); once something listens, the connect (and the HTTP request) runs
 * in the namespace with `nsenter --net=PATH bash -c SCRIPT probe ARGS...`: a fixed script of
 * bash builtins, the probe's values passed as arguments, never through a shell string.
 */
import {readFile} from 'node:fs/promises'
import http from 'node:http'
import net from 'node:net'
import type {ProbeKit, ProbeOptions, ProbeResult, RunOptions, RunResult} from '../drivers/api.js'

type Runner = (file: string, args: readonly string[], options?: RunOptions) => Promise<RunResult>

const TCP_SCRIPT = 'exec 3<>"/dev/tcp/$1/$2"'
const HTTP_SCRIPT = [
  'exec 3<>"/dev/tcp/$1/$2" || exit 3',
  `printf 'GET %s HTTP/1.0\\r\\nHost: %s\\r\\nUser-Agent: svcmgr-readiness\\r\\nConnection: close\\r\\n\\r\\n' "$3" "$4" >&3`,
  'IFS= read -r -t "$5" line <&3 || exit 4',
  `printf '%s\\n' "$line"`,
].join('\n')

const LISTEN = '0A'

/** The local address of a socket listening on `port` in the network namespace of `pid`, or why none. */
export async function listeningAddress(pid: number, port: number): Promise<{address: string} | {none: string}> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  let read = 0
  for (const [file, v6] of [
    ['tcp', false],
    ['tcp6', true],
  ] as const) {
    let text: string
    try {
      text = await readFile(`/proc/${pid}/net/${file}`, 'utf8')
      read++
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      if (f.length < 4 || f[3] !== LISTEN) continue
      const [addr, p] = f[1].split(':')
      if (p !== hexPort) continue
      return {address: localAddress(addr, v6)}
    }
  }
  if (read === 0) return {none: `process ${pid} is gone`}
  return {none: `nothing listens on port ${port}`}
}

/** A /proc/net/tcp address (little-endian hex words) as the address to connect to: any → loopback. */
function localAddress(hex: string, v6: boolean): string {
  if (!v6) {
    const b = Buffer.from(hex, 'hex')
    const a = [b[3], b[2], b[1], b[0]].join('.')
    return a === '0.0.0.0' ? '127.0.0.1' : a
  }
  const words: string[] = []
  for (let i = 0; i < 32; i += 8) {
    const w = Buffer.from(hex.slice(i, i + 8), 'hex')
    const be = Buffer.from([w[3], w[2], w[1], w[0]]).toString('hex')
    words.push(be.slice(0, 4), be.slice(4))
  }
  const full = words.join(':')
  if (/^(0000:){5}ffff:/.test(full)) {
    const v4 = Buffer.from(words.slice(6).join(''), 'hex')
    const a = [...v4].join('.')
    return a === '0.0.0.0' ? '127.0.0.1' : a
  }
  // any IPv6 address: a dual-stack socket (the usual one) takes 127.0.0.1, and containers often have no ::1
  return /^(0000:){7}0000$/.test(full) ? '127.0.0.1' : full.replace(/(^|:)0{1,3}/g, '$1')
}

/** "ECONNREFUSED" → "refused", the other errors by their code or message. */
function connectError(error: NodeJS.ErrnoException): string {
  if (error.code === 'ECONNREFUSED') return 'refused'
  if (error.code === 'ETIMEDOUT') return 'timed out'
  if (error.code === 'EHOSTUNREACH') return 'host unreachable'
  return error.code ? `${error.code}${error.message ? ` (${error.message})` : ''}` : error.message
}

function hostConnect(host: string, port: number, options: ProbeOptions): Promise<ProbeResult> {
  return new Promise(resolve => {
    const socket = net.connect({host, port})
    const done = (r: ProbeResult) => {
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      socket.destroy()
      resolve(r)
    }
    const onAbort = () => done({ready: false, detail: 'interrupted'})
    const timer = setTimeout(
      () => done({ready: false, detail: `timed out after ${options.timeoutMs} ms`}),
      options.timeoutMs,
    )
    options.signal?.addEventListener('abort', onAbort, {once: true})
    socket.once('connect', () => done({ready: true, detail: `connected to ${host}:${port}`}))
    socket.once('error', e => done({ready: false, detail: connectError(e)}))
  })
}

function hostHttp(host: string, port: number, path: string, options: ProbeOptions): Promise<ProbeResult> {
  return new Promise(resolve => {
    let settled = false
    const done = (r: ProbeResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      req.destroy()
      resolve(r)
    }
    const req = http.get(
      {host, port, path, agent: false, signal: options.signal, headers: {'user-agent': 'svcmgr-readiness'}},
      res => {
        const code = res.statusCode ?? 0
        res.resume()
        done({ready: code >= 200 && code < 400, detail: `HTTP ${code}`})
      },
    )
    const timer = setTimeout(
      () => done({ready: false, detail: `timed out after ${options.timeoutMs} ms`}),
      options.timeoutMs,
    )
    req.once('error', e => done({ready: false, detail: options.signal?.aborted ? 'interrupted' : connectError(e)}))
  })
}

/** A bash run's failure as a probe detail: its last stderr line, "refused" for a refused connect. */
function bashDetail(r: RunResult): string {
  const last = r.stderr.trim().split('\n').pop() ?? ''
  if (/connection refused/i.test(last)) return 'refused'
  if (/timed out/i.test(last)) return 'timed out'
  return last.replace(/^.*?: line \d+: /, '') || `exit code ${r.exitCode}`
}

/**
 * A probe's own process: node:child_process with an argument vector (no shell), a timeout and
 * the signal; not execa, whose loading alone costs a docker-only command 70-120 ms on a busy
 * machine before its first probe. Its exit code and output, or why it did not run.
 */
function spawnProbe(
  file: string,
  args: readonly string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<RunResult | string> {
  return new Promise(resolve => {
    // node:child_process loaded when an exec probe runs (status of a service without one never does)
    process.getBuiltinModule('node:child_process').execFile(
      file,
      [...args],
      {
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 1024 * 1024,
        encoding: 'utf8',
        ...(signal ? {signal} : {}),
      },
      (error, stdout, stderr) => {
        if (!error) return resolve({exitCode: 0, stdout, stderr})
        if (signal?.aborted) return resolve('interrupted')
        const e = error as NodeJS.ErrnoException & {killed?: boolean; code?: number | string}
        if (e.killed) return resolve(`timed out after ${timeoutMs / 1000}s`)
        if (typeof e.code === 'number') return resolve({exitCode: e.code, stdout, stderr})
        resolve(`${file}: ${e.code ?? e.message}`)
      },
    )
  })
}

export function createProbeKit(run: Runner): ProbeKit {
  const quiet = (timeoutMs: number): RunOptions => ({
    quiet: true,
    timeout: timeoutMs,
    okExitCodes: [...Array(256).keys()],
  })
  /** A fixed bash script run in a network namespace, the probe's values as its arguments. */
  const inNetns = (netns: string, script: string, args: string[], options: ProbeOptions): Promise<RunResult | string> =>
    spawnProbe(
      'nsenter',
      [`--net=${netns}`, 'bash', '--norc', '--noprofile', '-c', script, 'probe', ...args],
      options.timeoutMs,
      options.signal,
    )
  /** The address to connect to in a namespace: the given host, or where the port listens; or why not ready. */
  const target = async (t: {
    host?: string
    port: number
    listenPid?: number
  }): Promise<{host: string} | ProbeResult> => {
    if (t.host !== undefined) return {host: t.host}
    if (t.listenPid === undefined) return {host: '127.0.0.1'}
    const l = await listeningAddress(t.listenPid, t.port)
    return 'none' in l ? {ready: false, detail: l.none} : {host: l.address}
  }
  return {
    async tcp(t, options) {
      if (!t.netns) return hostConnect(t.host ?? '127.0.0.1', t.port, options)
      const to = await target(t)
      if ('ready' in to) return to
      const r = await inNetns(t.netns, TCP_SCRIPT, [to.host, String(t.port)], options)
      if (typeof r === 'string') return {ready: false, detail: r}
      return r.exitCode === 0
        ? {ready: true, detail: `connected to ${to.host}:${t.port}`}
        : {ready: false, detail: bashDetail(r)}
    },
    async http(t, options) {
      if (!t.netns) return hostHttp(t.host ?? '127.0.0.1', t.port, t.path, options)
      const to = await target(t)
      if ('ready' in to) return to
      const hostHeader = to.host.includes(':') ? `[${to.host}]:${t.port}` : `${to.host}:${t.port}`
      const seconds = String(Math.max(1, Math.ceil(options.timeoutMs / 1000)))
      const r = await inNetns(t.netns, HTTP_SCRIPT, [to.host, String(t.port), t.path, hostHeader, seconds], options)
      if (typeof r === 'string') return {ready: false, detail: r}
      if (r.exitCode !== 0) return {ready: false, detail: r.exitCode === 4 ? 'no HTTP answer' : bashDetail(r)}
      const m = /^HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(r.stdout)
      if (!m) return {ready: false, detail: `not an HTTP answer: ${JSON.stringify(r.stdout.trim().slice(0, 60))}`}
      const code = Number(m[1])
      return {ready: code >= 200 && code < 400, detail: `HTTP ${code}`}
    },
    async exec(argv, options) {
      try {
        const r = await run(argv[0], argv.slice(1), {
          ...quiet(options.timeoutMs),
          env: options.env,
          uid: options.uid,
          gid: options.gid,
          cwd: options.cwd,
        })
        const out = [r.stdout, r.stderr].join('\n').trim().split('\n').pop() ?? ''
        return {ready: r.exitCode === 0, detail: `exit code ${r.exitCode}${out ? `: ${out}` : ''}`}
      } catch (error) {
        return {ready: false, detail: (error as Error).message}
      }
    },
  }
}
