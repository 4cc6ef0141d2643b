import net from 'node:net'
import {expect} from 'chai'
import type {Driver, ProbeResult, ReadinessProbe} from '../../src/drivers/api.js'
import {DriverRegistry} from '../../src/drivers/registry.js'
import {executePlan} from '../../src/executor/execute.js'
import {EventCollector} from '../../src/log/events.js'
import {buildPlan} from '../../src/planner/plan.js'
import {formatPlanText} from '../../src/render/plan-text.js'
import {parseProbe} from '../../src/readiness/probe.js'
import {listeningAddress} from '../../src/readiness/runners.js'
import {gatherServiceStatus} from '../../src/status/status.js'
import {FakeHost, fake} from './fixtures/fake-drivers.js'
import {compileFixture} from './fixtures/services.js'

/** A container driver on the fake host whose probe answers from `answers` (rid → results in turn, the last repeated). */
function readyRegistry(host: FakeHost, answers: Map<string, ProbeResult[]>, seen: string[]) {
  const driver: Driver = fake(
    'container',
    'docker',
    [
      {name: 'image', help: 'image'},
      {name: 'netns', help: 'netns owner'},
    ],
    host,
    {
      isDefaultType: true,
      provides: r => [`netns:${r.rid}`],
      needs: r =>
        typeof r.kw.netns === 'string'
          ? [{capability: `netns:${r.kw.netns}`, reason: 'netns owner', gate: 'started' as const}]
          : [],
      capabilities: {
        readiness: {
          kinds: ['tcp', 'http', 'exec', 'health'],
          async probe(ctx, probe: ReadinessProbe) {
            const list = answers.get(ctx.resource.rid) ?? [{ready: true}]
            const r = list.length > 1 ? list.shift()! : list[0]
            seen.push(`probe ${ctx.resource.rid} ${probe.text} ${r.ready ? 'ready' : 'not-ready'}`)
            host.calls.push(`probe ${ctx.resource.rid}`)
            host.onCall?.(`probe ${ctx.resource.rid}`)
            return r
          },
        },
      },
    },
  )
  const registry = new DriverRegistry()
  registry.add('fake', {drivers: [driver]})
  return registry
}

function setup(conf: string, answers: Record<string, ProbeResult[]> = {}) {
  const host = new FakeHost()
  const seen: string[] = []
  const registry = readyRegistry(host, new Map(Object.entries(answers)), seen)
  const svc = compileFixture(conf, 'rdy', registry)
  const run = (opts: Parameters<typeof buildPlan>[3] = {}, signal?: AbortSignal) => {
    const sink = new EventCollector()
    return executePlan(buildPlan(svc, 'start', {}, opts), {
      service: svc,
      settings: {root: '/x', nodename: 'deb1'},
      sink,
      signal,
    }).then(r => ({...r, events: sink.events}))
  }
  return {host, seen, svc, run}
}

const refused: ProbeResult = {ready: false, detail: 'refused'}

const TWO_STAGES = [
  '[container#1]\nsubset = 00db\nreadiness_probe = tcp:6379\nreadiness_interval = 1ms\n',
  '[container#2]\nsubset = 01app\n',
  '[container#3]\nsubset = 01app\n',
  '[subset#container:01app]\nparallel = true\n',
].join('\n')

describe('readiness_probe values', () => {
  it('parses the probe forms', () => {
    const p = (raw: string) => {
      const r = parseProbe(raw)
      if (!r.ok) throw new Error(r.expected)
      return r.probe
    }
    expect(p('tcp:6379')).to.deep.equal({kind: 'tcp', text: 'tcp:6379', port: 6379})
    expect(p('tcp:db.local:5432')).to.deep.include({host: 'db.local', port: 5432})
    expect(p('tcp:[::1]:80')).to.deep.include({host: '::1', port: 80})
    expect(p('http://:80/')).to.deep.include({kind: 'http', port: 80, path: '/'})
    expect(p('http://10.0.0.1:8080/health?x=1')).to.deep.include({host: '10.0.0.1', port: 8080, path: '/health?x=1'})
    expect(p('http://:80')).to.deep.include({path: '/'})
    expect(p("exec:redis-cli -p 6379 'PING'")).to.deep.include({argv: ['redis-cli', '-p', '6379', 'PING']})
    expect(p('health').kind).to.equal('health')
    expect(p('none').kind).to.equal('none')
  })

  it('refuses bad values, saying what was expected', () => {
    for (const bad of [
      'tcp:abc',
      'tcp:0',
      'tcp:65536',
      'tcp:',
      'http://',
      'http://:x/',
      'http://host/',
      'exec:',
      'exec:  ',
      "exec:'a",
      'ping',
      '',
    ])
      expect(parseProbe(bad).ok, bad).to.equal(false)
    const r = parseProbe('tcp:abc')
    expect(r.ok === false && r.expected).to.match(
      /^a tcp probe with a port 1-65535: one of tcp:PORT or tcp:HOST:PORT, http:/,
    )
    // a driver that has no engine health refuses `health`
    const app = parseProbe('health', ['tcp', 'http', 'exec'])
    expect(app.ok === false && app.expected).to.match(/not health/)
  })

  it('is refused at compile naming container#2.readiness_probe and what was expected', () => {
    for (const bad of ['tcp:abc', 'http://', 'exec:'])
      expect(() => setup(`[container#1]\n[container#2]\nreadiness_probe = ${bad}\n`)).to.throw(
        new RegExp(`container#2\\.readiness_probe: expected .*, got "${bad.replace(/[/.]/g, '\\$&')}"`),
      )
    expect(() => setup('[container#1]\nreadiness_timeout = 0s\n')).to.throw(
      /container#1\.readiness_timeout: expected a duration longer than 0/,
    )
  })
})

describe('readiness gate (executor, fake drivers)', () => {
  it('starts a stage only once the previous one is ready, probing at once after the start', async () => {
    const {host, seen, run} = setup(TWO_STAGES, {'container#1': [refused, refused, {ready: true, detail: 'connected'}]})
    const r = await run()
    expect(r.ok, r.error).to.equal(true)
    const order = host.calls.filter(c => !c.startsWith('undo'))
    // the first probe comes straight after the start; no appserver starts before the third (ready) probe
    expect(order.slice(0, 4)).to.deep.equal([
      'start container#1',
      'probe container#1',
      'probe container#1',
      'probe container#1',
    ])
    expect(order.slice(4).sort()).to.deep.equal(['start container#2', 'start container#3'])
    expect(seen.at(-1)).to.equal('probe container#1 tcp:6379 ready')
    const ready = r.events.find(e => e.rid === 'container#1' && e.message.startsWith('ready: tcp:6379 after'))
    expect(ready, 'the ready event').to.not.equal(undefined)
  })

  it('the first probe runs right after the start, not after an interval (a 10 min interval never elapses in this test)', async () => {
    const {run} = setup('[container#1]\nreadiness_probe = tcp:1\nreadiness_interval = 10m\nreadiness_timeout = 20m\n')
    expect((await run()).ok).to.equal(true)
  })

  it('a dependency gated on "started" goes on before its provider is ready; the next stage still waits for both', async () => {
    const conf = [
      '[container#1]\nsubset = 00db\nreadiness_probe = tcp:1\nreadiness_interval = 1ms\n',
      '[container#2]\nsubset = 00db\nnetns = container#1\n',
      '[container#3]\nsubset = 01app\n',
    ].join('\n')
    const {host, run} = setup(conf, {'container#1': [refused, refused, refused, {ready: true}]})
    let startedBeforeReady = false
    host.onCall = call => {
      if (call === 'start container#2')
        startedBeforeReady =
          !host.calls.includes('probe container#1') || host.calls.filter(c => c === 'probe container#1').length < 4
    }
    const plan = buildPlan(setup(conf).svc, 'start')
    expect(plan.tasks[1].startedOnly).to.deep.equal([1])
    expect(formatPlanText(plan)).to.contain('[2] container#2  start  after [1 started]')
    const r = await run()
    expect(r.ok, r.error).to.equal(true)
    expect(startedBeforeReady, 'container#2 started while container#1 was not ready').to.equal(true)
    const calls = host.calls
    expect(calls.indexOf('start container#3')).to.be.greaterThan(calls.lastIndexOf('probe container#1'))
  })

  it('a resource not ready by its timeout fails the start and everything started is rolled back', async () => {
    const conf = [
      '[container#1]\nsubset = 00a\n',
      '[container#2]\nsubset = 01db\nreadiness_probe = tcp:6379\nreadiness_timeout = 30ms\nreadiness_interval = 5ms\n',
      '[container#3]\nsubset = 02app\n',
    ].join('\n')
    const {host, run} = setup(conf, {'container#2': [refused]})
    const r = await run()
    expect(r.ok).to.equal(false)
    const t2 = r.tasks.find(t => t.rid === 'container#2')!
    expect(t2.state).to.equal('failed')
    expect(t2.message).to.match(
      /^not ready after \d+(\.\d+)?s \(readiness_timeout 0\.03s\): tcp:6379: refused \(\d+ probes\)$/,
    )
    expect(r.error).to.match(/^container#2: not ready after/)
    expect(r.tasks.find(t => t.rid === 'container#3')!.state).to.equal('not-run')
    expect(host.calls.filter(c => c.startsWith('undo'))).to.deep.equal(['undo container#2', 'undo container#1'])
    expect([...host.up]).to.deep.equal([])
  })

  it('a probe answering that it never will be ready (the container exited) ends the wait at once', async () => {
    const {host, run} = setup('[container#1]\nreadiness_probe = tcp:1\nreadiness_interval = 10m\n', {
      'container#1': [{ready: false, detail: 'container x exited with code 1', final: true}],
    })
    const r = await run()
    expect(r.ok).to.equal(false)
    expect(r.tasks[0].message).to.match(/^not ready: tcp:1: container x exited with code 1 \(after .*, 1 probe\)$/)
    expect(host.calls.filter(c => c === 'probe container#1')).to.have.length(1)
  })

  it('an interrupted wait ends in a reported state and rolls back as a failure does', async () => {
    const ctl = new AbortController()
    const {host, run} = setup('[container#1]\nreadiness_probe = tcp:1\nreadiness_interval = 10m\n', {
      'container#1': [refused],
    })
    host.onCall = call => {
      if (call === 'probe container#1') setImmediate(() => ctl.abort('interrupted by SIGINT'))
    }
    const r = await run({}, ctl.signal)
    expect(r.ok).to.equal(false)
    expect(r.interrupted).to.equal('interrupted by SIGINT')
    expect(r.tasks[0].state).to.equal('failed')
    expect(r.tasks[0].message).to.match(
      /^not ready: interrupted by SIGINT after .* of its readiness wait \(tcp:1: refused; 1 probe\)$/,
    )
    expect(host.calls.filter(c => c.startsWith('undo'))).to.deep.equal(['undo container#1'])
  })

  it('--no-wait: no gate in the plan, no probe', async () => {
    const {host, svc, run} = setup(TWO_STAGES, {'container#1': [refused]})
    expect(buildPlan(svc, 'start', {}, {noWait: true}).tasks.some(t => t.readiness)).to.equal(false)
    expect(formatPlanText(buildPlan(svc, 'start'))).to.contain(
      'ready when: tcp:6379 (first probe at once, then every 0.001s, at most 60s)',
    )
    expect((await run({noWait: true})).ok).to.equal(true)
    expect(host.calls.filter(c => c.startsWith('probe'))).to.deep.equal([])
  })

  it('status: ready true/false under a probe, null without, and the "not ready" line', async () => {
    const {host, svc} = setup(
      '[container#1]\nreadiness_probe = tcp:6379\n[container#2]\nreadiness_probe = tcp:80\n[container#3]\n',
      {'container#1': [{ready: false, detail: 'refused'}], 'container#2': [{ready: true}]},
    )
    for (const rid of ['container#1', 'container#2', 'container#3']) host.up.add(rid)
    const s = await gatherServiceStatus(svc, {root: '/x', nodename: 'deb1'}, new EventCollector(), {frozen: false})
    expect(s.resources['container#1'].ready).to.equal(false)
    expect(s.resources['container#1'].status).to.equal('up')
    expect(s.resources['container#1'].log).to.deep.include({level: 'warn', message: 'not ready: tcp:6379: refused'})
    expect(s.resources['container#2'].ready).to.equal(true)
    expect(s.resources['container#3'].ready).to.equal(null)
    expect(s.avail).to.equal('up')
    expect(s.ready).to.equal(false)
  })
})

describe('readiness runners', () => {
  it("finds a namespace's listening socket from /proc/PID/net (here the test's own)", async () => {
    const server = net.createServer()
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as net.AddressInfo).port
    try {
      expect(await listeningAddress(process.pid, port)).to.deep.equal({address: '127.0.0.1'})
    } finally {
      await new Promise(resolve => server.close(resolve))
    }
    expect(await listeningAddress(process.pid, port)).to.deep.equal({none: `nothing listens on port ${port}`})
  })
})
