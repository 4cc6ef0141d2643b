// How many engine requests status and stop cost, on the real engine of scripts/testenv.sh:
// the driver talks to it through a counting proxy (a unix socket in a temp folder that passes
// every byte through unchanged and notes each request line). A small service: one inspect by
// name per container, no ping, no dockerode's connection per request; its stops one list for
// ownership (the command's, whatever the size). A large one (the list's
// path, taken here by a service of four with strategy.listAbove lowered): one
// `GET /containers/json` with the label filter for all its containers, ownership included (a
// foreign container under a managed name is still foreign, found by inspecting the names the
// list did not show, or by a name-filtered list when they are many); the stops of a parallel
// subset share one list; a list is never reused after a change. A whole `svcmgr start` (the
// CLI, the plan's observation then the executor): no ping once the plan's inspects were
// answered, and per container its start and the two state checks by id, nothing more.
//   npx mocha --timeout 120000 plugins/docker/test/integration/engine-requests.test.ts
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import Docker from 'dockerode'
import {execa} from 'execa'
import {createDriverHarness, type DriverHarness} from 'svcmgr/testing'
import {registration} from '../../src/hooks/drivers.js'
import {strategy} from '../../src/engine/containers.js'

const DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///run/svcmgr-testenv/docker.sock'
const ENGINE_SOCKET = DOCKER_HOST.replace(/^unix:\/\//, '')
const docker = new Docker({socketPath: ENGINE_SOCKET})
const SVC = `perfareq${process.pid}`
const ID = '3c2b1a60-7d0e-4f7e-9a55-1f0e6b2c8d41'
const registrations = [{plugin: '@svcmgr/plugin-docker', registration}]
const BIN = new URL('../../../../bin/run.js', import.meta.url).pathname
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
  const names = [1, 2, 3, 4].map(n => `${SVC}.container.${n}`)
  const labelList = `GET /containers/json?all=1&filters={"label":["com.svcmgr.service=${SVC}"]}`
  const nameList = `GET /containers/json?all=1&filters={"name":["^/?${SVC}\\\\.container\\\\.[0-9]+$"]}`
  const byName = (n: number) => `GET /containers/${SVC}.container.${n}/json`
  let h: DriverHarness
  let ids: string[] = []

  const statusAll = (list = rids) => Promise.all(list.map(rid => h.status(rid)))
  const sorted = () => proxy.requests().sort()
  const stopAll = async () => {
    const results = await Promise.all(rids.map(rid => h.act(rid, 'stop')))
    expect(results.map(r => r.change)).to.deep.equal(['changed', 'changed', 'changed'])
  }
  const startAll = async () => {
    for (const rid of rids) await h.act(rid, 'start')
    ids = await Promise.all([1, 2, 3].map(async n => (await docker.getContainer(names[n - 1]).inspect()).Id))
  }
  const stopRequests = () => ids.flatMap(id => [`POST /containers/${id}/stop?t=10`, `GET /containers/${id}/json`])

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
    await startAll()
  })

  after(async () => {
    proxy.close()
    await removeServiceContainers()
    fs.rmSync(dir, {recursive: true, force: true})
  })

  // each test is a command of its own (its own ctx.cache: status reuses one list within a command)
  beforeEach(() => {
    proxy.reset()
    h.newCommand()
  })

  describe('a small service: each container inspected by name, together', () => {
    it('status of three containers: three inspects by name, no ping, no list', async () => {
      expect((await statusAll()).map(s => s.status)).to.deep.equal(['up', 'up', 'up'])
      expect(sorted()).to.deep.equal([byName(1), byName(2), byName(3)])
    })

    it('a foreign container under a managed name is foreign', async () => {
      // made by hand: no com.svcmgr labels
      await docker.createContainer({name: names[3], Image: 'google/pause', HostConfig: {NetworkMode: 'none'}})
      try {
        const st = await h.status('container#4')
        expect(st.status).to.equal('warn')
        expect(st.log?.[0].message).to.equal(
          `container ${names[3]} exists but was not created by svcmgr for ${SVC} container#4 (id ${ID}; it has no com.svcmgr labels): remove or rename it`,
        )
      } finally {
        await docker.getContainer(names[3]).remove({force: true})
      }
    })

    it('parallel stops: one label-filtered list for all (ownership by labels and id; the name it did not show inspected), per container the stop and one check by id; no ping', async () => {
      await stopAll()
      expect(sorted()).to.deep.equal([labelList, byName(4), ...stopRequests()].sort())
      await startAll()
    })

    it('sequential stops in one command: the one list, then for each container after the first its state again by id', async () => {
      const results = []
      for (const rid of rids) results.push((await h.act(rid, 'stop')).change)
      expect(results).to.deep.equal(['changed', 'changed', 'changed'])
      const byId = (i: number) => `GET /containers/${ids[i]}/json`
      expect(sorted()).to.deep.equal([labelList, byName(4), ...stopRequests(), byId(1), byId(2)].sort())
      for (const rid of rids) expect((await h.status(rid)).status).to.equal('down')
      await startAll()
    })

    it("a container started behind the list: after a change the list's state is not trusted, its state is asked again by id", async () => {
      await h.act('container#1', 'stop')
      h.newCommand()
      // this command's list says container#1 is stopped; container#2's stop is a change by this
      // process, after which the list's state is stale: container#1's is asked again, by its id
      expect((await h.act('container#2', 'stop')).change).to.equal('changed')
      await docker.getContainer(ids[0]).start()
      expect((await h.act('container#1', 'stop')).change).to.equal('changed')
      expect((await docker.getContainer(ids[0]).inspect()).State.Running).to.equal(false)
      await startAll()
    })
  })

  describe("a large service (the list's path)", () => {
    let saved = 0
    before(() => {
      saved = strategy.listAbove
      // four containers count as many
      strategy.listAbove = 2
    })
    after(() => (strategy.listAbove = saved))

    it('status of every container: one label-filtered list, plus an inspect of the one name it did not show', async () => {
      const st = await statusAll([...rids, 'container#4'])
      expect(st.map(s => s.status)).to.deep.equal(['up', 'up', 'up', 'down'])
      expect(sorted()).to.deep.equal([labelList, byName(4)].sort())
      expect(proxy.connections()).to.be.at.most(2)
    })

    it('status asked resource after resource in one command: still one list (the core probes a few dozen at a time)', async () => {
      const st = []
      for (const rid of [...rids, 'container#4']) st.push(await h.status(rid))
      expect(st.map(s => s.status)).to.deep.equal(['up', 'up', 'up', 'down'])
      expect(sorted()).to.deep.equal([labelList, byName(4)].sort())
    })

    it('a foreign container under a managed name is still foreign: the inspect of the name the list did not show finds it', async () => {
      await docker.createContainer({name: names[3], Image: 'google/pause', HostConfig: {NetworkMode: 'none'}})
      try {
        proxy.reset()
        const st = await statusAll([...rids, 'container#4'])
        expect(st.map(s => s.status)).to.deep.equal(['up', 'up', 'up', 'warn'])
        expect(st[3].log?.[0].message).to.match(/exists but was not created by svcmgr/)
        expect(sorted()).to.deep.equal([labelList, byName(4)].sort())
        // ... and stop neither stops nor removes it
        proxy.reset()
        expect((await h.act('container#4', 'stop')).change).to.equal('unchanged')
        expect(proxy.requests().filter(r => !r.startsWith('GET '))).to.deep.equal([])
      } finally {
        await docker.getContainer(names[3]).remove({force: true})
      }
    })

    it('many names the label list did not show: one name-filtered list finds them all', async () => {
      strategy.listAbove = 0
      try {
        const st = await statusAll([...rids, 'container#4'])
        expect(st.map(s => s.status)).to.deep.equal(['up', 'up', 'up', 'down'])
        expect(sorted()).to.deep.equal([labelList, nameList].sort())
      } finally {
        strategy.listAbove = 2
      }
    })

    it('a container that exited with an error: the list, plus one inspect of it for the exit time', async () => {
      await docker.getContainer(ids[2]).kill()
      await docker.getContainer(ids[2]).wait()
      const info = await docker.getContainer(ids[2]).inspect()
      proxy.reset()
      const st = await statusAll()
      expect(st.map(s => s.status)).to.deep.equal(['up', 'up', 'down'])
      expect(st[2].log).to.deep.equal([
        {
          level: 'warn',
          message: `container ${names[2]} exited with code ${info.State.ExitCode} at ${info.State.FinishedAt}`,
        },
      ])
      expect(sorted()).to.deep.equal([labelList, byName(4), `GET /containers/${ids[2]}/json`].sort())
      await h.act('container#3', 'start')
    })

    it('the parallel stops of three containers share one list (no ping, no inspect of theirs by name)', async () => {
      await stopAll()
      expect(sorted()).to.deep.equal([labelList, byName(4), ...stopRequests()].sort())
      for (const rid of rids) expect((await h.status(rid)).status).to.equal('down')
    })

    it('after a change, a new list: status never reads a list from before it', async () => {
      // all three are stopped (the test before): start one, then status must see it up
      await h.act('container#1', 'start')
      proxy.reset()
      expect((await statusAll()).map(s => s.status)).to.deep.equal(['up', 'down', 'down'])
      expect(proxy.requests().filter(r => r === labelList)).to.have.length(1)
      proxy.reset()
      await h.act('container#1', 'stop')
      expect(proxy.requests().filter(r => r === labelList)).to.have.length(1)
      proxy.reset()
      expect((await h.status('container#1')).status).to.equal('down')
      expect(proxy.requests().filter(r => r === labelList)).to.have.length(1)
    })
  })

  describe('a whole `svcmgr start` (the CLI through the proxy)', () => {
    const cliSvc = `${SVC}cli`
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'perfa-cli-'))
    const cliNames = [1, 2].map(n => `${cliSvc}.container.${n}`)
    const svcmgr = async (args: string[], input?: string) => {
      const r = await execa(process.execPath, [BIN, '-s', cliSvc, ...args], {
        input,
        stdin: input === undefined ? 'ignore' : undefined,
        env: {SVCMGR_ROOT: root, SVCMGR_NODENAME: 'deb1', DOCKER_HOST: `unix://${proxy.socket}`, CI: 'true'},
        reject: false,
        timeout: 60_000,
      })
      expect(r.exitCode, `svcmgr ${args.join(' ')}: ${r.stderr}`).to.equal(0)
    }
    const removeCliContainers = () =>
      Promise.all(
        cliNames.map(n =>
          docker
            .getContainer(n)
            .remove({force: true})
            .catch(() => undefined),
        ),
      )

    before(async () => {
      await removeCliContainers()
      // svc2's shape: the second container joins the first one's network namespace
      const config = {
        DEFAULT: {id: '5d2c4e7a-1b3f-4a6e-8c9d-0e1f2a3b4c5d'},
        'container#1': {type: 'docker', image: 'google/pause'},
        'container#2': {type: 'docker', image: 'google/pause', netns: 'container#1'},
      }
      await svcmgr(['create', '--config=-', '--provision', '--local'], JSON.stringify(config))
      await svcmgr(['stop'])
    })
    after(async () => {
      await removeCliContainers()
      fs.rmSync(root, {recursive: true, force: true})
    })

    it("no ping after the plan's inspects; per container its start and two checks by id (no readiness inspect)", async () => {
      proxy.reset()
      await svcmgr(['start'])
      const cliIds = await Promise.all(cliNames.map(async n => (await docker.getContainer(n).inspect()).Id))
      for (const id of cliIds) expect((await docker.getContainer(id).inspect()).State.Running).to.equal(true)
      const named = (n: number) => `GET /containers/${cliSvc}.container.${n}/json`
      const started = (id: string) => [
        `POST /containers/${id}/start`,
        `GET /containers/${id}/json`,
        `GET /containers/${id}/json`,
      ]
      const sent = proxy.requests()
      // the plan observes both together (either order), then the tasks run one after the other
      expect(sent.slice(0, 2).sort()).to.deep.equal([named(1), named(2)].sort())
      expect(sent.slice(2)).to.deep.equal([
        // container#1: its state again (an action does not act on the plan's picture), its start, its checks
        named(1),
        ...started(cliIds[0]),
        // container#2: its state, the namespace it joins, its start, its checks
        named(2),
        named(1),
        ...started(cliIds[1]),
      ])
    })
  })
})
