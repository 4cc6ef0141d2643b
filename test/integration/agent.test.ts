/**
 * The node agent (issue 14) for real: `svcmgr daemon run` as its own process against the shared
 * engine, containers killed with `docker kill`, the agent's work checked on the engine (running
 * again, a new start time), in the state files (monitor.json, intent.json, the lock) and in the
 * service log (actor agent). monitor_interval is an hour wherever a restart is expected: what
 * the agent does then comes from the engine's events, not a poll. No timed assertions: every
 * wait polls real state up to a generous deadline.
 */
import fs from 'node:fs'
import path from 'node:path'
import {expect} from 'chai'
import {execa} from 'execa'
import {writeMonitorState} from '../../src/agent/state.js'
import {AgentProcess, readJson, until} from './support/agent.js'
import {CliSandbox, docker, inspectContainer, removeServiceContainers, requireEngine} from './support/cli.js'

const BIN = new URL('../../bin/run.js', import.meta.url).pathname
const tag = (t: string) => `ag${process.pid}${t}`

describe('node agent: restarts from engine events, the failed state, the lock, orchestrate', function () {
  this.timeout(240_000)
  const cli = new CliSandbox('agent')
  const services: string[] = []
  let agent: AgentProcess | undefined

  before(requireEngine)
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && agent) console.log(agent.stderr.split('\n').slice(-60).join('\n'))
    await agent?.stop()
    agent = undefined
  })
  after(async () => {
    await removeServiceContainers(...services)
    cli.cleanup()
  })

  const varDir = (svc: string) => path.join(cli.root, 'var', svc)
  const monitor = (svc: string) => readJson(path.join(varDir(svc), 'monitor.json'))
  const intent = (svc: string) => readJson(path.join(varDir(svc), 'intent.json'))
  const lockOwner = (svc: string) => readJson<{pid: number; action: string}>(path.join(varDir(svc), 'lock'))
  const log = (svc: string) => fs.readFileSync(path.join(cli.root, 'log', `${svc}.log`), 'utf8')
  const running = async (name: string) => (await inspectContainer(name))?.running === true

  async function create(svc: string, conf: string): Promise<void> {
    services.push(svc)
    await cli.ok(['-s', svc, 'create', '--config=-'], {input: conf})
  }

  /** Kills a container and waits for it to run again under a new start: the agent's restart. */
  async function killAndWaitRestarted(name: string): Promise<void> {
    const before = (await inspectContainer(name))!
    expect(before.running, `${name} runs before the kill`).to.equal(true)
    await docker(['kill', name])
    await until(`${name} restarted`, async () => {
      const now = await inspectContainer(name)
      return now?.running && now.startedAt !== before.startedAt ? true : undefined
    })
  }

  it('refuses bad values of its keywords at create and set, naming the keyword (exit 2, nothing changed)', async () => {
    const svc = tag('kw')
    const bad = await cli.run(['-s', svc, 'create', '--config=-'], {
      input: '[container#1]\ntype = docker\nimage = google/pause\nrestart = -1\n',
    })
    expect(bad.exitCode).to.equal(2)
    expect(bad.stderr).to.include('container#1.restart: expected an integer >= 0, got "-1"')
    expect(fs.existsSync(path.join(cli.root, 'etc', `${svc}.conf`))).to.equal(false)
    await create(svc, '[container#1]\ntype = docker\nimage = google/pause\n')
    const conf = fs.readFileSync(path.join(cli.root, 'etc', `${svc}.conf`), 'utf8')
    for (const [kw, message] of [
      ['monitor_interval=0', 'DEFAULT.monitor_interval: expected a duration > 0, got "0"'],
      ['orchestrate=always', 'DEFAULT.orchestrate: expected one of no, ha, start, got "always"'],
      ['container#1.restart=-1', 'container#1.restart: expected an integer >= 0, got "-1"'],
    ]) {
      const r = await cli.run(['-s', svc, 'set', '--kw', kw])
      expect(r.exitCode, kw).to.equal(2)
      expect(r.stderr, kw).to.include(message)
    }
    expect(fs.readFileSync(path.join(cli.root, 'etc', `${svc}.conf`), 'utf8')).to.equal(conf)
    await cli.ok(['-s', svc, 'delete'])
  })

  it('restart = 2: two kills restarted from the die events, the third leaves it down and the instance failed; a user start brings it back', async () => {
    const svc = tag('r2')
    const c1 = `${svc}.container.1`
    await create(
      svc,
      '[DEFAULT]\nmonitor_interval = 1h\n\n[container#1]\ntype = docker\nimage = google/pause\nrestart = 2\nrestart_delay = 100ms\nmonitor = true\n',
    )
    await cli.ok(['-s', svc, 'start'])
    expect(intent(svc)).to.include({version: 1, intent: 'started', by: 'user'})
    agent = await AgentProcess.start(cli)
    await agent.watching(svc)

    await killAndWaitRestarted(c1)
    await until('restarts 1 in monitor.json', () => monitor(svc)?.restarts?.['container#1'] === 1)
    await killAndWaitRestarted(c1)
    await until('restarts 2 in monitor.json', () => monitor(svc)?.restarts?.['container#1'] === 2)
    expect(log(svc)).to.match(
      /INFO  agent deb1\.\S+\.container#1 +container \S+\.container\.1 died \(exit code 137\) \(die event\)/,
    )
    expect(log(svc)).to.match(/INFO  agent deb1\.\S+ +restart done/)

    await docker(['kill', c1])
    const failed = await until('the failed state', () => (monitor(svc)?.state === 'failed' ? monitor(svc) : undefined))
    expect(failed).to.deep.include({
      version: 1,
      state: 'failed',
      reason: 'container#1 is down after 2 restarts (restart = 2)',
      restarts: {'container#1': 2},
    })
    await agent.heartbeats()
    expect(await running(c1), 'left down once failed').to.equal(false)
    expect(JSON.parse((await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'])).stdout).avail).to.equal('down')

    // what `svcmgr -s X clear` does to the state file: the agent takes the service back at once
    // (its next tick; the poll is an hour away) and restarts what is down, with a fresh budget
    writeMonitorState(varDir(svc), {state: 'idle', restarts: {}})
    await until(`${c1} restarted after the clear`, () => running(c1))
    await until('restarts 1 after the clear', () => monitor(svc)?.restarts?.['container#1'] === 1)

    await cli.ok(['-s', svc, 'start'])
    expect(await running(c1)).to.equal(true)
    expect(monitor(svc)).to.deep.equal({version: 1, state: 'idle', restarts: {}})
    // a user start resets the budget too: the agent restarts it again
    await killAndWaitRestarted(c1)
    await until('restarts 1 again', () => monitor(svc)?.restarts?.['container#1'] === 1)
  })

  it('leaves a service a user stopped down, never touches a frozen one, and restarts it once thawed', async () => {
    const svc = tag('st')
    const c1 = `${svc}.container.1`
    await create(
      svc,
      '[DEFAULT]\nmonitor_interval = 1h\n\n[container#1]\ntype = docker\nimage = google/pause\nrestart = 3\nrestart_delay = 100ms\n',
    )
    await cli.ok(['-s', svc, 'start'])
    agent = await AgentProcess.start(cli)
    await agent.watching(svc)

    await cli.ok(['-s', svc, 'stop'])
    expect(intent(svc)).to.include({intent: 'stopped', by: 'user'})
    await agent.watching(svc, false)
    await agent.heartbeats()
    expect(await running(c1), 'a user stop is not undone').to.equal(false)
    expect(monitor(svc)?.restarts).to.deep.equal({})

    await cli.ok(['-s', svc, 'start'])
    await agent.watching(svc)
    await cli.ok(['-s', svc, 'freeze'])
    await agent.watching(svc, false)
    await docker(['kill', c1])
    await agent.heartbeats(3)
    expect(await running(c1), 'a frozen service is not restarted').to.equal(false)
    expect(monitor(svc)?.restarts ?? {}).to.deep.equal({})

    await cli.ok(['-s', svc, 'thaw'])
    await until(`${c1} restarted once thawed`, () => running(c1))
    expect(monitor(svc)?.restarts).to.deep.equal({'container#1': 1})
  })

  /** container#1 restartable; container#2 joins its namespace and takes 4 s to stop (it ignores TERM): a restart of #1 holds the lock that long. */
  const slowService = (restart: number) =>
    `[DEFAULT]\nmonitor_interval = 1h\n\n[container#1]\ntype = docker\nimage = google/pause\nrestart = ${restart}\nrestart_delay = 100ms\n\n[container#2]\ntype = docker\nimage = svcmgr/slowstop\nnetns = container#1\nstop_timeout = 4s\n`

  it("a user start during the agent's restart waits for the lock, then finds everything up", async () => {
    const svc = tag('lk')
    await create(svc, slowService(2))
    await cli.ok(['-s', svc, 'start'])
    agent = await AgentProcess.start(cli)
    await agent.watching(svc)
    const c2before = (await inspectContainer(`${svc}.container.2`))!

    await docker(['kill', `${svc}.container.1`])
    const pid = agent.pid
    await until('the agent holding the lock for its restart', () => lockOwner(svc)?.pid === pid)
    const user = await cli.run(['-s', svc, 'start', '--waitlock', '120s', '--format', 'json'])
    expect(user.exitCode, user.stderr).to.equal(0)
    expect(user.stderr).to.match(new RegExp(`service ${svc} is locked by pid ${pid} \\(restart, since`))
    const result = JSON.parse(user.stdout)
    expect(result.tasks.map((t: {state: string}) => t.state)).to.deep.equal(['unchanged', 'unchanged'])
    expect(result.events.every((e: {actor: string}) => e.actor === 'user')).to.equal(true)
    for (const n of [1, 2]) expect(await running(`${svc}.container.${n}`), `container#${n}`).to.equal(true)
    expect((await inspectContainer(`${svc}.container.2`))!.startedAt).to.not.equal(c2before.startedAt)
    // in the log: the agent's restart done, then the user's start, waiting for it, done
    const lines = log(svc).split('\n')
    const agentDone = lines.findIndex(l => / agent deb1\.\S+ +restart done$/.test(l))
    const userDone = lines
      .map((l, i) => (/ user  deb1\.\S+ +start done$/.test(l) ? i : -1))
      .reduce((a, b) => Math.max(a, b))
    expect(agentDone).to.be.greaterThan(-1)
    expect(userDone, "the user's start ends after the agent's restart").to.be.greaterThan(agentDone)
    expect(lines.slice(agentDone).some(l => / user  deb1\.\S+ +start begins/.test(l))).to.equal(true)
  })

  /** Starts an agent, kills container#1, kills the agent -9 while it restarts it under the lock. */
  async function killAgentMidRestart(svc: string): Promise<void> {
    agent = await AgentProcess.start(cli)
    await agent.watching(svc)
    await docker(['kill', `${svc}.container.1`])
    const dead = agent.pid
    await until('the agent holding the lock for its restart', () => lockOwner(svc)?.pid === dead)
    // the attempt is recorded once the precondition passed under the lock: a moment after the lock
    await until('monitor.json restarting', () => monitor(svc)?.state === 'restarting')
    expect(monitor(svc)).to.deep.include({state: 'restarting', restarting: ['container#1']})
    expect(lockOwner(svc)?.pid, 'still restarting under its lock').to.equal(dead)
    await agent.kill9()
    expect(lockOwner(svc)?.pid, 'the lock is left behind').to.equal(dead)
  }

  it('kill -9 of the agent mid-restart: the next agent recovers the stale lock and converges', async () => {
    const svc = tag('k9')
    await create(svc, slowService(1))
    await cli.ok(['-s', svc, 'start'])
    await killAgentMidRestart(svc)

    agent = await AgentProcess.start(cli)
    for (const n of [1, 2]) await until(`container#${n} running`, () => running(`${svc}.container.${n}`))
    await until('the lock released', () => !fs.existsSync(path.join(varDir(svc), 'lock')))
    await until('monitor.json idle', () => monitor(svc)?.state === 'idle')
    // the interrupted attempt did not count: restart = 1 was enough for the restart that converged
    expect(monitor(svc)?.restarts).to.deep.equal({'container#1': 1})
    expect(agent.stderr).to.include('was interrupted (the agent doing it died): not counted')
    expect(JSON.parse((await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'])).stdout).avail).to.equal('up')
  })

  it('an agent killed at every restart: the first interrupted attempt is not counted, the second is', async () => {
    const svc = tag('k2')
    await create(svc, slowService(2))
    await cli.ok(['-s', svc, 'start'])
    await killAgentMidRestart(svc)
    // the next agent forgives that attempt and restarts: one restart counted of 2
    agent = await AgentProcess.start(cli)
    await until('container#1 running', () => running(`${svc}.container.1`))
    await until(
      'monitor.json idle',
      () => monitor(svc)?.state === 'idle' && !fs.existsSync(path.join(varDir(svc), 'lock')),
    )
    expect(monitor(svc)).to.deep.include({restarts: {'container#1': 1}, forgiven: {'container#1': 1}})
    await agent.stop()
    agent = undefined

    await killAgentMidRestart(svc)
    // interrupted again: this one counts (2 of 2), so nothing is left to try and it stays down
    agent = await AgentProcess.start(cli)
    await until('the interrupted attempt counted', () =>
      agent!.stderr.includes('was interrupted (the agent doing it died): counted for container#1 (interrupted before)'),
    )
    await until('left down', () => agent!.stderr.includes('left down (no restart left; monitor = false)'))
    expect(monitor(svc)).to.deep.include({state: 'idle', restarts: {'container#1': 2}})
    expect(await running(`${svc}.container.1`), 'no restart left').to.equal(false)

    // a user start resets the counts, the forgiven one included
    await agent.stop()
    agent = undefined
    await cli.ok(['-s', svc, 'start', '--waitlock', '60s'])
    expect(monitor(svc)).to.deep.equal({version: 1, state: 'idle', restarts: {}})
  })

  it('orchestrate = start: the agent starts the service when it starts, unless a user stopped it or it is frozen', async () => {
    const [a, b, c] = [tag('oa'), tag('ob'), tag('oc')]
    const conf = '[DEFAULT]\norchestrate = start\n\n[container#1]\ntype = docker\nimage = google/pause\n'
    for (const s of [a, b, c]) {
      await create(s, conf)
      await cli.ok(['-s', s, 'start'])
    }
    await cli.ok(['-s', b, 'stop'])
    await cli.ok(['-s', c, 'freeze'])
    // the node "reboots": its containers stopped behind svcmgr's back, no agent running
    await docker(['stop', '-t', '1', `${a}.container.1`, `${c}.container.1`])
    expect(await running(`${a}.container.1`)).to.equal(false)

    agent = await AgentProcess.start(cli)
    await until(`${a} started by the agent`, () => running(`${a}.container.1`))
    await until('the intent recorded by the agent', () => intent(a)?.by === 'agent')
    expect(intent(a)).to.include({intent: 'started', by: 'agent'})
    await agent.watching(a)
    expect(log(a)).to.match(/INFO  agent deb1\.\S+ +start done/)
    expect(agent.stderr).to.include('orchestrate = start: started')
    // the start at boot was decided for every service before the watch began
    expect(await running(`${b}.container.1`), 'stopped by a user').to.equal(false)
    expect(await running(`${c}.container.1`), 'frozen').to.equal(false)
    expect(intent(b)).to.include({intent: 'stopped', by: 'user'})

    const stopped = await agent.stop()
    agent = undefined
    expect(stopped.exitCode, 'a SIGTERM stops the agent cleanly').to.equal(0)
    expect(fs.existsSync(path.join(cli.root, 'agent', 'agent.pid'))).to.equal(false)
  })

  it('refuses a second agent on the same state root', async () => {
    agent = await AgentProcess.start(cli)
    const second = await execa(process.execPath, [BIN, 'daemon', 'run'], {
      env: {...cli.env(), CI: 'true'},
      reject: false,
      stdin: 'ignore',
      timeout: 60_000,
    })
    expect(second.exitCode).to.equal(1)
    expect(String(second.stderr)).to.include(`an agent already runs for ${cli.root}: pid ${agent.pid}`)
    expect(agent.info()?.pid).to.equal(agent.pid)
  })
})
