// The engine event stream of the watch capability (src/engine/events.ts) against a stand-in
// engine: a real HTTP server on a unix socket answering GET /events as dockerd does (one JSON
// object per line, kept open). Events are dispatched by the labels (service, rid, id), the
// engine is asked to filter, and a stream the engine closes is opened again, with a resync.
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {
  describeEvent,
  eventsPath,
  JsonLines,
  subscribeEngineEvents,
  type ContainerEvent,
} from '../../src/engine/events.js'

const labels = (service: string, rid: string, id?: string) => ({
  'com.svcmgr.service': service,
  'com.svcmgr.rid': rid,
  ...(id ? {'com.svcmgr.id': id} : {}),
})

const until = async (what: string, probe: () => boolean) => {
  const deadline = Date.now() + 20_000
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 10))
  }
}

describe('docker engine events (watch capability)', () => {
  it('splits the stream into JSON objects, a partial line kept for the next chunk', () => {
    const lines = new JsonLines()
    expect(lines.push('{"a":1}\n{"b"')).to.deep.equal([{a: 1}])
    expect(lines.push(':2}\n\nnot json\n{"c":3}\n')).to.deep.equal([{b: 2}, {c: 3}])
  })

  it('asks the engine for the down events of svcmgr-labelled containers only', () => {
    const filters = JSON.parse(decodeURIComponent(eventsPath().split('filters=')[1]))
    expect(filters).to.deep.equal({
      type: ['container'],
      label: ['com.svcmgr.service'],
      event: ['die', 'oom', 'destroy'],
    })
    expect(describeEvent('die', {name: 's.container.1', exitCode: '137'})).to.equal(
      'container s.container.1 died (exit code 137)',
    )
    expect(describeEvent('oom', {name: 's.container.1'})).to.equal('container s.container.1 ran out of memory (oom)')
  })

  describe('against a stand-in engine', () => {
    let dir: string
    let server: http.Server
    let streams: http.ServerResponse[]
    let requests: string[]
    const socket = () => path.join(dir, 'docker.sock')
    const send = (e: unknown) => streams.at(-1)!.write(JSON.stringify(e) + '\n')

    beforeEach(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-events-'))
      streams = []
      requests = []
      server = http.createServer((req, res) => {
        requests.push(req.url ?? '')
        if (req.url?.startsWith('/_ping')) return void res.end('OK')
        res.writeHead(200, {'Content-Type': 'application/json'})
        res.flushHeaders()
        streams.push(res)
      })
      await new Promise<void>(r => server.listen(socket(), r))
    })

    afterEach(async () => {
      for (const s of streams) s.destroy()
      server.closeAllConnections()
      await new Promise(r => server.close(r))
      fs.rmSync(dir, {recursive: true, force: true})
    })

    it('dispatches each event to the resource its labels name (and its id), one stream for all', async () => {
      const address = `unix://${socket()}`
      const got: Record<string, ContainerEvent[]> = {a: [], b: [], other: []}
      const stop = new AbortController()
      subscribeEngineEvents(
        address,
        {service: 's', rid: 'container#1', id: 'id1', onEvent: e => got.a.push(e)},
        stop.signal,
      )
      subscribeEngineEvents(
        address,
        {service: 's', rid: 'container#2', id: 'id1', onEvent: e => got.b.push(e)},
        stop.signal,
      )
      await until('the stream', () => streams.length === 1)
      expect(requests.filter(r => r.startsWith('/events'))).to.have.length(1)
      send({
        Type: 'container',
        Action: 'die',
        Actor: {Attributes: {...labels('s', 'container#1', 'id1'), name: 's.container.1', exitCode: '137'}},
      })
      // another service's container, and one of the same name and rid with another id: not ours
      send({
        Type: 'container',
        Action: 'die',
        Actor: {Attributes: {...labels('t', 'container#1'), name: 't.container.1'}},
      })
      send({
        Type: 'container',
        Action: 'die',
        Actor: {Attributes: {...labels('s', 'container#2', 'other'), name: 's.container.2'}},
      })
      send({
        Type: 'container',
        Action: 'oom',
        Actor: {Attributes: {...labels('s', 'container#2'), name: 's.container.2'}},
      })
      await until('the events', () => got.a.length === 1 && got.b.length === 1)
      expect(got.a).to.deep.equal([{event: 'die', message: 'container s.container.1 died (exit code 137)'}])
      expect(got.b).to.deep.equal([{event: 'oom', message: 'container s.container.2 ran out of memory (oom)'}])
      stop.abort()
      await until('the stream closed once nobody watches', () => streams[0].closed || streams[0].destroyed)
    })

    it('opens the stream again after the engine ended it, and tells the subscriber to resync', async () => {
      const address = `unix://${socket()}`
      const got: ContainerEvent[] = []
      const troubles: string[] = []
      const stop = new AbortController()
      subscribeEngineEvents(
        address,
        {service: 's', rid: 'container#1', id: 'id1', onEvent: e => got.push(e), onTrouble: m => troubles.push(m)},
        stop.signal,
      )
      await until('the stream', () => streams.length === 1)
      streams[0].end()
      await until('a second stream', () => streams.length === 2)
      await until('the resync', () => got.some(e => e.event === 'resync'))
      expect(troubles[0]).to.match(/ended the event stream; reconnecting/)
      send({
        Type: 'container',
        Action: 'die',
        Actor: {Attributes: {...labels('s', 'container#1'), name: 's.container.1'}},
      })
      await until('an event on the new stream', () => got.some(e => e.event === 'die'))
      stop.abort()
    })
  })
})
