/**
 * Signals sent to a real svcmgr process during start, stop and restart: exit 128+n, a report of
 * what was and was not done, a start rolled back (a second SIGINT cuts the rollback short), the
 * lock released, and `print status` agreeing with the engine afterwards.
 */
import fs from 'node:fs'
import path from 'node:path'
import {execa, type ResultPromise} from 'execa'
import {expect} from 'chai'
import {CliSandbox, inspectContainer, removeServiceContainers, requireEngine, uniqueName} from './support/cli.js'

const BIN = new URL('../../bin/run.js', import.meta.url).pathname
const N = 5

// container#1 stops at once; the others ignore TERM, so each docker stop takes its stop_timeout:
// a stop (and a rollback) is slow enough to be interrupted half-way, deterministically
const config = [
  '[container#1]\ntype = docker\nimage = google/pause\n',
  ...Array.from(
    {length: N - 1},
    (_, i) => `[container#${i + 2}]\ntype = docker\nimage = svcmgr/slowstop\nstop_timeout = 2s\n`,
  ),
].join('\n')

describe('fault: signals during an action, on a real engine', function () {
  this.timeout(180_000)
  const svc = uniqueName('sig')
  const cli = new CliSandbox('sig')
  const lockFile = () => path.join(cli.root, 'var', svc, 'lock')
  const logFile = () => path.join(cli.root, 'log', `${svc}.log`)
  const rids = Array.from({length: N}, (_, i) => `container#${i + 1}`)
  const running = async (rid: string) => (await inspectContainer(`${svc}.${rid.replace('#', '.')}`))?.running ?? false

  /** Starts an action as a child whose pid is svcmgr itself (no shell, no npm in between). */
  const spawn = (args: string[]): ResultPromise =>
    execa(process.execPath, [BIN, '-s', svc, ...args], {
      env: {...cli.env(), CI: 'true'},
      reject: false,
      stdin: 'ignore',
      timeout: 120_000,
    })

  /** Waits until the log file (written as events happen) holds a line matching `re`, after `from` bytes. */
  const waitForLog = async (re: RegExp, from: number) => {
    const deadline = Date.now() + 60_000
    for (;;) {
      const text = fs.existsSync(logFile()) ? fs.readFileSync(logFile(), 'utf8').slice(from) : ''
      if (re.test(text)) return
      if (Date.now() > deadline) throw new Error(`the log never showed ${re}:\n${text}`)
      await new Promise(r => setTimeout(r, 50))
    }
  }
  const logSize = () => (fs.existsSync(logFile()) ? fs.statSync(logFile()).size : 0)
  const taskDone = (rid: string) => new RegExp(`\\.${rid}\\s+done$`, 'm')

  /** `print status` says up exactly for the containers the engine runs. */
  const expectStatusAgrees = async () => {
    const status = JSON.parse((await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'])).stdout)
    expect(status.running, 'status still shows an action in progress').to.equal(undefined)
    for (const rid of rids)
      expect(`${rid} ${status.resources[rid].status}`).to.equal(`${rid} ${(await running(rid)) ? 'up' : 'down'}`)
  }
  const expectNoLock = () => expect(fs.existsSync(lockFile()), 'the lock file was left behind').to.equal(false)
  /** The rids the report lists as not done, with why. */
  const notDone = (stderr: string) =>
    [...(/Not done: (.*)\.$/m.exec(stderr)?.[1] ?? '').matchAll(/(container#\d+) \w+ \(([^)]*)\)/g)].map(m => ({
      rid: m[1],
      why: m[2],
    }))

  before(async () => {
    requireEngine()
    await cli.ok(['-s', svc, 'create', '--config=-'], {input: config})
  })
  after(async () => {
    await removeServiceContainers(svc)
    cli.cleanup()
  })

  it('SIGINT during start: exit 130, reported, everything this start started is stopped again, no lock', async () => {
    const from = logSize()
    const start = spawn(['start'])
    await waitForLog(taskDone('container#1'), from)
    start.kill('SIGINT')
    const r = await start
    expect(r.exitCode, String(r.stderr)).to.equal(130)
    const stderr = String(r.stderr)
    expect(stderr).to.match(/SIGINT received/)
    expect(stderr).to.match(/start \S+ failed: interrupted by SIGINT\./)
    expect(stderr).to.match(/Done: container#1 start/)
    expect(notDone(stderr).map(t => t.rid)).to.include(`container#${N}`)
    expect(stderr).to.match(/Rolled back: [^\n]*container#1 \(stop /)
    for (const rid of rids) expect(`${rid} running: ${await running(rid)}`).to.equal(`${rid} running: false`)
    expectNoLock()
    await expectStatusAgrees()
  })

  it('a second SIGINT during the rollback skips the rest of it, says so, and still releases the lock', async () => {
    const from = logSize()
    const start = spawn(['start'])
    await waitForLog(taskDone('container#3'), from)
    start.kill('SIGINT')
    await waitForLog(/rollback: undo/, from)
    start.kill('SIGINT')
    const r = await start
    const stderr = String(r.stderr)
    expect(r.exitCode, stderr).to.equal(130)
    expect(stderr).to.match(/second signal \(SIGINT\): the rest of the rollback is skipped/)
    const left = /Rollback skipped after a second signal \(SIGINT\), left in place: (.*)\.$/m.exec(stderr)
    expect(left, stderr).to.not.equal(null)
    // container#1 is undone last: the running undo step (a 2 s docker stop) cannot have reached it
    expect(left![1]).to.include('container#1 (stop ')
    expect(await running('container#1')).to.equal(true)
    expectNoLock()
    await expectStatusAgrees()
    await cli.ok(['-s', svc, 'stop'])
  })

  it('SIGTERM during stop: exit 143, the containers it did not stop still run and are listed as not done', async () => {
    await cli.ok(['-s', svc, 'start'])
    const from = logSize()
    const stop = spawn(['stop'])
    await waitForLog(taskDone(`container#${N}`), from)
    stop.kill('SIGTERM')
    const r = await stop
    const stderr = String(r.stderr)
    expect(r.exitCode, stderr).to.equal(143)
    expect(stderr).to.match(/stop \S+ failed: interrupted by SIGTERM\./)
    expect(stderr).to.not.match(/stop done/)
    const listed = notDone(stderr)
    expect(listed.map(t => t.rid)).to.include('container#1')
    // what it did not reach still runs; what it reports done is stopped (the step running at the signal may be either)
    for (const t of listed.filter(x => x.why.startsWith('not run')))
      expect(`${t.rid} running: ${await running(t.rid)}`).to.equal(`${t.rid} running: true`)
    for (const rid of rids.filter(x => !listed.some(t => t.rid === x)))
      expect(`${rid} running: ${await running(rid)}`).to.equal(`${rid} running: false`)
    // a stop is not rolled back: what it stopped stays stopped
    expect(stderr).to.not.match(/Rolled back/)
    expectNoLock()
    await expectStatusAgrees()
  })

  it('SIGHUP during restart --format json: exit 129, the result says what was not done, the restart is rolled back, no lock', async () => {
    await cli.ok(['-s', svc, 'start'])
    const from = logSize()
    const restart = spawn(['restart', '--format', 'json'])
    await waitForLog(taskDone(`container#${N}`), from)
    restart.kill('SIGHUP')
    const r = await restart
    expect(r.exitCode, String(r.stderr)).to.equal(129)
    expect(String(r.stderr)).to.match(/SIGHUP received/)
    const result = JSON.parse(String(r.stdout))
    expect(result).to.include({ok: false, exitCode: 129, signal: 'SIGHUP', error: 'interrupted by SIGHUP'})
    const notRun = result.notDone
      .filter((t: {state: string}) => t.state === 'not-run')
      .map((t: {rid: string; op: string}) => `${t.rid} ${t.op}`)
    expect(notRun).to.include.members(['container#1 stop', 'container#1 start'])
    // what the stop phase stopped is started again, in reverse
    expect(result.rollback[result.rollback.length - 1]).to.include({rid: `container#${N}`, ok: true})
    expect(result.rollback[result.rollback.length - 1].description).to.match(/^start /)
    for (const rid of rids) expect(`${rid} running: ${await running(rid)}`).to.equal(`${rid} running: true`)
    expectNoLock()
    await expectStatusAgrees()
  })

  it("a signal outside an action (waiting for the lock) exits 143 at once and leaves the holder's lock alone", async () => {
    const stop = spawn(['stop'])
    const deadline = Date.now() + 20_000
    while (!fs.existsSync(lockFile())) {
      if (Date.now() > deadline) throw new Error('the stop never took the lock')
      await new Promise(r => setTimeout(r, 50))
    }
    const waiter = spawn(['start', '--waitlock', '60s'])
    // whether it is still loading or already waiting, it holds nothing yet
    await new Promise(r => setTimeout(r, 1500))
    waiter.kill('SIGTERM')
    const w = await waiter
    expect(w.exitCode, String(w.stderr)).to.equal(143)
    expect(String(w.stderr)).to.match(/interrupted by SIGTERM \(no action in progress\)/)
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8')).pid).to.equal(stop.pid)
    const s = await stop
    expect(s.exitCode, String(s.stderr)).to.equal(0)
    expectNoLock()
    await expectStatusAgrees()
  })
})
