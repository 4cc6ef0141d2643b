/**
 * The node agent's CLI (issue 14), with real processes: `daemon start|stop|status` of a real
 * agent (`svcmgr daemon run`), a second start refused, a stale pid file, `daemon install-unit`
 * to a temporary path, `clear` of a failed state (written by the test) under the service lock
 * held by another real process, and print status's monitor view.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {execa} from 'execa'
import {expect} from 'chai'
import {pidAlive, processStartTime} from '../../src/drivers/host.js'
import {CliSandbox, inspectContainer, removeServiceContainers, requireEngine} from './support/cli.js'

const repo = new URL('../..', import.meta.url).pathname
const BIN = path.join(repo, 'bin/run.js')
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms))

/** A real process that takes the service lock with the core's own code and holds it until SIGTERM. */
function holdLock(varDir: string, service: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      `import {acquireServiceLock} from './src/executor/lock.ts'
       const lock = await acquireServiceLock(${JSON.stringify(varDir)}, ${JSON.stringify(service)}, 'start', 0)
       process.on('SIGTERM', () => { lock.release(); process.exit(0) })
       console.log('held'); setInterval(() => {}, 1000)`,
    ],
    {cwd: repo, stdio: ['ignore', 'pipe', 'inherit']},
  )
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve(child))
    child.on('exit', code => reject(new Error(`the lock holder exited with ${code}`)))
  })
}

async function ended(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  await new Promise(r => child.once('exit', r))
}

describe('agent CLI: daemon, install-unit, clear, the monitor view', function () {
  this.timeout(180_000)
  const svc = `ac${process.pid % 100000}`
  const cli = new CliSandbox('agentcli')
  const agentDir = path.join(cli.root, 'agent')
  const pidFile = path.join(agentDir, 'agent.pid')
  const varDir = path.join(cli.root, 'var', svc)
  const monitorFile = path.join(varDir, 'monitor.json')
  const children: ChildProcess[] = []

  before(async () => {
    requireEngine()
    await cli.ok(['-s', svc, 'create', '--config=-'], {
      input: JSON.stringify({'container#1': {type: 'docker', image: 'google/pause'}}),
    })
  })
  after(async () => {
    // an agent a failed test left running, and any helper process
    const pid = Number(fs.existsSync(pidFile) ? /\d+/.exec(fs.readFileSync(pidFile, 'utf8'))?.[0] : NaN)
    if (pid > 0 && pidAlive(pid)) await cli.run(['daemon', 'stop', '--timeout', '30s'])
    for (const c of children) c.kill('SIGKILL')
    await removeServiceContainers(svc, `${svc}f`)
    cli.cleanup()
  })

  describe('install-unit', () => {
    const unit = path.join(cli.root, 'svcmgr.service')

    it('writes the unit: Restart=always, this node and bin/run.js with `daemon run`, the state root', async () => {
      const r = await cli.ok(['daemon', 'install-unit', '--path', unit])
      expect(r.stdout).to.include(`wrote ${unit}`)
      const lines = fs.readFileSync(unit, 'utf8').split('\n')
      expect(lines).to.include('Restart=always')
      expect(lines).to.include(`ExecStart=${process.execPath} ${BIN} daemon run`)
      expect(lines).to.include(`Environment=SVCMGR_ROOT=${cli.root}`)
      if (process.env.DOCKER_HOST) expect(lines).to.include(`Environment=DOCKER_HOST=${process.env.DOCKER_HOST}`)
      expect(fs.statSync(unit).mode & 0o777).to.equal(0o644)
      expect((await cli.ok(['daemon', 'install-unit', '--print'])).stdout).to.equal(fs.readFileSync(unit, 'utf8'))
    })

    it('leaves the same file alone, refuses a different one without --force (exit 2, file kept)', async () => {
      expect((await cli.ok(['daemon', 'install-unit', '--path', unit])).stdout).to.include('unchanged')
      const edited = fs.readFileSync(unit, 'utf8') + '# local edit\n'
      fs.writeFileSync(unit, edited)
      const r = await cli.run(['daemon', 'install-unit', '--path', unit])
      expect(r.exitCode).to.equal(2)
      expect(r.stderr).to.include('--force')
      expect(fs.readFileSync(unit, 'utf8')).to.equal(edited)
      await cli.ok(['daemon', 'install-unit', '--path', unit, '--force'])
      expect(fs.readFileSync(unit, 'utf8')).to.not.include('# local edit')
      expect(fs.readdirSync(cli.root).filter(f => f.endsWith('.tmp'))).to.deep.equal([])
    })
  })

  describe('bad input', () => {
    it('a bad --timeout is refused naming the flag (exit 2), nothing started', async () => {
      for (const args of [
        ['daemon', 'start', '--timeout', '0'],
        ['daemon', 'start', '--timeout', 'soon'],
        ['daemon', 'stop', '--timeout', '0'],
      ]) {
        const r = await cli.run(args)
        expect(r.exitCode, args.join(' ')).to.equal(2)
        expect(r.stderr).to.include('--timeout: expected a duration')
      }
      expect(fs.existsSync(pidFile)).to.equal(false)
      expect(fs.existsSync(path.join(agentDir, 'agent.log'))).to.equal(false)
    })
  })

  describe('a stale pid file', () => {
    it('status says stale (its pid file left by a dead agent); stop reports and removes it', async () => {
      const dead = spawn('sleep', ['60'])
      const start = processStartTime(dead.pid!)!
      dead.kill('SIGKILL')
      await ended(dead)
      fs.mkdirSync(agentDir, {recursive: true})
      fs.writeFileSync(pidFile, `${dead.pid} ${start}\n`)
      const status = JSON.parse((await cli.ok(['daemon', 'status', '--format', 'json'])).stdout)
      expect(status).to.include({agent: 'stale', pid: null, stalePidFile: true})
      expect((await cli.ok(['daemon', 'status'])).stdout).to.match(/pid file +.*stale/)
      const r = await cli.ok(['daemon', 'stop'])
      expect(r.stdout).to.include(`removed the stale pid file ${pidFile} (pid ${dead.pid} is gone)`)
      expect(fs.existsSync(pidFile)).to.equal(false)
      expect((await cli.ok(['daemon', 'stop'])).stdout).to.include('the agent is not running')
    })
  })

  describe('clear', () => {
    const failed = {
      version: 1,
      state: 'failed',
      reason: 'container#1 stayed down after 2 restarts',
      restarts: {'container#1': 2},
      last_check: new Date().toISOString(),
    }
    const writeFailed = () => {
      fs.mkdirSync(varDir, {recursive: true})
      fs.writeFileSync(monitorFile, JSON.stringify(failed))
    }
    const monitor = () => JSON.parse(fs.readFileSync(monitorFile, 'utf8'))

    it('puts a failed instance back to idle, restarts reset, and logs it', async () => {
      writeFailed()
      const r = await cli.ok(['-s', svc, 'clear'])
      expect(r.stdout).to.include(`${svc}: failed state cleared (was: ${failed.reason}); restarts reset`)
      expect(monitor()).to.deep.equal({version: 1, state: 'idle', restarts: {}, last_check: failed.last_check})
      expect(fs.readFileSync(path.join(cli.root, 'log', `${svc}.log`), 'utf8')).to.include('failed state cleared')
      expect(fs.existsSync(path.join(varDir, 'lock'))).to.equal(false)
    })

    it('on an instance that is not failed: says so, exit 0, nothing changed', async () => {
      const before = fs.readFileSync(monitorFile, 'utf8')
      const r = await cli.ok(['-s', svc, 'clear'])
      expect(r.stdout).to.include(`${svc} is not failed (monitor state idle): nothing to clear`)
      expect(fs.readFileSync(monitorFile, 'utf8')).to.equal(before)
      const none = await cli.run(['-s', `${svc}none`, 'clear'])
      expect(none.exitCode).to.equal(2)
      expect(none.stderr).to.include('no service named')
    })

    it('refuses while another process holds the lock (exit 1, naming it); --waitlock waits for it', async () => {
      writeFailed()
      const holder = await holdLock(varDir, svc)
      children.push(holder)
      const r = await cli.run(['-s', svc, 'clear'])
      expect(r.exitCode).to.equal(1)
      expect(r.stderr).to.include(`is locked by pid ${holder.pid} (start`)
      expect(monitor().state).to.equal('failed')
      const waiting = cli.run(['-s', svc, 'clear', '--waitlock', '60s'])
      // the waiter says it waits before the holder lets go
      await sleep(1500)
      expect(monitor().state).to.equal('failed')
      holder.kill('SIGTERM')
      await ended(holder)
      const w = await waiting
      expect(w.exitCode, w.stderr).to.equal(0)
      expect(w.stderr).to.include(`locked by pid ${holder.pid} (start`)
      expect(w.stderr).to.include('waiting up to 60s')
      expect(monitor()).to.include({state: 'idle'})
    })
  })

  describe('print status: the monitor view', () => {
    it('agent stopped (no pid file), stale (an old heartbeat, a dead pid) or running (alive, fresh heartbeat); failed with its reason', async () => {
      fs.mkdirSync(varDir, {recursive: true})
      fs.writeFileSync(
        monitorFile,
        JSON.stringify({
          version: 1,
          state: 'failed',
          reason: 'container#1 stayed down after 1 restart',
          restarts: {'container#1': 1},
          last_check: new Date(Date.now() - 5 * 60_000).toISOString(),
        }),
      )
      const json = async () =>
        JSON.parse((await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'])).stdout).monitor
      expect(await json()).to.include({agent: 'stopped', state: 'failed'})
      const fake = spawn('sleep', ['120'])
      children.push(fake)
      fs.mkdirSync(agentDir, {recursive: true})
      fs.writeFileSync(pidFile, `${fake.pid} ${processStartTime(fake.pid!)}\n`)
      const info = (heartbeat: Date) =>
        fs.writeFileSync(
          path.join(agentDir, 'agent.json'),
          JSON.stringify({
            version: 1,
            pid: fake.pid,
            startTime: processStartTime(fake.pid!),
            startedAt: new Date().toISOString(),
            heartbeat: heartbeat.toISOString(),
            watched: [svc],
          }),
        )
      fs.mkdirSync(agentDir, {recursive: true})
      info(new Date(Date.now() - 60_000))
      expect((await json()).agent).to.equal('stale')
      info(new Date())
      expect(await json()).to.deep.equal({
        agent: 'running',
        last_check: JSON.parse(fs.readFileSync(monitorFile, 'utf8')).last_check,
        restarts: {'container#1': 1},
        state: 'failed',
        reason: 'container#1 stayed down after 1 restart',
      })
      const text = (await cli.ok(['-s', svc, 'print', 'status'])).stdout.split('\n')
      expect(text[1]).to.match(
        /^\|- monitor +failed +container#1 stayed down after 1 restart; agent running; last check 5m\ds ago; restarts container#1=1$/,
      )
      expect(text[2]).to.equal('`- instances')
      expect(text[3]).to.match(/ down +idle, failed, stopped$/)
      fake.kill('SIGKILL')
      await ended(fake)
      // its pid file left behind: stale; no pid file: stopped
      expect((await json()).agent).to.equal('stale')
      fs.rmSync(pidFile)
      expect((await json()).agent).to.equal('stopped')
      fs.rmSync(path.join(agentDir, 'agent.json'))
      fs.rmSync(monitorFile)
    })
  })

  describe('daemon start, status, stop of a real agent', () => {
    let pid: number

    it('start returns once the heartbeat is there: the agent runs detached, in its own session', async () => {
      await cli.ok(['-s', svc, 'start'])
      const r = await cli.ok(['daemon', 'start'])
      const m = /agent started \(pid (\d+); log (.*)\)/.exec(r.stdout)
      expect(m, r.stdout).to.not.equal(null)
      pid = Number(m![1])
      expect(m![2]).to.equal(path.join(agentDir, 'agent.log'))
      expect(pidAlive(pid)).to.equal(true)
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      // field 6 (session id) is its own pid: setsid, not in this test's session
      expect(Number(fields[3])).to.equal(pid)
      expect(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).to.include.members([BIN, 'daemon', 'run'])
      const info = JSON.parse(fs.readFileSync(path.join(agentDir, 'agent.json'), 'utf8'))
      expect(info.pid).to.equal(pid)
    })

    it('status: pid, uptime, heartbeat, the services watched; print status says the agent runs', async () => {
      // the agent lists the started service once it has looked at it
      let s: any
      const deadline = Date.now() + 30_000
      do {
        s = JSON.parse((await cli.ok(['daemon', 'status', '--format', 'json'])).stdout)
        if (s.watched.includes(svc)) break
        await sleep(200)
      } while (Date.now() < deadline)
      expect(s).to.include({agent: 'running', pid, stalePidFile: false})
      expect(s.watched).to.include(svc)
      expect(s.heartbeat_age_s).to.be.a('number')
      expect(s.uptime_s).to.be.a('number')
      const text = (await cli.ok(['daemon', 'status'])).stdout
      expect(text).to.match(
        new RegExp(`^agent +running\npid +${pid}\nuptime +\\S+ \\(since .*\\)\nheartbeat +\\S+ ago\n`),
      )
      expect(text).to.match(new RegExp(`watched +\\d+ service\\(s\\): .*${svc}`))
      const status = JSON.parse((await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'])).stdout)
      expect(status.monitor.agent).to.equal('running')
    })

    it('a second start is refused (exit 1, naming the running agent), which keeps running', async () => {
      const r = await cli.run(['daemon', 'start'])
      expect(r.exitCode).to.equal(1)
      expect(r.stderr).to.include(`the agent already runs (pid ${pid}`)
      expect(pidAlive(pid)).to.equal(true)
      expect(JSON.parse((await cli.ok(['daemon', 'status', '--format', 'json'])).stdout).pid).to.equal(pid)
    })

    it('the real agent fails an instance; print status says so; clear, then start, bring it back', async () => {
      const svcf = `${svc}f`
      const c1 = `${svcf}.container.1`
      await cli.ok(['-s', svcf, 'create', '--config=-'], {
        input:
          '[DEFAULT]\nmonitor_interval = 1h\n\n[container#1]\ntype = docker\nimage = google/pause\nrestart = 1\nrestart_delay = 100ms\nmonitor = true\n',
      })
      await cli.ok(['-s', svcf, 'start'])
      const until = async <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) => {
        const deadline = Date.now() + 60_000
        for (;;) {
          const v = await probe()
          if (v !== undefined) return v
          if (Date.now() > deadline) throw new Error(`${what}: not within 60s`)
          await sleep(100)
        }
      }
      const monitorOf = async () =>
        JSON.parse((await cli.ok(['-s', svcf, 'print', 'status', '--format', 'json'])).stdout).monitor
      await until('watched', async () =>
        JSON.parse((await cli.ok(['daemon', 'status', '--format', 'json'])).stdout).watched.includes(svcf)
          ? true
          : undefined,
      )
      const startedAt = (await inspectContainer(c1))!.startedAt
      await execa('docker', ['kill', c1])
      await until('restarted once', async () => {
        const c = await inspectContainer(c1)
        return c?.running && c.startedAt !== startedAt && (await monitorOf()).restarts['container#1'] === 1
          ? true
          : undefined
      })
      await until('the lock released', () =>
        fs.existsSync(path.join(cli.root, 'var', svcf, 'lock')) ? undefined : true,
      )
      await execa('docker', ['kill', c1])
      const failed = await until('failed', async () => {
        const m = await monitorOf()
        return m.state === 'failed' ? m : undefined
      })
      expect(failed).to.deep.include({agent: 'running', state: 'failed', restarts: {'container#1': 1}})
      expect(failed.reason).to.equal('container#1 is down after 1 restart (restart = 1)')
      const text = (await cli.ok(['-s', svcf, 'print', 'status'])).stdout.split('\n')
      expect(text[1]).to.match(
        /^\|- monitor +failed +container#1 is down after 1 restart \(restart = 1\); agent running; /,
      )
      expect(text[3]).to.match(/ down +idle, failed, stopped$/)
      // monitor = true: the M flag of its row
      expect(text.find(l => /^ *[|`]- container#1 /.test(l))).to.match(/container#1 +\.M\.{6} down /)

      expect((await cli.ok(['-s', svcf, 'clear'])).stdout).to.include(`${svcf}: failed state cleared`)
      // back under the agent's care: it restarts the container (at its next tick) with a fresh count
      await until('restarted after the clear', async () => ((await inspectContainer(c1))?.running ? true : undefined))
      expect((await monitorOf()).state).to.not.equal('failed')
      await until('the lock released', () =>
        fs.existsSync(path.join(cli.root, 'var', svcf, 'lock')) ? undefined : true,
      )
      await cli.ok(['-s', svcf, 'start'])
      expect((await inspectContainer(c1))?.running).to.equal(true)
      expect(await monitorOf()).to.deep.include({agent: 'running', state: 'idle', restarts: {}})
      await cli.ok(['-s', svcf, 'stop'])
      await removeServiceContainers(svcf)
    })

    it('stop: SIGTERM, waits for the process to end; the service stays up', async () => {
      const r = await cli.ok(['daemon', 'stop'])
      expect(r.stdout).to.include(`agent stopped (pid ${pid})`)
      expect(pidAlive(pid)).to.equal(false)
      expect(fs.existsSync(pidFile)).to.equal(false)
      expect(JSON.parse((await cli.ok(['daemon', 'status', '--format', 'json'])).stdout).agent).to.equal('stopped')
      expect((await inspectContainer(`${svc}.container.1`))?.running).to.equal(true)
    })

    it('two starts at once: one agent, the other start refused', async () => {
      const both = await Promise.all([cli.run(['daemon', 'start']), cli.run(['daemon', 'start'])])
      expect(both.map(r => r.exitCode).sort(), both.map(r => r.stderr).join('\n')).to.deep.equal([0, 1])
      const started = both.find(r => r.exitCode === 0)!
      const one = Number(/agent started \(pid (\d+)/.exec(started.stdout)![1])
      expect(both.find(r => r.exitCode === 1)!.stderr).to.include(`the agent already runs (pid ${one}`)
      // the agents of this state root, from /proc: only that one
      const agents = fs
        .readdirSync('/proc')
        .filter(d => /^\d+$/.test(d))
        .filter(d => {
          try {
            const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0')
            const env = fs.readFileSync(`/proc/${d}/environ`, 'utf8').split('\0')
            return cmd.includes('daemon') && cmd.includes('run') && env.includes(`SVCMGR_ROOT=${cli.root}`)
          } catch {
            return false
          }
        })
        .map(Number)
      expect(agents).to.deep.equal([one])
      await cli.ok(['daemon', 'stop'])
      expect(pidAlive(one)).to.equal(false)
    })

    it('a start that fails prints the end of the agent log and exits 1', async () => {
      // the agent cannot write its pid file: a folder is in the way
      fs.mkdirSync(pidFile, {recursive: true})
      try {
        const r = await cli.run(['daemon', 'start', '--timeout', '20s'])
        expect(r.exitCode, r.stdout + r.stderr).to.equal(1)
        expect(r.stderr).to.match(/the agent \(pid \d+\) (exited|wrote no heartbeat)/)
        expect(r.stderr).to.include(`the end of its log ${path.join(agentDir, 'agent.log')}:\n  `)
        const after = JSON.parse((await cli.ok(['daemon', 'status', '--format', 'json'])).stdout)
        expect(after.agent).to.equal('stopped')
      } finally {
        fs.rmSync(pidFile, {recursive: true, force: true})
      }
    })

    it('a start past its deadline stops the agent it began and says so (exit 1)', async () => {
      // no agent writes its first heartbeat within a millisecond of its spawn
      const r = await cli.run(['daemon', 'start', '--timeout', '1ms'])
      expect(r.exitCode, r.stdout + r.stderr).to.equal(1)
      const m = /the agent \(pid (\d+)\) wrote no heartbeat within 1ms \(--timeout\); it was stopped/.exec(r.stderr)
      expect(m, r.stderr).to.not.equal(null)
      expect(pidAlive(Number(m![1]))).to.equal(false)
      expect(JSON.parse((await cli.ok(['daemon', 'status', '--format', 'json'])).stdout).pid).to.equal(null)
      await cli.ok(['daemon', 'stop'])
    })

    it('stop of an agent that does not end in time: says it still runs, exit 1', async () => {
      const r = await cli.ok(['daemon', 'start'])
      pid = Number(/pid (\d+)/.exec(r.stdout)![1])
      process.kill(pid, 'SIGSTOP')
      try {
        const s = await cli.run(['daemon', 'stop', '--timeout', '1s'])
        expect(s.exitCode).to.equal(1)
        expect(s.stderr).to.include(`the agent (pid ${pid}) is still running 1s after SIGTERM`)
        expect(pidAlive(pid)).to.equal(true)
      } finally {
        process.kill(pid, 'SIGCONT')
      }
      // the SIGTERM it got while stopped ends it once it runs again
      const deadline = Date.now() + 30_000
      while (pidAlive(pid) && Date.now() < deadline) await sleep(100)
      expect(pidAlive(pid)).to.equal(false)
      await execa(process.execPath, [BIN, 'daemon', 'stop'], {env: cli.env(), reject: false})
    })
  })
})
