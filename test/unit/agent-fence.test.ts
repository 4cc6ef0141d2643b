import {spawn} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {
  type FenceArm,
  FenceWatch,
  fenceDeadline,
  fenceStep,
  fenceTakesLock,
  isStopped,
  readFenceArm,
  writeFenceArm,
} from '../../src/agent/fence.js'
import {acquireServiceLock, lockFile, readLockOwner} from '../../src/executor/lock.js'
import {processStartTime} from '../../src/drivers/host.js'
import {FakeClock} from './fixtures/fake-clock.js'

const arm = (deadline: number, over: Partial<FenceArm> = {}): FenceArm => ({
  version: 1,
  agent: {pid: 4242, startTime: '77'},
  lease: 'L1',
  ttl: 5,
  marginMs: 1000,
  deadline,
  bootId: 'boot',
  services: ['web'],
  armedAt: new Date().toISOString(),
  ...over,
})

describe('the fence (src/agent/fence.ts)', () => {
  it('fenceStep: no arm or another boot is disarmed; before the deadline it waits (at most the poll); at it, it fires', () => {
    expect(fenceStep(undefined, 0, 'boot')).to.deep.equal({kind: 'disarmed'})
    expect(fenceStep(arm(10_000, {bootId: 'other'}), 0, 'boot')).to.deep.equal({kind: 'disarmed'})
    expect(fenceStep(arm(10_000), 9_700, 'boot')).to.deep.equal({kind: 'wait', ms: 300})
    expect(fenceStep(arm(10_000), 2_000, 'boot', 1000)).to.deep.equal({kind: 'wait', ms: 1000})
    expect(fenceStep(arm(10_000), 10_000, 'boot').kind).to.equal('fire')
    expect(fenceStep(arm(10_000), 12_000, 'boot').kind).to.equal('fire')
  })

  it('re-armed at each renewal it never fires; the renewals stop: it fires once, at the last deadline', async () => {
    const clock = new FakeClock(5_000_000)
    const ttl = 5000
    const margin = 1000
    let current: FenceArm | undefined = arm(clock.now() + ttl - margin)
    const fired: {at: number; arm: FenceArm}[] = []
    const watch = new FenceWatch({
      read: () => current,
      clock,
      bootId: 'boot',
      fire: async a => void fired.push({at: clock.now(), arm: a}),
    })
    const run = watch.run()
    // an agent renewing every TTL/3, each acknowledged at once: 30 s of renewals
    for (let i = 0; i < 18; i++) {
      await clock.advance(ttl / 3)
      current = arm(clock.now() + ttl - margin, {services: ['web', `svc${i}`]})
    }
    expect(fired).to.deep.equal([])
    // the agent stops renewing (killed, SIGSTOPped): nothing before the deadline, then one fire at it
    const lastDeadline = current.deadline
    await clock.advance(ttl - margin - 1)
    expect(fired).to.deep.equal([])
    await clock.advance(1)
    expect(await run).to.equal('fired')
    expect(fired).to.have.length(1)
    expect(fired[0].at).to.equal(lastDeadline)
    // the services armed last
    expect(fired[0].arm.services).to.deep.equal(['web', 'svc17'])
  })

  it('a renewal late in the period (slow etcd, an agent under load) moves the deadline in time: no false fencing', async () => {
    const clock = new FakeClock(5_000_000)
    let current: FenceArm | undefined = arm(clock.now() + 4000)
    let fired = 0
    const watch = new FenceWatch({read: () => current, clock, bootId: 'boot', fire: async () => void fired++})
    const run = watch.run()
    // a keepalive sent at 1.67 s, acknowledged (and re-armed) at 3.9 s: its deadline counts from the send
    await clock.advance(3900)
    current = arm(clock.now() - 2230 + 4000)
    await clock.advance(1500)
    expect(fired).to.equal(0)
    watch.end()
    expect(await run).to.equal('disarmed')
    expect(fired).to.equal(0)
  })

  it("a newer acknowledgement in the keeper's lease file (written just before the arm) moves the deadline; another lease's does not", async () => {
    const clock = new FakeClock(5_000_000)
    const margin = 1000
    // the agent killed between the keeper's lease.json write and its re-arm of the fence
    const current = arm(clock.now() + 4000 - 1667)
    let lease = {id: 'L1', ttl: 5, sentAt: clock.now(), bootId: 'boot'}
    expect(fenceDeadline(current, lease)).to.equal(clock.now() + 5000 - margin)
    expect(fenceDeadline(current, {...lease, id: 'L2'})).to.equal(current.deadline)
    expect(fenceDeadline(current, {...lease, bootId: 'other'})).to.equal(current.deadline)
    expect(fenceDeadline(current, {...lease, sentAt: clock.now() - 5000})).to.equal(current.deadline)
    let fired: number | undefined
    const watch = new FenceWatch({
      read: () => current,
      readLease: () => lease,
      clock,
      bootId: 'boot',
      fire: async () => void (fired = clock.now()),
    })
    const run = watch.run()
    await clock.advance(2400)
    expect(fired, 'not at the arm deadline').to.equal(undefined)
    // a restarted agent resumes the lease (lease.json rewritten) before it re-arms: still no fire
    lease = {...lease, sentAt: clock.now()}
    await clock.advance(3900)
    expect(fired).to.equal(undefined)
    await clock.advance(100)
    expect(await run).to.equal('fired')
    expect(fired).to.equal(lease.sentAt + 4000)
  })

  it('disarmed (the arm removed, or ended by the agent) before the deadline: it ends without firing', async () => {
    const clock = new FakeClock(5_000_000)
    let current: FenceArm | undefined = arm(clock.now() + 4000)
    let fired = 0
    const watch = new FenceWatch({read: () => current, clock, bootId: 'boot', fire: async () => void fired++})
    const run = watch.run()
    await clock.advance(1500)
    current = undefined
    await clock.advance(1000)
    expect(await run).to.equal('disarmed')
    await clock.advance(10_000)
    expect(fired).to.equal(0)
  })

  it('a restarted agent re-arming the same fence within the deadline (a takeover) keeps it from firing', async () => {
    const clock = new FakeClock(5_000_000)
    let current: FenceArm | undefined = arm(clock.now() + 4000)
    let fired = 0
    const watch = new FenceWatch({read: () => current, clock, bootId: 'boot', fire: async () => void fired++})
    const run = watch.run()
    // the agent killed; a new one (another pid) resumes the lease 2 s later and arms the fence
    await clock.advance(2000)
    current = arm(clock.now() + 4000, {agent: {pid: 5151, startTime: '88'}})
    await clock.advance(3000)
    expect(fired).to.equal(0)
    await clock.advance(1000)
    expect(await run).to.equal('fired')
    expect(fired).to.equal(1)
  })

  it('its lock rule: a stopped holder is taken at once; the demoting agent is waited for; any other live holder for the margin', () => {
    const agent = {pid: 4242, startTime: '77'}
    const owner = (pid: number, starttime = '77') => ({pid, starttime, action: 'stop', since: 'x'})
    const stoppedPids = new Set<number>()
    const now: {demoting?: typeof agent} = {}
    const rule = fenceTakesLock({marginMs: 1000, demotingAgent: () => now.demoting, stopped: p => stoppedPids.has(p)})
    expect(rule(owner(4242), 0), 'a live agent, not demoting: waited').to.equal(false)
    expect(rule(owner(4242), 1000), '... for the margin').to.equal(true)
    now.demoting = agent
    expect(rule(owner(4242), 60_000), 'the agent demoting: waited for').to.equal(false)
    expect(rule(owner(4242, '99'), 1000), 'another process of that pid: the margin').to.equal(true)
    stoppedPids.add(4242)
    expect(rule(owner(4242), 0), 'stopped (SIGSTOP): at once').to.equal(true)
    expect(rule(owner(7), 999), "a user's command: waited").to.equal(false)
  })

  it('reads back the arm it wrote (the file the agent rewrites per renewal)', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hfen-unit-'))
    try {
      expect(readFenceArm(root)).to.equal(undefined)
      writeFenceArm(root, arm(123))
      expect(readFenceArm(root)).to.deep.include({deadline: 123, lease: 'L1', services: ['web']})
    } finally {
      fs.rmSync(root, {recursive: true, force: true})
    }
  })

  it('takes a service lock from a SIGSTOPped holder (a real stopped process), and only then', async function () {
    this.timeout(20_000)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hfen-lock-'))
    const holder = spawn('sleep', ['30'], {stdio: 'ignore'})
    try {
      await new Promise(r => holder.once('spawn', r))
      const pid = holder.pid!
      const planted = {pid, starttime: processStartTime(pid)!, action: 'start', since: new Date().toISOString()}
      fs.writeFileSync(lockFile(dir), JSON.stringify(planted))
      const rule = fenceTakesLock({marginMs: 60_000, demotingAgent: () => undefined})
      // a live, running holder: not taken (waited for, here 300 ms, then refused)
      let refused: Error | undefined
      await acquireServiceLock(dir, 'web', 'stop', {waitMs: 300, takeOver: rule}).catch((e: Error) => (refused = e))
      expect(refused?.message).to.match(/locked by pid/)
      process.kill(pid, 'SIGSTOP')
      for (let i = 0; i < 50 && !isStopped(pid); i++) await new Promise(r => setTimeout(r, 20))
      expect(isStopped(pid)).to.equal(true)
      const lock = await acquireServiceLock(dir, 'web', 'stop', {waitMs: 5000, takeOver: rule})
      expect(readLockOwner(lockFile(dir))?.pid).to.equal(process.pid)
      lock.release()
      expect(fs.existsSync(lockFile(dir))).to.equal(false)
    } finally {
      holder.kill('SIGKILL')
      fs.rmSync(dir, {recursive: true, force: true})
    }
  })
})
