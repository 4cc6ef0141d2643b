// The node:http engine client and the shared container list without an engine: real local
// sockets that are missing, refuse, or accept and never answer (a frozen engine), so the
// reasons, the kinds (absent vs not answering) and the sharing of one request can be seen.
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {DeadlineError, EngineError, untilAborted} from '../../src/engine/calls.js'
import {noteEngineChange, serviceContainers, serviceNameFilter, summaryName} from '../../src/engine/containers.js'
import {demultiplex, httpClient} from '../../src/engine/http.js'
import {imagePresent} from '../../src/engine/images.js'

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

describe('the service container list: a snapshot answered once serves every later reader', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hdock-snap-'))
  const sock = path.join(dir, 'engine.sock')
  const address = `unix://${sock}`
  const NAMES = Array.from({length: 100}, (_, i) => `svc2.container.${i + 1}`)
  let lists = 0
  const server = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      lists++
      const rows = NAMES.map((n, i) => ({
        Id: `id${i + 1}`,
        Names: [`/${n}`],
        Image: 'google/pause',
        State: 'created',
        Status: 'Created',
        Labels: {'com.svcmgr.service': 'svc2', 'com.svcmgr.rid': `container#${i + 1}`},
      }))
      res.writeHead(200, {'Content-Type': 'application/json'})
      res.end(JSON.stringify(rows))
    })
  })
  before(() => new Promise<void>(r => server.listen(sock, r)))
  beforeEach(() => (lists = 0))
  after(() => {
    server.close()
    fs.rmSync(dir, {recursive: true, force: true})
  })

  it('readers after the answer get the same picture without a request; an action and a change ask anew', async () => {
    const cache = new Map<string, unknown>()
    const signal = new AbortController().signal
    const first = await serviceContainers(cache, address, 'svc2', NAMES, {snapshot: true, signal})
    const later = await Promise.all(
      NAMES.map(() => serviceContainers(cache, address, 'svc2', NAMES, {snapshot: true, signal})),
    )
    expect(lists).to.equal(1)
    for (const l of later) expect(l).to.equal(first)
    expect(first.get('svc2.container.7')?.Id).to.equal('id7')
    // an interrupted reader is refused even with the answer at hand
    const aborted = new AbortController()
    aborted.abort()
    expect(
      (await caught(serviceContainers(cache, address, 'svc2', NAMES, {snapshot: true, signal: aborted.signal})))
        ?.message,
    ).to.equal('docker ps: interrupted')
    // not a snapshot (an action): a list of its own
    await serviceContainers(cache, address, 'svc2', NAMES, {signal})
    expect(lists).to.equal(2)
    // after a change this process made, even a snapshot reader asks again
    noteEngineChange(cache, address)
    await serviceContainers(cache, address, 'svc2', NAMES, {snapshot: true, signal})
    expect(lists).to.equal(3)
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

describe('the logs answer of a container without a tty: demultiplexed', () => {
  const frame = (stream: number, text: string | Buffer) => {
    const payload = typeof text === 'string' ? Buffer.from(text, 'utf8') : text
    const header = Buffer.alloc(8)
    header[0] = stream
    header.writeUInt32BE(payload.length, 4)
    return Buffer.concat([header, payload])
  }

  it('stdout and stderr frames, in the order written', () => {
    const raw = Buffer.concat([frame(1, 'starting\n'), frame(2, 'error: no config\n'), frame(1, 'bye\n')])
    expect(demultiplex(raw)).to.equal('starting\nerror: no config\nbye\n')
  })

  it('a character split across two frames stays whole', () => {
    const e = Buffer.from('é', 'utf8')
    const raw = Buffer.concat([
      frame(1, Buffer.concat([Buffer.from('caf'), e.subarray(0, 1)])),
      frame(1, e.subarray(1)),
    ])
    expect(demultiplex(raw)).to.equal('café')
  })

  it('a frame cut short keeps what came; bytes that are no frame header are kept as text', () => {
    expect(demultiplex(frame(1, 'complete line\n').subarray(0, 8 + 8))).to.equal('complete')
    expect(demultiplex(Buffer.from('plain text, no frames\n'))).to.equal('plain text, no frames\n')
    expect(demultiplex(Buffer.concat([frame(2, 'framed\n'), Buffer.from('then raw\n')]))).to.equal('framed\nthen raw\n')
    expect(demultiplex(Buffer.alloc(0))).to.equal('')
  })
})

describe('the start path over node:http: create, start, image inspect, against a fake engine', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perfg-fake-'))
  const sock = path.join(dir, 'engine.sock')
  const address = `unix://${sock}`
  const seen: {method?: string; url?: string; type?: string; body: string}[] = []
  /** Answers held back until release() (an engine busy with a create). */
  let hold: (() => void)[] = []
  let holding = false
  const release = () => {
    holding = false
    for (const h of hold) h()
    hold = []
  }
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString('utf8')))
    req.on('end', () => {
      seen.push({method: req.method, url: req.url, type: req.headers['content-type'], body})
      const answer = () => {
        const url = req.url ?? ''
        const send = (code: number, json?: unknown) => {
          res.writeHead(code, json === undefined ? {} : {'Content-Type': 'application/json'})
          res.end(json === undefined ? undefined : JSON.stringify(json))
        }
        if (url.startsWith('/containers/create')) send(201, {Id: 'c0ffee', Warnings: []})
        else if (url === '/containers/c0ffee/start') send(204)
        else if (url === '/containers/running/start') send(304)
        else if (url === '/containers/gone/start') send(404, {message: 'No such container: gone'})
        else if (url === `/images/${encodeURIComponent('registry:5000/app:1')}/json`) send(200, {Id: 'sha256:1'})
        else if (url.startsWith('/images/broken')) send(500, {message: 'image store corrupt'})
        else send(404, {message: 'No such image: x'})
      }
      if (holding) hold.push(answer)
      else answer()
    })
  })
  before(() => new Promise<void>(r => server.listen(sock, r)))
  beforeEach(() => (seen.length = 0))
  after(() => {
    release()
    server.close()
    fs.rmSync(dir, {recursive: true, force: true})
  })

  it('create: the name in the query, the rest as the JSON body', async () => {
    const r = await httpClient(address).create(
      'docker run svc2.container.1',
      {name: 'svc2.container.1', Image: 'google/pause', Labels: {'com.svcmgr.rid': 'container#1'}},
      {timeoutMs: 5000},
    )
    expect(r.Id).to.equal('c0ffee')
    expect(seen).to.deep.equal([
      {
        method: 'POST',
        url: '/containers/create?name=svc2.container.1',
        type: 'application/json',
        body: JSON.stringify({Image: 'google/pause', Labels: {'com.svcmgr.rid': 'container#1'}}),
      },
    ])
  })

  it("start: 204 started, 304 already, 404 fails with the engine's sentence", async () => {
    const c = httpClient(address)
    expect(await c.start('docker start a', 'c0ffee', {timeoutMs: 5000})).to.equal('started')
    expect(await c.start('docker start b', 'running', {timeoutMs: 5000})).to.equal('already')
    const e = await caught(c.start('docker start svc2.container.9', 'gone', {timeoutMs: 5000}))
    expect([e?.message, e?.statusCode, e?.unreachable]).to.deep.equal([
      'docker start svc2.container.9: No such container: gone',
      404,
      false,
    ])
  })

  it('image presence: one GET /images/{name}/json, the name encoded; 404 absent; another error fails', async () => {
    const c = httpClient(address)
    expect(await imagePresent(c, 'registry:5000/app:1', {timeoutMs: 5000})).to.equal(true)
    expect(await imagePresent(c, 'nginx', {timeoutMs: 5000})).to.equal(false)
    const e = await caught(imagePresent(c, 'broken', {timeoutMs: 5000}))
    expect(e?.message).to.equal('docker image inspect broken: image store corrupt')
    expect(seen.map(s => `${s.method} ${s.url}`)).to.deep.equal([
      `GET /images/${encodeURIComponent('registry:5000/app:1')}/json`,
      'GET /images/nginx/json',
      'GET /images/broken/json',
    ])
  })

  it('an interruption lets a create already sent finish (finishOnInterrupt), and sends no new one', async () => {
    const c = httpClient(address)
    const ctl = new AbortController()
    holding = true
    const p = c.create(
      'docker run x',
      {name: 'x', Image: 'i'},
      {timeoutMs: 5000, signal: ctl.signal, finishOnInterrupt: true},
    )
    while (hold.length === 0) await new Promise(r => setImmediate(r))
    ctl.abort()
    release()
    expect((await p).Id).to.equal('c0ffee')
    const e = await caught(
      c.start('docker start x', 'c0ffee', {timeoutMs: 5000, signal: ctl.signal, finishOnInterrupt: true}),
    )
    expect(e?.message).to.equal('docker start x: interrupted')
    expect(seen.map(s => s.url)).to.deep.equal(['/containers/create?name=x'])
  })

  it("the action's deadline cancels even a change in flight", async () => {
    const c = httpClient(address)
    const ctl = new AbortController()
    holding = true
    const p = caught(
      c.start('docker start a', 'c0ffee', {timeoutMs: 5000, signal: ctl.signal, finishOnInterrupt: true}),
    )
    while (hold.length === 0) await new Promise(r => setImmediate(r))
    ctl.abort(new DeadlineError('start svc2.container.1 not done within 20s'))
    expect((await p)?.message).to.equal('docker start a: start svc2.container.1 not done within 20s')
    release()
  })
})

/**
 * An engine on a socket of its own (so the client's pool has no connection to it yet) that
 * answers the first request of each connection and drops the second without an answer, as an
 * engine that closed a kept-alive connection while it was idle in the client's pool.
 */
class DroppingEngine {
  /** Each request as the engine got it, with its connection's number (1, 2, ...). */
  readonly seen: Array<[number, string]> = []
  readonly address: string
  private connections = 0
  private readonly server: net.Server
  private readonly open: net.Socket[] = []
  constructor(readonly socket: string) {
    this.address = `unix://${socket}`
    this.server = net.createServer(s => {
      const connection = ++this.connections
      this.open.push(s)
      let served = 0
      let buffered = ''
      s.on('error', () => undefined)
      s.on('data', (b: Buffer) => {
        buffered += b.toString('latin1')
        // requests without a body: each ends at the blank line
        for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
          const head = buffered.slice(0, end)
          buffered = buffered.slice(end + 4)
          this.seen.push([connection, head.split('\r\n')[0]])
          if (++served === 2) return void s.destroy()
          const body = head.startsWith('GET') ? '[]' : ''
          s.write(
            `HTTP/1.1 ${head.startsWith('GET') ? '200 OK' : '204 No Content'}\r\nContent-Type: application/json\r\n` +
              `Content-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n${body}`,
          )
        }
      })
    })
  }

  listen(): Promise<void> {
    return new Promise(r => this.server.listen(this.socket, r))
  }

  /** The kept-alive connections too: an open one would keep the test process running. */
  close(): void {
    for (const s of this.open) s.destroy()
    this.server.close()
  }
}

describe('a kept-alive connection the engine closed: a read is sent again, a change is not', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perfk-keepalive-'))
  const engines: DroppingEngine[] = []
  const engine = async (name: string) => {
    const e = new DroppingEngine(path.join(dir, name))
    engines.push(e)
    await e.listen()
    return e
  }
  after(() => {
    for (const e of engines) e.close()
    fs.rmSync(dir, {recursive: true, force: true})
  })

  it('a GET on the reused connection is sent again on a new one and answers', async () => {
    const e = await engine('get.sock')
    const c = httpClient(e.address)
    expect(await c.get('docker ps', '/containers/json?all=1', {timeoutMs: 5000})).to.deep.equal([])
    expect(await c.get('docker ps', '/containers/json?all=1', {timeoutMs: 5000})).to.deep.equal([])
    // the second GET went out on the first connection, was dropped there, and was sent again on a new one
    expect(e.seen).to.deep.equal([
      [1, 'GET /containers/json?all=1 HTTP/1.1'],
      [1, 'GET /containers/json?all=1 HTTP/1.1'],
      [2, 'GET /containers/json?all=1 HTTP/1.1'],
    ])
  })

  it('a change (POST) on the reused connection fails with the reason, and is not sent again', async () => {
    const e = await engine('post.sock')
    const c = httpClient(e.address)
    expect(await c.get('docker ps', '/containers/json?all=1', {timeoutMs: 5000})).to.deep.equal([])
    const error = await caught(c.start('docker start svc2.container.1', 'c0ffee', {timeoutMs: 5000}))
    expect(error).to.be.instanceOf(EngineError)
    expect(error?.message).to.match(/^docker start svc2\.container\.1: /)
    // the start reached the engine once; whether it was carried out is not known, so it is not repeated
    expect(e.seen).to.deep.equal([
      [1, 'GET /containers/json?all=1 HTTP/1.1'],
      [1, 'POST /containers/c0ffee/start HTTP/1.1'],
    ])
  })
})
