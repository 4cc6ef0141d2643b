// The holder's network namespace as status asks it: one inspect of the holder per command for
// every ip.netns in its namespace (a read-only pass), each still answered right (the docker side
// of it: plugins/docker/test/unit/netns-snapshot.test.ts). A fake engine on a local socket
// answers /_ping and the holder's inspect, and counts them.
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {createDriverHarness} from 'svcmgr/testing'
import {registration as dockerRegistration} from '../../../docker/src/hooks/drivers.js'
import {registration} from '../../src/hooks/drivers.js'

const NAME = 'hns'
const HOLDER = `${NAME}.container.1`

class FakeEngine {
  readonly socket: string
  inspects = 0
  private readonly server: http.Server
  constructor(dir: string) {
    this.socket = path.join(dir, 'engine.sock')
    this.server = http.createServer((req, res) => {
      const url = req.url ?? ''
      if (url.endsWith('/_ping')) return void res.end('OK')
      if (url.endsWith(`/containers/${HOLDER}/json`)) {
        this.inspects++
        return void res.writeHead(404).end(JSON.stringify({message: `No such container: ${HOLDER}`}))
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

describe("ip.netns: the holder's namespace, one look per command", () => {
  let dir: string
  let engine: FakeEngine
  const N = 30
  const config: Record<string, Record<string, string>> = {'container#1': {type: 'docker', image: 'google/pause'}}
  for (let i = 1; i <= N; i++)
    config[`ip#${i}`] = {type: 'netns', netns: 'container#1', ipdev: 'eth0', ipname: `10.1.0.${i}`, netmask: '16'}
  const registrations = [
    {plugin: '@svcmgr/plugin-docker', registration: dockerRegistration},
    {plugin: '@svcmgr/plugin-ip', registration},
  ]

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-hns-'))
    engine = new FakeEngine(dir)
    await engine.listen()
  })
  afterEach(async () => {
    await engine.close()
    fs.rmSync(dir, {recursive: true, force: true})
  })

  it("status of every address in a holder's namespace inspects the holder once, each answered", async () => {
    const h = createDriverHarness({
      config,
      registrations,
      name: NAME,
      root: dir,
      dockerHost: `unix://${engine.socket}`,
    })
    const all = await Promise.all(Array.from({length: N}, (_, k) => h.status(`ip#${k + 1}`)))
    expect(engine.inspects).to.equal(1)
    all.forEach((st, k) =>
      expect(st, `ip#${k + 1}`).to.deep.equal({
        status: 'down',
        label: `netns bridge 10.1.0.${k + 1}/16 eth0@container#1`,
        log: [{level: 'info', message: 'container#1 is down: no network namespace to plumb in'}],
      }),
    )
    // another command looks again
    h.newCommand()
    await h.status('ip#1')
    expect(engine.inspects).to.equal(2)
  })
})
