// app readiness through svcmgr's test exports: exec on the host with the app's environment, tcp
// and http from the host, a readiness timeout failing the start; the probes are real.
import {expect} from 'chai'
import http from 'node:http'
import {mkdtempSync, rmSync} from 'node:fs'
import type net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {buildPlan, compileConfig, EventCollector, executePlan} from 'svcmgr/testing'
import {registration} from '../../src/hooks/drivers.js'

const plugins = [{plugin: 'svcmgr-plugin-app', registration}]

describe('svcmgr-plugin-app readiness', function () {
  this.timeout(30_000)
  let dir: string
  let server: http.Server
  let port: number

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'svcmgr-app-ready-'))
    server = http.createServer((req, res) => {
      res.statusCode = req.url === '/ok' ? 200 : 503
      res.end()
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as net.AddressInfo).port
  })
  afterEach(async () => {
    await new Promise(resolve => server.close(resolve))
    rmSync(dir, {recursive: true, force: true})
  })

  async function start(config: object) {
    const service = compileConfig(config, plugins, {name: 'rdyapp', varDir: path.join(dir, 'var')})
    const sink = new EventCollector()
    const r = await executePlan(buildPlan(service, 'start'), {
      service,
      settings: {root: dir, nodename: 'deb1'},
      sink,
    })
    return {...r, messages: sink.events.map(e => `${e.rid ?? ''} ${e.message}`)}
  }

  it('exec with the app environment, tcp and http from the host: ready, each logged', async () => {
    const r = await start({
      'app#1': {start: '/bin/true', environment: 'MARK=yes', readiness_probe: `exec:/bin/sh -c 'test "$MARK" = yes'`},
      'app#2': {start: '/bin/true', readiness_probe: `tcp:127.0.0.1:${port}`},
      'app#3': {start: '/bin/true', readiness_probe: `http://:${port}/ok`},
    })
    expect(r.ok, r.error).to.equal(true)
    expect(r.messages.some(m => /^app#1 ready: exec:.* after .*exit code 0\)$/.test(m))).to.equal(true)
    expect(r.messages.some(m => m.startsWith(`app#2 ready: tcp:127.0.0.1:${port} after`))).to.equal(true)
    expect(r.messages.some(m => /^app#3 ready: http:.* after .*HTTP 200\)$/.test(m))).to.equal(true)
  })

  it('an app not ready by its readiness_timeout fails the start with the last answer', async () => {
    const r = await start({
      'app#1': {
        start: '/bin/true',
        readiness_probe: `http://:${port}/down`,
        readiness_timeout: '200ms',
        readiness_interval: '20ms',
      },
    })
    expect(r.ok).to.equal(false)
    expect(r.tasks[0].message).to.match(
      /^not ready after [\d.]+s \(readiness_timeout 0\.2s\): http:\/\/:\d+\/down: HTTP 503 \(\d+ probes\)$/,
    )
  })

  it('refuses a probe the app driver cannot run (health)', () => {
    expect(() =>
      compileConfig({'app#1': {start: '/bin/true', readiness_probe: 'health'}}, plugins, {name: 'x', varDir: dir}),
    ).to.throw(/app#1\.readiness_probe: expected a probe this driver runs \(not health\): one of tcp:PORT/)
  })
})
