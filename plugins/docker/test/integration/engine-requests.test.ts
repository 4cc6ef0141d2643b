// How many engine requests status and stop cost, on the real engine of scripts/testenv.sh:
// the driver talks to it through a counting proxy (a unix socket in a temp folder that passes
// every byte through unchanged and notes each request line). Status of a service is one
// `GET /containers/json` for all its containers, ownership included (a foreign container under
// a managed name is still foreign); the stops of a parallel subset share one list; a list is
// never reused after a change.
//   npx mocha --timeout 120000 plugins/docker/test/integration/engine-requests.test.ts
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import Docker from 'dockerode'
import {createDriverHarness, type DriverHarness} from 'svcmgr/testing'
import {registration} from '../../src/hooks/drivers.js'

const DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///run/svcmgr-testenv/docker.sock'
const ENGINE_SOCKET = DOCKER_HOST.replace(/^unix:\/\//, '')
const docker = new Docker({socketPath: ENGINE_SOCKET})
const SVC = `perfareq${process.pid}`
const ID = '3c2b1a60-7d0e-4f7e-9a55-1f0e6b2c8d41'
const registrations = [{plugin: '@svcmgr/plugin-docker', registration}]
const REQUEST_LINE = /(?:^|\r\n)(GET|POST|DELETE|PUT|HEAD) (\S+) HTTP\/1\.[01]\r\n/g

/** Passes every byte between the driver and the engine; notes each request line and its connection. */
class CountingProxy {
  readonly socket: string
  private readonly server: net.Server
  private log: {conn: number; line: string}[] = []
  private readonly open = new Set<net.Socket>()
  private conns = 0

  constructor(dir: string) {
    this.socket = path.join(dir, 'proxy.sock')
    this.server = net.createServer(client => {
      const conn = ++this.conns
      let text = ''
      let noted = 0
      const upstream = net.connect(ENGINE_SOCKET)
      this.open.add(client).add(upstream)
      client.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1')
        const lines = [...text.matchAll(REQUEST_LINE)].map(m => `${m[1]} ${decodeURIComponent(m[2])}`)
        for (const line of lines.slice(noted)) this.log.push({conn, line})
        noted = lines.length
        upstream.write(chunk)
      })
      upstream.pipe(client)
      const close = () => {
        client.destroy()
        upstream.destroy()
      }
      client.on('close', close).on('error', close)
      upstream.on('close', close).on('error', close)
    })
  }

  listen(): Promise<void> {
    return new Promise(r => this.server.listen(this.socket, r))
  }

  close(): void {
    for (const s of this.open) s.destroy()
    this.server.close()
  }

  /** The requests since the last reset, in the order they were sent. */
  requests(): string[] {
    return this.log.map(e => e.line)
  }

  /** How many connections carried them (a keep-alive connection from before counts too). */
  connections(): number {
    return new Set(this.log.map(e => e.conn)).size
  }

  reset(): void {
    this.log = []
  }
}

async function removeServiceContainers(): Promise<void> {
  const mine = (await docker.listContainers({all: true})).filter(c =>
    c.Names.some(n => n.startsWith(`/${SVC}.container.`)),
  )
  await Promise.all(
    mine.map(c =>
      docker
        .getContainer(c.Id)
        .remove({force: true})
        .catch(() => undefined),
    ),
  )
}

describe('engine requests of status and stop (through a counting proxy to the real engine)', function () {
  this.timeout(120_000)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perfa-proxy-'))
  const proxy = new CountingProxy(dir)
  const rids = ['container#1', 'container#2', 'container#3']
  let h: DriverHarness

  const statusAll = (list = rids) => Promise.all(list.map(rid => h.status(rid)))
  const lists = () => proxy.requests().filter(r => r.startsWith('GET /containers/json'))

  before(async () => {
    await docker.ping()
    await proxy.listen()
    await removeServiceContainers()
    const sections = Object.fromEntries(
      [...rids, 'container#4'].map(rid => [rid, {type: 'docker', image: 'google/pause'}]),
    )
    h = createDriverHarness({
      config: {DEFAULT: {id: ID}, ...sections},
      registrations,
      name: SVC,
      dockerHost: `unix://${proxy.socket}`,
    })
    for (const rid of rids) await h.act(rid, 'start')
  })

  after(async () => {
    proxy.close()
    await removeServiceContainers()
    fs.rmSync(dir, {recursive: true, force: true})
  })

  beforeEach(() => proxy.reset())

  it('status of three containers: one GET /containers/json for all, on one connection, no ping', async () => {
    const st = await statusAll()
    expect(st.map(s => s.status)).to.deep.equal(['up', 'up', 'up'])
    expect(proxy.requests()).to.deep.equal([
      `GET /containers/json?all=1&filters={"name":["^/?${SVC}\\\\.container\\\\.[0-9]+$"]}`,
    ])
    expect(proxy.connections()).to.equal(1)
  })

  it('a foreign container under a managed name is foreign, found by that same one request', async () => {
    // made by hand: no com.svcmgr labels
    await docker.createContainer({name: `${SVC}.container.4`, Image: 'google/pause', HostConfig: {NetworkMode: 'none'}})
    proxy.reset()
    const st = await statusAll([...rids, 'container#4'])
    expect(st.map(s => s.status)).to.deep.equal(['up', 'up', 'up', 'warn'])
    expect(st[3].log?.[0].message).to.equal(
      `container ${SVC}.container.4 exists but was not created by svcmgr for ${SVC} container#4 (id ${ID}; it has no com.svcmgr labels): remove or rename it`,
    )
    expect(lists()).to.have.length(1)
    expect(proxy.requests()).to.have.length(1)
    // ... and stop neither stops nor removes it
    proxy.reset()
    expect((await h.act('container#4', 'stop')).change).to.equal('unchanged')
    expect(proxy.requests().filter(r => !r.startsWith('GET '))).to.deep.equal([])
    await docker.getContainer(`${SVC}.container.4`).remove({force: true})
  })

  it('a container that exited with an error: the list, plus one inspect of it for the exit time', async () => {
    const id = (await docker.getContainer(`${SVC}.container.3`).inspect()).Id
    await docker.getContainer(id).kill()
    await docker.getContainer(id).wait()
    const info = await docker.getContainer(id).inspect()
    proxy.reset()
    const st = await statusAll()
    expect(st.map(s => s.status)).to.deep.equal(['up', 'up', 'down'])
    expect(st[2].log).to.deep.equal([
      {
        level: 'warn',
        message: `container ${SVC}.container.3 exited with code ${info.State.ExitCode} at ${info.State.FinishedAt}`,
      },
    ])
    expect(lists()).to.have.length(1)
    expect(proxy.requests().filter(r => !r.startsWith('GET /containers/json'))).to.deep.equal([
      `GET /containers/${id}/json`,
    ])
    await h.act('container#3', 'start')
  })

  it('the parallel stops of three containers share one list (no ping, no inspect by name): then one stop and one check each', async () => {
    const ids = await Promise.all(
      rids.map(async (_, i) => (await docker.getContainer(`${SVC}.container.${i + 1}`).inspect()).Id),
    )
    proxy.reset()
    const results = await Promise.all(rids.map(rid => h.act(rid, 'stop')))
    expect(results.map(r => r.change)).to.deep.equal(['changed', 'changed', 'changed'])
    // ownership came from the list's labels (by name would be GET /containers/<svc>.container.N/json),
    // the engine's state from its answer; after each stop, one inspect by id says it is down
    expect(proxy.requests().sort()).to.deep.equal(
      [
        `GET /containers/json?all=1&filters={"name":["^/?${SVC}\\\\.container\\\\.[0-9]+$"]}`,
        ...ids.flatMap(id => [`POST /containers/${id}/stop?t=10`, `GET /containers/${id}/json`]),
      ].sort(),
    )
    for (const rid of rids) expect((await h.status(rid)).status).to.equal('down')
  })

  it('after a change, a new list: status never reads a list from before it', async () => {
    // all three are stopped (the test before): start one, then status must see it up
    await h.act('container#1', 'start')
    proxy.reset()
    const st = await statusAll()
    expect(st.map(s => s.status)).to.deep.equal(['up', 'down', 'down'])
    expect(lists()).to.have.length(1)
    proxy.reset()
    await h.act('container#1', 'stop')
    expect(lists()).to.have.length(1)
    proxy.reset()
    expect((await h.status('container#1')).status).to.equal('down')
    expect(lists()).to.have.length(1)
  })
})
