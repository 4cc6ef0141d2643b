/**
 * Fault: a frozen engine (issue 9, items 1 and 4). The test runs its OWN throwaway dockerd
 * (never the shared one), starts the seed's svc2 in it through the real CLI, then freezes it
 * with SIGSTOP: its socket accepts connections and never answers while the containers keep
 * running. print status must say warn ("not answering after"), never down nor "not running"; stop
 * must exit 1 naming the reason in bounded time (an action waits 30 s for a slow engine), and
 * start fail. An engine that is only slow (frozen for a while, then thawed) is waited for: the
 * stop succeeds. After SIGCONT, the engine shows every container still running as it was
 * (nothing was lied about), and a real stop stops them.
 */
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {execa} from 'execa'
import {CliSandbox, type CliResult, requireEngine, seedSvc2Containers, uniqueName} from './support/cli.js'

const seed = seedSvc2Containers()
const IMAGES = ['google/pause', 'nginx', 'redis', 'svcmgr/slowstop']
const BIN = new URL('../../bin/run.js', import.meta.url).pathname

interface OwnEngine {
  dir: string
  socket: string
  address: string
  pidfile: string
  execRoot: string
  pid?: number
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The docker CLI against the test's own engine. */
async function ownDocker(e: OwnEngine, args: string[], input?: string): Promise<string> {
  const r = await execa('docker', args, {env: {DOCKER_HOST: e.address}, reject: false, input, timeout: 120_000})
  if (r.exitCode !== 0) throw new Error(`docker -H ${e.address} ${args.join(' ')}: ${r.stderr}`)
  return String(r.stdout)
}

async function startOwnEngine(): Promise<OwnEngine> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-frz-'))
  const e: OwnEngine = {
    dir,
    socket: path.join(dir, 'docker.sock'),
    address: `unix://${path.join(dir, 'docker.sock')}`,
    pidfile: path.join(dir, 'docker.pid'),
    execRoot: path.join(dir, 'exec'),
  }
  const log = fs.openSync(path.join(dir, 'dockerd.log'), 'a')
  const child = spawn(
    'dockerd',
    [
      '--data-root',
      path.join(dir, 'data'),
      '--exec-root',
      e.execRoot,
      '-H',
      e.address,
      '--pidfile',
      e.pidfile,
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
      '--ip-masq=false',
      '--userland-proxy=false',
      '--log-level=warn',
    ],
    {detached: true, stdio: ['ignore', log, log]},
  )
  fs.closeSync(log)
  child.unref()
  e.pid = child.pid
  for (let i = 0; i < 300; i++) {
    const r = await execa('docker', ['version', '--format', '{{.Server.Version}}'], {
      env: {DOCKER_HOST: e.address},
      reject: false,
      timeout: 5000,
    })
    if (r.exitCode === 0) return e
    if (!e.pid || !alive(e.pid)) break
    await sleep(200)
  }
  const tail = fs.readFileSync(path.join(dir, 'dockerd.log'), 'utf8').split('\n').slice(-15).join('\n')
  await destroyOwnEngine(e)
  throw new Error(`the test's own dockerd did not answer at ${e.address}; last lines of its log:\n${tail}`)
}

/** Thaws, removes every container, stops the daemon, unmounts what it left, removes its folder. Never throws. */
async function destroyOwnEngine(e: OwnEngine): Promise<void> {
  if (e.pid && alive(e.pid)) {
    process.kill(e.pid, 'SIGCONT')
    const ids = (await ownDocker(e, ['ps', '-aq']).catch(() => '')).split('\n').filter(Boolean)
    if (ids.length) await ownDocker(e, ['rm', '-f', ...ids]).catch(() => '')
    process.kill(e.pid, 'SIGTERM')
    for (let i = 0; i < 150 && alive(e.pid); i++) await sleep(200)
    if (alive(e.pid)) process.kill(e.pid, 'SIGKILL')
  }
  const mounts = fs
    .readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map(l => l.split(' ')[1])
    .filter(m => m && m.startsWith(e.dir))
  for (const m of mounts.sort().reverse()) await execa('umount', ['-l', m], {reject: false})
  fs.rmSync(e.dir, {recursive: true, force: true})
}

interface Running {
  id: string
  running: boolean
  startedAt: string
}

async function containers1(e: OwnEngine, name: string): Promise<Running> {
  const [c] = JSON.parse(await ownDocker(e, ['inspect', '--type', 'container', name])) as {
    Id: string
    State: {Running: boolean; StartedAt: string}
  }[]
  return {id: c.Id, running: c.State.Running, startedAt: c.State.StartedAt}
}

async function containers(e: OwnEngine, svc: string): Promise<Record<string, Running>> {
  const names = [1, 2, 3].map(n => `${svc}.container.${n}`)
  const out = JSON.parse(await ownDocker(e, ['inspect', '--type', 'container', ...names])) as {
    Id: string
    Name: string
    State: {Running: boolean; StartedAt: string}
  }[]
  return Object.fromEntries(
    out.map(c => [c.Name.replace(/^\//, ''), {id: c.Id, running: c.State.Running, startedAt: c.State.StartedAt}]),
  )
}

describe('fault: a frozen engine (SIGSTOP of a test dockerd)', function () {
  this.timeout(300_000)
  const svc = uniqueName('frozen')
  const cli = new CliSandbox('frozen')
  let engine: OwnEngine | undefined
  let initial: Record<string, Running> = {}
  const env = () => ({DOCKER_HOST: engine!.address})

  const freeze = () => process.kill(engine!.pid!, 'SIGSTOP')
  const thaw = () => {
    if (engine?.pid && alive(engine.pid)) process.kill(engine.pid, 'SIGCONT')
  }

  before(async () => {
    requireEngine()
    engine = await startOwnEngine()
    // the stand-in images of the shared engine (scripts/standin-images.sh), copied over
    const saved = await execa(
      'bash',
      ['-c', `docker save ${IMAGES.join(' ')} | DOCKER_HOST=${engine.address} docker load`],
      {reject: false, timeout: 120_000},
    )
    if (saved.exitCode !== 0) throw new Error(`copying the stand-in images into the test's engine: ${saved.stderr}`)
    await cli.ok(['-s', svc, 'create', '--config=-', '--local'], {input: JSON.stringify(seed), env: env()})
    await cli.ok(['-s', svc, 'start'], {env: env()})
    initial = await containers(engine, svc)
    expect(Object.values(initial).map(c => c.running)).to.deep.equal([true, true, true])
  })

  after(async () => {
    thaw()
    if (engine) await destroyOwnEngine(engine)
    cli.cleanup()
  })

  describe('while frozen', () => {
    before(freeze)
    after(thaw)

    it('print status: no resource is down; each is warn with "not answering after", not "not running"', async () => {
      const tree = await cli.run(['-s', svc, 'print', 'status'], {env: env(), timeoutMs: 90_000})
      expect(tree.exitCode, tree.stderr).to.equal(0)
      expect(tree.stdout).to.not.match(/\bdown\b/)
      const json = await cli.run(['-s', svc, 'print', 'status', '--format', 'json'], {env: env(), timeoutMs: 90_000})
      expect(json.exitCode, json.stderr).to.equal(0)
      const status = JSON.parse(json.stdout)
      for (const rid of ['container#1', 'container#2', 'container#3']) {
        expect(status.resources[rid].status, rid).to.equal('warn')
        expect(status.resources[rid].log.map((l: {message: string}) => l.message).join('\n'), rid).to.match(
          new RegExp(`^docker daemon at ${engine!.socket} not answering after \\d+(\\.\\d)?s: the state of container`),
        )
      }
      expect(status.avail).to.equal('warn')
      expect(status.overall).to.equal('warn')
      expect(json.stdout).to.not.match(/not running|socket .* missing|connection refused/)
    })

    it('stop exits 1 naming the reason, within a bounded time, and does not say done', async () => {
      // the CLI's own deadlines end it; the 90 s kill here only guards against a hang
      const r = await cli.run(['-s', svc, 'stop'], {env: env(), timeoutMs: 90_000})
      expect(r.exitCode, `${r.stdout}${r.stderr}`).to.equal(1)
      expect(r.stdout + r.stderr).to.match(/docker daemon at \S+ not answering after 30s/)
      expect(r.stdout).to.not.match(/stop done|nothing to stop/)
    })

    it('start exits non-zero (within its deadline) naming the reason', async () => {
      const r = await cli.run(['-s', svc, 'start'], {env: env(), timeoutMs: 120_000})
      expect(r.exitCode, `${r.stdout}${r.stderr}`).to.equal(1)
      expect(r.stdout + r.stderr).to.match(/docker daemon at \S+ not answering after 30s/)
    })
  })

  describe('an engine that is slow, not gone (frozen for 8 s, then thawed)', () => {
    afterEach(thaw)

    it('stop waits for it (the 5 s status ping would have given up) and stops every container', async () => {
      freeze()
      // longer than the status ping (5 s), shorter than the action's 30 s: a stall, not an outage
      const thawing = setTimeout(thaw, 8_000)
      try {
        const r = await cli.run(['-s', svc, 'stop'], {env: env(), timeoutMs: 90_000})
        expect(r.exitCode, `${r.stdout}${r.stderr}`).to.equal(0)
        expect(r.stdout + r.stderr).to.not.match(/not answering|not running/)
      } finally {
        clearTimeout(thawing)
      }
      const now = await containers(engine!, svc)
      expect(Object.values(now).map(c => c.running)).to.deep.equal([false, false, false])
      // back as before for the tests below
      await cli.ok(['-s', svc, 'start'], {env: env()})
      initial = await containers(engine!, svc)
    })
  })

  describe('thawed', () => {
    it('every container still runs as before the freeze: nothing was stopped behind a failed report', async () => {
      thaw()
      expect(await containers(engine!, svc)).to.deep.equal(initial)
    })

    it('stop then stops them for real', async () => {
      await cli.ok(['-s', svc, 'stop'], {env: env()})
      const now = await containers(engine!, svc)
      expect(Object.values(now).map(c => c.running)).to.deep.equal([false, false, false])
    })
  })

  describe("frozen right after it answered the plan's inspects (a start then sends no ping)", () => {
    // a byte relay to the test's engine that freezes it (SIGSTOP) when the start's first request
    // comes, after the plan's three inspects by name: the action has just seen the engine answer
    let relay: net.Server | undefined
    let frozen = false
    const relaySocket = () => path.join(engine!.dir, 'relay.sock')
    const REQUEST_LINE = /(?:^|\r\n)(?:GET|POST|DELETE|HEAD) \S+ HTTP\/1\.[01]\r\n/g

    before(async () => {
      thaw()
      let requests = 0
      relay = net.createServer(client => {
        const upstream = net.connect(engine!.socket)
        client.on('data', (chunk: Buffer) => {
          requests += chunk.toString('latin1').match(REQUEST_LINE)?.length ?? 0
          if (requests > 3 && !frozen) {
            frozen = true
            freeze()
          }
          upstream.write(chunk)
        })
        upstream.pipe(client)
        // either side's end ends the other
        for (const [a, b] of [
          [client, upstream],
          [upstream, client],
        ])
          a.on('error', () => b.destroy()).on('close', () => b.destroy())
      })
      await new Promise<void>(r => relay!.listen(relaySocket(), r))
    })
    after(() => {
      thaw()
      relay?.close()
    })

    it("start waits the action's 30 s for it, as its ping would have, then exits 1 naming it; nothing started", async () => {
      const r = await cli.run(['-s', svc, 'start'], {env: {DOCKER_HOST: `unix://${relaySocket()}`}, timeoutMs: 120_000})
      expect(frozen, 'the relay froze the engine').to.equal(true)
      expect(r.exitCode, `${r.stdout}${r.stderr}`).to.equal(1)
      expect(r.stdout + r.stderr).to.include(`docker daemon at ${relaySocket()} not answering after 30s`)
      expect(r.stdout).to.not.match(/start done/)
      thaw()
      const now = await containers(engine!, svc)
      expect(Object.values(now).map(c => c.running)).to.deep.equal([false, false, false])
    })
  })

  describe('a request in flight when the engine freezes', () => {
    // svcmgr/slowstop ignores TERM: the engine answers docker stop only after stop_timeout
    const slow = `${svc}slow`
    const slowName = `${slow}.container.1`

    /** Runs the CLI, calling onLine once when its output first matches `pattern`. */
    async function runUntil(
      args: string[],
      pattern: RegExp,
      onMatch: (pid: number) => void,
    ): Promise<CliResult & {matched: boolean}> {
      const child = execa(process.execPath, [BIN, ...args], {
        env: {...cli.env(env()), CI: 'true'},
        reject: false,
        stdin: 'ignore',
        timeout: 120_000,
      })
      let out = ''
      let matched = false
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString('utf8')
        if (!matched && pattern.test(out)) {
          matched = true
          onMatch(child.pid!)
        }
      })
      const r = await child
      return {matched, exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr)}
    }

    before(async () => {
      thaw()
      await cli.ok(['-s', slow, 'create', '--config=-', '--local'], {
        input: JSON.stringify({'container#1': {type: 'docker', image: 'svcmgr/slowstop', stop_timeout: '5s'}}),
        env: env(),
      })
      await cli.ok(['-s', slow, 'start'], {env: env()})
    })
    afterEach(thaw)

    it('docker stop fails at its own deadline (stop_timeout + margin), naming the call and the wait', async () => {
      const r = await runUntil(['-s', slow, 'stop'], /INFO\s+\S+\s+docker stop [0-9a-f]{64}/, freeze)
      expect(r.matched, r.stdout).to.equal(true)
      expect(r.exitCode, `${r.stdout}${r.stderr}`).to.equal(1)
      expect(r.stdout + r.stderr).to.include(
        `docker stop ${slowName}: docker daemon at ${engine!.socket} not answering after 15s`,
      )
      expect(r.stdout).to.not.match(/stop done/)
    })

    it('SIGTERM lets the stop request in flight run to its deadline (the engine would carry it out anyway), then exits 143 reporting it', async () => {
      thaw()
      // the engine finished the first stop once thawed: start it again
      for (let i = 0; i < 50 && (await containers1(engine!, slowName)).running; i++) await sleep(200)
      await cli.ok(['-s', slow, 'start'], {env: env()})
      const r = await runUntil(['-s', slow, 'stop'], /INFO\s+\S+\s+docker stop [0-9a-f]{64}/, pid => {
        freeze()
        setTimeout(() => process.kill(pid, 'SIGTERM'), 500)
      })
      expect(r.matched, r.stdout).to.equal(true)
      expect(r.exitCode, `${r.stdout}${r.stderr}`).to.equal(143)
      expect(r.stderr).to.match(/stop \S+ failed: interrupted by SIGTERM\./)
      // not "interrupted" while the engine may still be stopping it: the request ran to its own deadline
      expect(r.stdout + r.stderr).to.include(
        `docker stop ${slowName}: docker daemon at ${engine!.socket} not answering after 15s`,
      )
      expect(r.stdout).to.not.match(/stop done/)
    })
  })
})
