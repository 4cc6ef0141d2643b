// The node:http engine client and the shared container list without an engine: real local
// sockets that are missing, refuse, or accept and never answer (a frozen engine), so the
// reasons, the kinds (absent vs not answering) and the sharing of one request can be seen.
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {DeadlineError, EngineError, untilAborted} from '../../src/engine/calls.js'
import {noteEngineChange, serviceContainers, serviceNameFilter, summaryName} from '../../src/engine/containers.js'
import {httpClient} from '../../src/engine/http.js'

/** A socket that accepts connections and never answers; counts them and their closes. */
class Silent {
  readonly socket: string
  connections = 0
  closed = 0
  private readonly server: net.Server
  private readonly open: net.Socket[] = []
  constructor(dir: string, name: string) {
    this.socket = path.join(dir, name)
    this.server = net.createServer(s => {
      this.connections++
      this.open.push(s)
      s.on('close', () => this.closed++)
      s.on('error', () => undefined)
      // read (and drop) the request: a socket nobody reads never notices its peer closed
      s.resume()
    })
  }

  listen(): Promise<void> {
    return new Promise(r => this.server.listen(this.socket, r))
  }

  close(): void {
    for (const s of this.open) s.destroy()
    this.server.close()
  }

  /** Until `n` connections were made (or closed): the socket events come after the request is sent. */
  async until(what: 'connections' | 'closed', n: number): Promise<void> {
    while (this[what] < n) await new Promise(r => setImmediate(r))
  }
}

const caught = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as EngineError,
  )

describe('engine client over node:http: why an engine did not answer', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perfa-http-'))
  const silent = new Silent(dir, 'silent.sock')
  before(() => silent.listen())
  after(() => {
    silent.close()
    fs.rmSync(dir, {recursive: true, force: true})
  })

  it('socket missing: absent, at once, with the reason', async () => {
    const sock = path.join(dir, 'absent.sock')
    const e = await caught(httpClient(`unix://${sock}`).list('docker ps', {}, {timeoutMs: 60_000}))
    expect(e).to.be.instanceOf(EngineError)
    expect([e!.message, e!.unreachable, e!.kind, e!.reason]).to.deep.equal([
      `docker ps: docker daemon socket ${sock} missing`,
      true,
      'missing',
      `docker daemon socket ${sock} missing`,
    ])
  })

  it('connection refused: absent, at once', async () => {
    const sock = path.join(dir, 'refused.sock')
    execFileSync('python3', [
      '-c',
      'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()',
      sock,
    ])
    const e = await caught(httpClient(`unix://${sock}`).inspect('docker inspect x', 'x', {timeoutMs: 60_000}))
    expect([e!.message, e!.kind]).to.deep.equal([`docker inspect x: connection refused on ${sock}`, 'refused'])
  })

  it('accepted and never answered: not answering, after the deadline, the request closed', async () => {
    const before = silent.closed
    const e = await caught(httpClient(`unix://${silent.socket}`).stop('docker stop x', 'x', 10, {timeoutMs: 200}))
    expect([e!.message, e!.unreachable, e!.kind]).to.deep.equal([
      `docker stop x: docker daemon at ${silent.socket} not answering after 0.2s`,
      true,
      'timeout',
    ])
    // the request was destroyed, not left hanging on the socket
    await silent.until('closed', before + 1)
  })
})

describe('the service container list: one request for every caller in flight', () => {
  const NAMES = Array.from({length: 100}, (_, i) => `svc2.container.${i + 1}`)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perfa-list-'))
  let silent: Silent
  let address: string
  beforeEach(async () => {
    silent = new Silent(dir, `s${Date.now()}.sock`)
    await silent.listen()
    address = `unix://${silent.socket}`
  })
  afterEach(() => silent.close())
  after(() => fs.rmSync(dir, {recursive: true, force: true}))

  it('concurrent callers share one request, and its failure', async () => {
    const cache = new Map<string, unknown>()
    const all = Promise.all(
      [1, 2, 3].map(() => caught(serviceContainers(cache, address, 'svc2', NAMES, {timeoutMs: 300}))),
    )
    const errors = await all
    expect(silent.connections).to.equal(1)
    expect(new Set(errors.map(e => e?.message))).to.deep.equal(
      new Set([
        `docker ps -a --filter label=com.svcmgr.service=svc2: docker daemon at ${silent.socket} not answering after 0.3s`,
      ]),
    )
    // a failed list is not remembered: the next caller asks again
    await caught(serviceContainers(cache, address, 'svc2', NAMES, {timeoutMs: 50}))
    expect(silent.connections).to.equal(2)
  })

  it('after a change this process made, a caller gets a new request, not the one in flight', async () => {
    const cache = new Map<string, unknown>()
    const first = caught(serviceContainers(cache, address, 'svc2', NAMES, {timeoutMs: 300}))
    await silent.until('connections', 1)
    noteEngineChange(cache, address)
    const second = caught(serviceContainers(cache, address, 'svc2', NAMES, {timeoutMs: 300}))
    await Promise.all([first, second])
    expect(silent.connections).to.equal(2)
  })

  it("one caller's interruption fails only that caller; the request is cancelled once nobody waits", async () => {
    const cache = new Map<string, unknown>()
    const a = new AbortController()
    const b = new AbortController()
    const pa = caught(serviceContainers(cache, address, 'svc2', NAMES, {timeoutMs: 60_000, signal: a.signal}))
    const pb = caught(serviceContainers(cache, address, 'svc2', NAMES, {timeoutMs: 60_000, signal: b.signal}))
    await silent.until('connections', 1)
    a.abort(new DeadlineError('stop svc2.container.1 not done within 45s'))
    expect((await pa)?.message).to.equal('docker ps: stop svc2.container.1 not done within 45s')
    expect(silent.closed).to.equal(0)
    b.abort()
    expect((await pb)?.message).to.equal('docker ps: interrupted')
    await silent.until('closed', 1)
    expect(silent.connections).to.equal(1)
  })

  it('untilAborted: a shared wait (the ping) gives way to the caller’s deadline', async () => {
    const c = new AbortController()
    const never = new Promise<never>(() => undefined)
    setImmediate(() => c.abort(new DeadlineError('stop x not done within 1s')))
    const e = await caught(untilAborted('docker stop x', never, c.signal))
    expect([e!.message, e!.unreachable]).to.deep.equal(['docker stop x: stop x not done within 1s', true])
  })
})

describe('container names in the list', () => {
  it('the name filter matches only <svc>.container.<n>, its regex characters escaped', () => {
    const re = new RegExp(serviceNameFilter('svc2.a-b'))
    expect(['/svc2.a-b.container.1', 'svc2.a-b.container.12'].map(n => re.test(n))).to.deep.equal([true, true])
    expect(
      [
        '/svc2.a-b.container.1.container.2',
        '/svc2xa-b.container.1',
        '/svc2.a-b.container.',
        '/x/svc2.a-b.container.1',
      ].map(n => re.test(n)),
    ).to.deep.equal([false, false, false, false])
  })

  it("a container's name is its own, not a link alias", () => {
    expect(summaryName({Names: ['/web/db', '/svc2.container.1']})).to.equal('svc2.container.1')
    expect(summaryName({Names: ['/a/b']})).to.equal(undefined)
  })
})
