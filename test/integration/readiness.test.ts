/**
 * Readiness on a real engine: a database stand-in that listens only after a delay gates the
 * appserver subset (read from the engine's event and log times, and from the appservers
 * themselves), http in a shared network namespace, exec inside a container, the image's
 * HEALTHCHECK, and a container that never becomes ready (the start fails and rolls back).
 */
import {expect} from 'chai'
import {execa} from 'execa'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  CliSandbox,
  docker,
  engineEvents,
  inspectContainer,
  removeServiceContainers,
  requireEngine,
} from './support/cli.js'

const name = (tag: string) => `rdyf${process.pid}${tag}`

/** A container running a busybox shell script (the stand-in image's entrypoint replaced). */
function shContainer(n: number, script: string, extra: Record<string, string> = {}): string {
  const lines = [
    `[container#${n}]`,
    'type = docker',
    'image = opensvc/busybox:date',
    'run_args = --entrypoint sh',
    `run_command = -c ${JSON.stringify(`trap 'exit 0' TERM INT; ${script}`)}`,
    ...Object.entries(extra).map(([k, v]) => `${k} = ${v}`),
  ]
  return lines.join('\n') + '\n'
}

const FOREVER = 'while :; do sleep 1 & wait $!; done'

/** docker logs -t: each line with the engine's own time of it, in nanoseconds. */
async function timedLogs(container: string): Promise<Array<{timeNano: bigint; text: string}>> {
  const out = await docker(['logs', '-t', container])
  return out
    .split('\n')
    .filter(Boolean)
    .map(l => {
      const [stamp, ...rest] = l.split(' ')
      const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(stamp)
      if (!m) throw new Error(`not a docker logs timestamp: ${stamp}`)
      const nanos = BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0').slice(0, 9))
      return {timeNano: nanos, text: rest.join(' ')}
    })
}

interface JsonResult {
  ok: boolean
  error?: string
  events: Array<{rid?: string; message: string; time: string}>
  rollback: Array<{rid: string}>
}

describe('readiness on a real engine', function () {
  this.timeout(180_000)
  const cli = new CliSandbox('rdyf')
  const services: string[] = []
  const healthImage = `${name('health')}:latest`
  const buildDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdyf-build-'))

  before(requireEngine)
  after(async () => {
    await removeServiceContainers(...services)
    await execa('docker', ['rmi', '-f', healthImage], {reject: false})
    fs.rmSync(buildDir, {recursive: true, force: true})
    cli.cleanup()
  })

  it('no appserver starts before the database listens; status says "not ready" while it waits', async () => {
    const svc = name('db')
    services.push(svc)
    const conf = [
      // the database: listens 3 s after its start, saying so in its log just before
      shContainer(1, `sleep 3; echo about to listen on 6379; nc -ll -p 6379 -e true & ${FOREVER}`, {
        subset: '00database',
        readiness_probe: 'tcp:6379',
      }),
      // the appservers share its namespace and record whether it listened when they started
      ...[2, 3].map(n =>
        shContainer(
          n,
          `if nc -w 2 127.0.0.1 6379 </dev/null; then echo db-listening; else echo db-not-listening; fi; ${FOREVER}`,
          {subset: '01appservers', netns: 'container#1'},
        ),
      ),
      '[subset#container.docker:01appservers]\nparallel = true\n',
    ].join('\n')
    await cli.ok(['-s', svc, 'create', '--config=-'], {input: conf})
    const since = new Date(Date.now() - 1000)
    const start = cli.run(['-s', svc, 'start'])
    let settled = false
    void start.then(() => (settled = true))
    // probe the status during the wait: the database up, not ready
    const seen: Array<{status: string; ready: unknown; log: string[]}> = []
    while (!settled) {
      const r = await cli.run(['-s', svc, 'print', 'status', '--format', 'json'])
      if (r.exitCode === 0) {
        const c1 = JSON.parse(r.stdout).resources['container#1']
        seen.push({status: c1.status, ready: c1.ready, log: c1.log.map((l: {message: string}) => l.message)})
      }
    }
    const r = await start
    expect(r.exitCode, r.stderr).to.equal(0)
    const waiting = seen.find(s => s.status === 'up' && s.ready === false)
    expect(waiting, `a status while it waited: ${JSON.stringify(seen)}`).to.not.equal(undefined)
    expect(waiting!.log).to.include('not ready: tcp:6379: nothing listens on port 6379')

    const events = await engineEvents(since, new Date(), `${svc}.container.`)
    const listening = (await timedLogs(`${svc}.container.1`)).find(l => l.text === 'about to listen on 6379')
    expect(listening, 'the database log line').to.not.equal(undefined)
    for (const n of [2, 3]) {
      const started = events.find(e => e.action === 'start' && e.name === `${svc}.container.${n}`)
      expect(started, `the start event of container ${n}`).to.not.equal(undefined)
      expect(started!.timeNano > listening!.timeNano, `container ${n} started after the database's line`).to.equal(true)
      const logs = (await timedLogs(`${svc}.container.${n}`)).map(l => l.text)
      expect(logs, `container ${n} found the database listening`).to.include('db-listening')
    }
    const status = JSON.parse((await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'])).stdout)
    expect(status.resources['container#1'].ready).to.equal(true)
    expect(status.resources['container#2'].ready).to.equal(null)
    expect(status.ready).to.equal(true)
    await cli.ok(['-s', svc, 'stop'])
  })

  it('http://:80/ through a shared network namespace: the namespace owner is ready when the nginx joining it serves', async () => {
    const svc = name('web')
    services.push(svc)
    const conf = [
      '[container#1]\ntype = docker\nimage = google/pause:latest\nreadiness_probe = http://:80/\n',
      '[container#2]\ntype = docker\nimage = nginx:latest\nnetns = container#1\nreadiness_probe = http://:80/index.html\n',
    ].join('\n')
    await cli.ok(['-s', svc, 'create', '--config=-'], {input: conf})
    const plan = (await cli.ok(['-s', svc, 'start', '--dry-run'])).stdout
    expect(plan).to.contain('[2] container#2  create (absent)  after [1 started]')
    expect(plan).to.contain(
      "ready when: GET / on port 80 (where it listens) in the container's network namespace answers 2xx/3xx",
    )
    const r = await cli.run(['-s', svc, 'start', '--format', 'json'])
    const result = JSON.parse(r.stdout) as JsonResult
    expect(result.ok, result.error).to.equal(true)
    for (const rid of ['container#1', 'container#2'])
      expect(
        result.events.some(e => e.rid === rid && /^ready: http:\/\/:80\/\S* after .*HTTP 200\)$/.test(e.message)),
        `${rid} ready event`,
      ).to.equal(true)
    await cli.ok(['-s', svc, 'stop'])
  })

  it('exec: runs inside the container; status reports its last answer', async () => {
    const svc = name('exec')
    services.push(svc)
    const conf = [
      shContainer(1, `sleep 1; touch /tmp/ready; ${FOREVER}`, {readiness_probe: 'exec:test -e /tmp/ready'}),
      shContainer(2, FOREVER, {readiness_probe: 'exec:test -e /tmp/never'}),
    ].join('\n')
    await cli.ok(['-s', svc, 'create', '--config=-'], {input: conf})
    const r = JSON.parse(
      (await cli.run(['-s', svc, 'start', '--rid', 'container#1', '--format', 'json'])).stdout,
    ) as JsonResult
    expect(r.ok, r.error).to.equal(true)
    expect(
      r.events.some(
        e => e.rid === 'container#1' && /^ready: exec:test -e \/tmp\/ready after .*exit code 0\)$/.test(e.message),
      ),
    ).to.equal(true)
    // --no-wait: started is enough, whatever the probe says; status then says it is not ready
    await cli.ok(['-s', svc, 'start', '--rid', 'container#2', '--no-wait'])
    const status = JSON.parse((await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'])).stdout)
    expect(status.resources['container#1'].ready).to.equal(true)
    expect(status.resources['container#2'].status).to.equal('up')
    expect(status.resources['container#2'].ready).to.equal(false)
    expect(status.resources['container#2'].log.map((l: {message: string}) => l.message)).to.include(
      'not ready: exec:test -e /tmp/never: exit code 1',
    )
    expect(status.ready).to.equal(false)
    const text = (await cli.ok(['-s', svc, 'print', 'status'])).stdout
    expect(text).to.match(/idle, started, not ready/)
    await cli.ok(['-s', svc, 'stop'])
  })

  it('exec: a probe whose command does not exit in time kills it, not leaves it running in the container', async () => {
    const svc = name('hang')
    services.push(svc)
    await cli.ok(['-s', svc, 'create', '--config=-'], {
      input: shContainer(1, FOREVER, {readiness_probe: 'exec:sleep 45'}),
    })
    await cli.ok(['-s', svc, 'start', '--no-wait'])
    // status probes once, for at most 3 s: the command outlives that
    const status = JSON.parse((await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'])).stdout)
    expect(status.resources['container#1'].status).to.equal('up')
    expect(status.resources['container#1'].ready).to.equal(false)
    const messages = status.resources['container#1'].log.map((l: {message: string}) => l.message).join('\n')
    expect(messages).to.match(/not ready: exec:sleep 45: no exit within 3s: the command was killed \(pid \d+\)/)
    // what the container runs now, as the host sees it: its shell loop, not the probe's sleep
    const top = await docker(['top', `${svc}.container.1`, '-o', 'pid,args'])
    expect(top).to.match(/sleep 1\b|sh -c/)
    expect(top).not.to.match(/sleep 45/)
    await cli.ok(['-s', svc, 'stop'])
  })

  it('health: a container whose image has a HEALTHCHECK is ready when the engine says healthy', async () => {
    const svc = name('hc')
    services.push(svc)
    fs.writeFileSync(
      path.join(buildDir, 'Dockerfile'),
      'FROM opensvc/busybox:date\nHEALTHCHECK --interval=1s --timeout=2s CMD ["test", "-e", "/tmp/healthy"]\n',
    )
    await execa('docker', ['build', '-q', '-t', healthImage, buildDir], {env: {DOCKER_BUILDKIT: '0'}})
    const conf = [
      `[container#1]\ntype = docker\nimage = ${healthImage}\nrun_args = --entrypoint sh\nrun_command = -c ${JSON.stringify(`trap 'exit 0' TERM; sleep 2; touch /tmp/healthy; ${FOREVER}`)}\nsubset = 00\n`,
      '[container#2]\ntype = docker\nimage = opensvc/busybox:date\nsubset = 01\n',
    ].join('\n')
    await cli.ok(['-s', svc, 'create', '--config=-'], {input: conf})
    const since = new Date(Date.now() - 1000)
    const r = JSON.parse((await cli.run(['-s', svc, 'start', '--format', 'json'])).stdout) as JsonResult
    expect(r.ok, r.error).to.equal(true)
    expect(r.events.some(e => e.rid === 'container#1' && /^ready: health after .*healthy\)$/.test(e.message))).to.equal(
      true,
    )
    // the engine's own health event comes before the next stage's start
    const events = await engineEvents(since, new Date(), `${svc}.container.`)
    const healthy = events.find(e => e.action === 'health_status: healthy' && e.name === `${svc}.container.1`)
    const next = events.find(e => e.action === 'start' && e.name === `${svc}.container.2`)
    expect(healthy && next, JSON.stringify(events.map(e => e.action))).to.not.equal(undefined)
    expect(next!.timeNano > healthy!.timeNano).to.equal(true)
    const status = JSON.parse((await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'])).stdout)
    expect(status.resources['container#1'].ready).to.equal(true)
    expect(status.resources['container#2'].ready).to.equal(null)
    await cli.ok(['-s', svc, 'stop'])
  })

  it('a container that never becomes ready fails the start after its readiness_timeout; everything it started is rolled back', async () => {
    const svc = name('never')
    services.push(svc)
    const conf = [
      '[container#1]\ntype = docker\nimage = opensvc/busybox:date\nsubset = 00\n',
      shContainer(2, FOREVER, {
        subset: '01',
        readiness_probe: 'tcp:6379',
        readiness_timeout: '2s',
        readiness_interval: '100ms',
      }),
      '[container#3]\ntype = docker\nimage = opensvc/busybox:date\nsubset = 02\n',
    ].join('\n')
    await cli.ok(['-s', svc, 'create', '--config=-'], {input: conf})
    const r = await cli.run(['-s', svc, 'start'])
    expect(r.exitCode).to.equal(1)
    expect(r.stderr).to.match(
      /start \S+ failed: container#2: not ready after \d+(\.\d+)?s \(readiness_timeout 2s\): tcp:6379: nothing listens on port 6379 \(\d+ probes\)/,
    )
    expect(r.stderr).to.contain('container#3 start (not run: an earlier task failed)')
    expect(r.stderr).to.match(/Rolled back: container#2 \(stop \S+\), container#1 \(stop \S+\)/)
    for (const n of [1, 2, 3])
      expect(await inspectContainer(`${svc}.container.${n}`), `container ${n}`).to.equal(undefined)
  })

  it('SIGINT during a readiness wait: exit 130, the wait reported as interrupted, the start rolled back', async () => {
    const svc = name('int')
    services.push(svc)
    const conf = [
      '[container#1]\ntype = docker\nimage = opensvc/busybox:date\nsubset = 00\n',
      shContainer(2, FOREVER, {subset: '01', readiness_probe: 'tcp:6379', readiness_timeout: '5m'}),
    ].join('\n')
    await cli.ok(['-s', svc, 'create', '--config=-'], {input: conf})
    const log = path.join(cli.root, 'log', `${svc}.log`)
    const child = execa(process.execPath, [new URL('../../bin/run.js', import.meta.url).pathname, '-s', svc, 'start'], {
      env: {...cli.env(), CI: 'true'},
      reject: false,
      stdin: 'ignore',
      timeout: 120_000,
    })
    // the signal once the wait has begun (the log file is written as events happen)
    for (
      let i = 0;
      !/container#2\s+wait for readiness: tcp:6379/.test(fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '');
      i++
    ) {
      if (i > 1200) throw new Error('the readiness wait never began')
      await new Promise(r => setTimeout(r, 50))
    }
    child.kill('SIGINT')
    const r = await child
    expect(r.exitCode).to.equal(130)
    expect(String(r.stderr)).to.match(
      /container#2 start \(failed: not ready: interrupted by SIGINT after [\d.]+s of its readiness wait \(tcp:6379: nothing listens on port 6379; \d+ probes?\)\)/,
    )
    expect(String(r.stderr)).to.match(/Rolled back: container#2 \(stop \S+\), container#1 \(stop \S+\)/)
    for (const n of [1, 2])
      expect(await inspectContainer(`${svc}.container.${n}`), `container ${n}`).to.equal(undefined)
  })

  it('bad readiness values are refused at create, naming the keyword, exit 2', async () => {
    for (const [bad, expected] of [
      ['tcp:abc', 'a tcp probe with a port 1-65535'],
      ['http://', 'an http probe with a port 1-65535'],
      ['exec:', 'an exec probe naming a command'],
    ]) {
      const r = await cli.run(['-s', name('bad'), 'create', '--config=-'], {
        input: `[container#1]\ntype = docker\nimage = nginx\n[container#2]\ntype = docker\nimage = nginx\nreadiness_probe = ${bad}\n`,
      })
      expect(r.exitCode, bad).to.equal(2)
      expect(r.stderr).to.contain(`container#2.readiness_probe: expected ${expected}`)
    }
  })
})
