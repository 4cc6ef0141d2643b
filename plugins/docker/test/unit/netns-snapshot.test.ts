// The netns capability (what ip.netns asks its holder container): a read-only pass (status)
// asks with `snapshot` and shares one inspect per container for the whole command, until this
// process changes the engine; an action's look is always its own. A fake engine on a local
// socket answers /_ping and the container's inspect, and counts the inspects.
// Also: a large status reads the containers created from an image id (pinned) from the list alone.
import fs from 'node:fs'
import {setMaxListeners} from 'node:events'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {createDriverContext, createDriverHarness, type ContextShared, EventCollector} from 'svcmgr/testing'
import {noteEngineChange} from '../../src/engine/containers.js'
import {registration} from '../../src/hooks/drivers.js'

const NAME = 'hns'
/** A command's signal, as many resources of a large service listen on it at once. */
const quietSignal = () => {
  const signal = new AbortController().signal
  setMaxListeners(0, signal)
  return signal
}
const HOLDER = `${NAME}.container.1`
const PAUSE_ID = `sha256:${'6'.repeat(64)}`

class FakeEngine {
  readonly socket: string
  inspects = 0
  lists = 0
  /** The rows of the service's label-filtered list (a large service's status sends one). */
  rows: {name: string; state: string; image?: string; imageLabel?: string}[] = []
  /** Inspects of listed containers by id (a status the list row could not answer). */
  rowInspects: string[] = []
  /** The holder's inspect: undefined is "no such container". */
  holder: {Running: boolean; Pid: number} | undefined
  private readonly server: http.Server
  constructor(dir: string) {
    this.socket = path.join(dir, 'engine.sock')
    this.server = http.createServer((req, res) => {
      const url = req.url ?? ''
      if (url.endsWith('/_ping')) return void res.end('OK')
      if (url.startsWith('/containers/json') || url.includes('/containers/json?')) {
        this.lists++
        return void res.setHeader('Content-Type', 'application/json').end(
          JSON.stringify(
            this.rows.map(r => ({
              Id: r.name.replace(/\D/g, '').padStart(64, 'e'),
              Names: [`/${r.name}`],
              Image: r.image ?? 'google/pause',
              State: r.state,
              Status: r.state,
              Labels: {
                'com.svcmgr.service': NAME,
                'com.svcmgr.rid': `container#${r.name.split('.').pop()}`,
                ...(r.imageLabel ? {'com.svcmgr.image': r.imageLabel} : {}),
              },
            })),
          ),
        )
      }
      if (url.endsWith(`/containers/${HOLDER}/json`)) {
        this.inspects++
        if (!this.holder) return void res.writeHead(404).end(JSON.stringify({message: `No such container: ${HOLDER}`}))
        return void res.setHeader('Content-Type', 'application/json').end(
          JSON.stringify({
            Id: 'f'.repeat(64),
            Name: `/${HOLDER}`,
            Config: {Labels: {'com.svcmgr.service': NAME, 'com.svcmgr.rid': 'container#1'}},
            State: {Status: this.holder.Running ? 'running' : 'exited', Restarting: false, ...this.holder},
          }),
        )
      }
      const row = this.rows.find(r => url.endsWith(`/containers/${r.name.replace(/\D/g, '').padStart(64, 'e')}/json`))
      if (row) {
        this.rowInspects.push(row.name)
        return void res.setHeader('Content-Type', 'application/json').end(
          JSON.stringify({
            Id: row.name.replace(/\D/g, '').padStart(64, 'e'),
            Name: `/${row.name}`,
            Image: PAUSE_ID,
            Config: {
              Image: row.image ?? 'google/pause',
              Labels: {'com.svcmgr.service': NAME, ...(row.imageLabel ? {'com.svcmgr.image': row.imageLabel} : {})},
            },
            HostConfig: {NetworkMode: 'none'},
            State: {Status: row.state, Running: false, Restarting: false, Paused: false, ExitCode: 0, Pid: 0},
          }),
        )
      }
      res.writeHead(500).end(JSON.stringify({message: `unexpected ${req.method} ${url}`}))
    })
  }
  listen(): Promise<void> {
    return new Promise(r => this.server.listen(this.socket, r))
  }
  close(): Promise<void> {
    this.server.closeAllConnections()
    return new Promise(r => this.server.close(() => r()))
  }
}

/** A fake engine listening in a temp dir of its own for each test of the block, closed and removed after it. */
function fakeEngineEach(prefix: string, use: (dir: string, engine: FakeEngine) => void): void {
  let dir = ''
  let engine: FakeEngine | undefined
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
    engine = new FakeEngine(dir)
    await engine.listen()
    use(dir, engine)
  })
  afterEach(async () => {
    await engine?.close()
    fs.rmSync(dir, {recursive: true, force: true})
  })
}

/** A service of 100 google/pause containers and the shared context of one read-only pass over it. */
function largePass(
  dir: string,
  engine: FakeEngine,
): {h: ReturnType<typeof createDriverHarness>; shared: ContextShared} {
  const config = Object.fromEntries(
    Array.from({length: 100}, (_, i) => [`container#${i + 1}`, {type: 'docker', image: 'google/pause'}]),
  )
  const h = createDriverHarness({
    config,
    registrations: [{plugin: '@svcmgr/plugin-docker', registration}],
    name: NAME,
    root: dir,
  })
  const shared: ContextShared = {
    service: h.service,
    settings: {root: dir, nodename: h.service.nodename, dockerHost: `unix://${engine.socket}`},
    sink: new EventCollector(),
    signal: quietSignal(),
    cache: new Map(),
  }
  return {h, shared}
}

describe('container.docker netns capability: one inspect per read-only command', () => {
  let dir: string
  let engine: FakeEngine
  const config = {'container#1': {type: 'docker', image: 'google/pause'}}
  const registrations = [{plugin: '@svcmgr/plugin-docker', registration}]

  fakeEngineEach('svcmgr-hns-', (d, e) => {
    dir = d
    engine = e
  })

  it('a snapshot answer serves until this process changes the engine; an action always looks', async () => {
    const h = createDriverHarness({config, registrations, name: NAME, root: dir})
    const shared: ContextShared = {
      service: h.service,
      settings: {root: dir, nodename: h.service.nodename, dockerHost: `unix://${engine.socket}`},
      sink: new EventCollector(),
      signal: new AbortController().signal,
      cache: new Map(),
    }
    const holder = h.service.resource('container#1')!
    const netns = holder.driver.capabilities!.netns!
    const ctx = () => createDriverContext(shared, holder)
    engine.holder = {Running: true, Pid: 4242}
    const answers = await Promise.all(Array.from({length: 10}, () => netns(ctx(), {snapshot: true})))
    expect(engine.inspects).to.equal(1)
    for (const a of answers) expect(a).to.deep.equal({pid: 4242, path: '/proc/4242/ns/net'})
    // an action's look is its own
    expect(await netns(ctx())).to.deep.equal({pid: 4242, path: '/proc/4242/ns/net'})
    expect(engine.inspects).to.equal(2)
    // the holder stops: a snapshot taken before a change of this process is not answered after it
    engine.holder = {Running: false, Pid: 0}
    expect(await netns(ctx(), {snapshot: true})).to.deep.equal({pid: 4242, path: '/proc/4242/ns/net'})
    noteEngineChange(shared.cache, `unix://${engine.socket}`)
    expect(await netns(ctx(), {snapshot: true})).to.equal(undefined)
    expect(await netns(ctx(), {snapshot: true})).to.equal(undefined)
    expect(engine.inspects).to.equal(3)
  })

  it('a large service: holders the list shows absent or stopped are not inspected; a running one is', async () => {
    const {h, shared} = largePass(dir, engine)
    // container#1 runs, #2 exited, the other 98 absent
    engine.rows = [
      {name: HOLDER, state: 'running'},
      {name: `${NAME}.container.2`, state: 'exited'},
    ]
    engine.holder = {Running: true, Pid: 4242}
    const ask = (rid: string) =>
      h.service.resource(rid)!.driver.capabilities!.netns!(createDriverContext(shared, h.service.resource(rid)!), {
        snapshot: true,
      })
    const answers = await Promise.all(Array.from({length: 100}, (_, i) => ask(`container#${i + 1}`)))
    expect(answers[0]).to.deep.equal({pid: 4242, path: '/proc/4242/ns/net'})
    expect(answers.slice(1)).to.deep.equal(Array.from({length: 99}, () => undefined))
    // the label-filtered list, then one by name for the 98 it does not show (it would find foreign ones)
    expect(engine.lists, 'two lists for the 100').to.equal(2)
    expect(engine.inspects, 'only the running holder inspected').to.equal(1)
  })
})

describe('container.docker prefetch: a large status pass list sent before the config compiles', () => {
  let dir: string
  let engine: FakeEngine
  const registrations = [{plugin: '@svcmgr/plugin-docker', registration}]
  const many = (n: number) =>
    Object.fromEntries(
      Array.from({length: n}, (_, i) => [`container#${i + 1}`, {type: 'docker', image: 'google/pause'}]),
    )
  const sections = (n: number) =>
    Array.from({length: n}, (_, i) => ({
      rid: `container#${i + 1}`,
      group: 'container',
      index: String(i + 1),
      kw: {type: 'docker', image: 'google/pause'},
    }))
  const prefetch = registration.drivers.find(d => d.group === 'container' && d.type === 'docker')!.prefetch!

  fakeEngineEach('svcmgr-hpf-', (d, e) => {
    dir = d
    engine = e
  })

  it("sends the service's list at once; the pass's status of every container joins it", async () => {
    const settings = {root: dir, nodename: 'deb1', dockerHost: `unix://${engine.socket}`}
    const cache = new Map<string, unknown>()
    const sent = prefetch({service: {name: NAME, varDir: dir}, defaults: {}, sections: sections(100), settings, cache})
    expect(sent, 'a promise of the request written').to.be.instanceOf(Promise)
    await sent
    await new Promise(r => setTimeout(r, 50))
    expect(engine.lists, 'the label list and the one by name, before any status').to.equal(2)
    const h = createDriverHarness({config: many(100), registrations, name: NAME, root: dir})
    const shared: ContextShared = {
      service: h.service,
      settings,
      sink: new EventCollector(),
      signal: quietSignal(),
      cache,
    }
    const statuses = await Promise.all(h.service.resources.map(r => r.driver.status(createDriverContext(shared, r))))
    for (const [i, st] of statuses.entries()) {
      expect(st.status).to.equal('down')
      expect(st.log?.[0]?.message).to.equal(`container ${NAME}.container.${i + 1} does not exist`)
    }
    expect(engine.lists, 'no list of its own').to.equal(2)
  })

  it('sends nothing for a small service (it inspects by name) or one with a private daemon', async () => {
    const settings = {root: dir, nodename: 'deb1', dockerHost: `unix://${engine.socket}`}
    const ask = (n: number, defaults: Record<string, string>) =>
      prefetch({service: {name: NAME, varDir: dir}, defaults, sections: sections(n), settings, cache: new Map()})
    expect(ask(64, {})).to.equal(undefined)
    expect(ask(100, {docker_daemon_private: 'true'})).to.equal(undefined)
    expect(ask(100, {docker_data_dir: '/srv/docker'})).to.equal(undefined)
    await new Promise(r => setTimeout(r, 50))
    expect(engine.lists + engine.inspects).to.equal(0)
  })
})

describe('container.docker status of a large service: pinned containers read from the list alone', () => {
  let dir: string
  let engine: FakeEngine

  fakeEngineEach('svcmgr-hpl-', (d, e) => {
    dir = d
    engine = e
  })

  it('the list row shows the image id; the label names the configured image; another image is inspected', async () => {
    const {h, shared} = largePass(dir, engine)
    // 1-97 made from the id (the engine's row says the id), 98 made before the label (by name),
    // 99 labelled with another image (the config changed since), 100 made from an id without the label
    engine.rows = Array.from({length: 97}, (_, i) => ({
      name: `${NAME}.container.${i + 1}`,
      state: 'created',
      image: PAUSE_ID,
      imageLabel: 'google/pause',
    }))
    engine.rows.push(
      {name: `${NAME}.container.98`, state: 'created'},
      {name: `${NAME}.container.99`, state: 'created', image: PAUSE_ID, imageLabel: 'busybox'},
      {name: `${NAME}.container.100`, state: 'created', image: PAUSE_ID},
    )
    const statuses = await Promise.all(h.service.resources.map(r => r.driver.status(createDriverContext(shared, r))))
    for (const st of statuses) expect(st.status).to.equal('down')
    expect(engine.lists, 'one list answers them all').to.equal(1)
    expect(engine.rowInspects.sort()).to.deep.equal([`${NAME}.container.100`, `${NAME}.container.99`])
    const messages = (rid: string) =>
      (statuses[h.service.resources.findIndex(r => r.rid === rid)].log ?? []).map(l => l.message)
    expect(messages('container#99').join('\n')).to.include(
      'the container runs image busybox, the configuration says google/pause',
    )
    expect(messages('container#1').join('\n')).to.not.include('runs image')
    expect(messages('container#98').join('\n')).to.not.include('runs image')
  })
})
