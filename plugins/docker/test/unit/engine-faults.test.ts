// Engine faults without an engine: the probe's reasons and engineCall's deadlines against real
// local sockets (missing, refused, silent), and which containers are ours by their labels.
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {probeAddress} from '../../src/engine/address.js'
import {ActionDeadline, CALL_TIMEOUT_MS, engineCall, EngineError, STOP_MARGIN_MS} from '../../src/engine/calls.js'
import {MAX_TIMER_MS, timerDelay} from '../../src/util/timers.js'
import {ownership} from '../../src/drivers/spec.js'

const SVC = {name: 'svc2', id: 'fd1196ad-fbf1-49bb-ab52-12ed2a1fbf0e'}

describe('engine probe: why an engine did not answer', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-probe-'))
  const silent: net.Socket[] = []
  let server: net.Server | undefined
  after(() => {
    for (const s of silent) s.destroy()
    server?.close()
    fs.rmSync(dir, {recursive: true, force: true})
  })

  it('socket missing', async () => {
    const sock = path.join(dir, 'absent.sock')
    expect(await probeAddress(`unix://${sock}`, 1000)).to.deep.equal({
      answering: false,
      kind: 'missing',
      reason: `docker daemon socket ${sock} missing`,
    })
  })

  it('connection refused', async () => {
    const sock = path.join(dir, 'refused.sock')
    execFileSync('python3', [
      '-c',
      'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()',
      sock,
    ])
    expect(await probeAddress(`unix://${sock}`, 1000)).to.deep.equal({
      answering: false,
      kind: 'refused',
      reason: `connection refused on ${sock}`,
    })
  })

  it('accepted and never answered', async () => {
    const sock = path.join(dir, 'silent.sock')
    server = net.createServer(s => void silent.push(s))
    await new Promise<void>(r => server!.listen(sock, r))
    expect(await probeAddress(`unix://${sock}`, 300)).to.deep.equal({
      answering: false,
      kind: 'timeout',
      reason: `docker daemon at ${sock} not answering after 0.3s`,
    })
  })
})

describe('engineCall: a deadline per request, the action signal, the reason in words', () => {
  const never = (signal: AbortSignal) =>
    new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))))

  it('no answer in time: names the call and the wait', async () => {
    const error = await engineCall(
      'docker stop svc2.container.1',
      'unix:///x/docker.sock',
      {timeoutMs: 200},
      never,
    ).catch(e => e)
    expect(error).to.be.instanceOf(EngineError)
    expect(error.message).to.equal(
      'docker stop svc2.container.1: docker daemon at /x/docker.sock not answering after 0.2s',
    )
    expect(error.unreachable).to.equal(true)
  })

  it('the action signal cancels the request in flight: interrupted', async () => {
    const c = new AbortController()
    let cancelled = false
    setTimeout(() => c.abort(), 50)
    const error = await engineCall('docker inspect x', 'unix:///x.sock', {timeoutMs: 60_000, signal: c.signal}, s => {
      s.addEventListener('abort', () => (cancelled = true))
      return never(s)
    }).catch(e => e)
    expect(error.message).to.equal('docker inspect x: interrupted')
    expect(cancelled).to.equal(true)
  })

  it("the action's overall deadline names the action", async () => {
    const d = new ActionDeadline('start svc2.container.1', 100, new AbortController().signal)
    try {
      const error = await engineCall(
        'docker inspect x',
        'unix:///x.sock',
        {timeoutMs: 60_000, signal: d.signal},
        never,
      ).catch(e => e)
      expect(error.message).to.equal('docker inspect x: start svc2.container.1 not done within 0.1s')
    } finally {
      d.dispose()
    }
  })

  it('a socket error becomes its reason; an engine answer keeps its status code', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED /x.sock'), {code: 'ECONNREFUSED'})
    expect(
      (await engineCall('docker ps', 'unix:///x.sock', {timeoutMs: 1000}, () => Promise.reject(refused)).catch(e => e))
        .message,
    ).to.equal('docker ps: connection refused on /x.sock')
    const denied = Object.assign(new Error('connect EACCES /x.sock'), {code: 'EACCES'})
    expect(
      (await engineCall('docker ps', 'unix:///x.sock', {timeoutMs: 1000}, () => Promise.reject(denied)).catch(e => e))
        .message,
    ).to.equal('docker ps: permission denied on /x.sock')
    const notFound = Object.assign(new Error('(HTTP code 404) no such container - No such container: x '), {
      statusCode: 404,
      json: {message: 'No such container: x'},
    })
    const e = await engineCall('docker inspect x', 'unix:///x.sock', {timeoutMs: 1000}, () =>
      Promise.reject(notFound),
    ).catch(err => err)
    expect([e.message, e.statusCode, e.unreachable]).to.deep.equal([
      'docker inspect x: No such container: x',
      404,
      false,
    ])
  })
})

describe("deadlines past Node's longest timer (2^31-1 ms)", () => {
  // a duration at its bound (2^31-1 ms, MAX_DURATION_MS) plus the plugin's margins: Node would fire such a timer at once
  const STOP_TIMEOUT_AT_BOUND = 2 ** 31 - 1
  const later = <T>(value: T, ms = 100) => new Promise<T>(r => setTimeout(() => r(value), ms))

  it('timerDelay keeps a delay within 0 .. 2^31-1', () => {
    expect([
      timerDelay(-5),
      timerDelay(1500),
      timerDelay(MAX_TIMER_MS + 1),
      timerDelay(Number.POSITIVE_INFINITY),
    ]).to.deep.equal([0, 1500, MAX_TIMER_MS, MAX_TIMER_MS])
  })

  it('a request under stop_timeout + the stop margin waits for its answer instead of failing at once', async () => {
    expect(
      await engineCall('docker stop x', 'unix:///x.sock', {timeoutMs: STOP_TIMEOUT_AT_BOUND + STOP_MARGIN_MS}, () =>
        later('stopped'),
      ),
    ).to.equal('stopped')
  })

  it("an action's overall bound of start_timeout + the call timeout does not abort at once, nor once extended", async () => {
    const d = new ActionDeadline('start x', STOP_TIMEOUT_AT_BOUND + CALL_TIMEOUT_MS, new AbortController().signal)
    try {
      await later(undefined)
      d.extend(STOP_TIMEOUT_AT_BOUND)
      await later(undefined)
      expect(d.signal.aborted, String(d.signal.reason)).to.equal(false)
    } finally {
      d.dispose()
    }
  })
})

describe('ownership: only containers labelled for this service, id and rid', () => {
  const labels = {'com.svcmgr.service': 'svc2', 'com.svcmgr.rid': 'container#1', 'com.svcmgr.id': SVC.id}

  it('ours: service, id and rid match', () => {
    expect(ownership(labels, 'svc2.container.1', SVC, 'container#1')).to.deep.equal({owned: true})
  })

  it('ours: made by an older svcmgr (service and rid, no id label)', () => {
    expect(
      ownership(
        {'com.svcmgr.service': 'svc2', 'com.svcmgr.rid': 'container#1'},
        'svc2.container.1',
        SVC,
        'container#1',
      ),
    ).to.deep.equal({owned: true})
  })

  it('foreign: no labels, another id, another service, another rid', () => {
    expect(ownership(undefined, 'svc2.container.1', SVC, 'container#1')).to.deep.equal({
      owned: false,
      reason: `container svc2.container.1 exists but was not created by svcmgr for svc2 container#1 (id ${SVC.id}; it has no com.svcmgr labels): remove or rename it`,
    })
    expect(ownership({...labels, 'com.svcmgr.id': 'other'}, 'svc2.container.1', SVC, 'container#1')).to.deep.include({
      owned: false,
    })
    expect(
      ownership({...labels, 'com.svcmgr.service': 'svc3'}, 'svc2.container.1', SVC, 'container#1'),
    ).to.deep.include({owned: false})
    const r = ownership(labels, 'svc2.container.1', SVC, 'container#2')
    expect(r.owned).to.equal(false)
    expect(!r.owned && r.reason).to.include(
      `labels com.svcmgr.service=svc2, com.svcmgr.rid=container#1, com.svcmgr.id=${SVC.id}`,
    )
  })
})
