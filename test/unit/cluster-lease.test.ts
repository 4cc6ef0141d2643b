import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {LeaseKeeper, leaseDeadline, leaseMarginMs, renewIntervalMs} from '../../src/cluster/lease.js'
import {FakeClock} from './fixtures/fake-clock.js'

/** A fake etcd: keepalives answer (TTL) while `reachable`, else never answer before the call's deadline. */
class FakeEtcd {
  reachable = true
  leases = new Map<string, number>()
  keepalives: {id: string; at: number}[] = []
  revoked: string[] = []
  private next = 1
  constructor(private readonly clock: FakeClock) {}
  async leaseGrant(ttl: number) {
    const id = String(this.next++)
    this.leases.set(id, ttl)
    return {id, ttl}
  }
  leaseKeepAlive(id: string, options: {timeoutMs?: number} = {}): Promise<number> {
    this.keepalives.push({id, at: this.clock.now()})
    if (this.reachable) return Promise.resolve(this.leases.has(id) ? this.leases.get(id)! : 0)
    return new Promise((_, reject) =>
      this.clock.setTimer(() => reject(new Error('deadline')), options.timeoutMs ?? 5000),
    )
  }
  async leaseRevoke(id: string) {
    this.revoked.push(id)
    this.leases.delete(id)
  }
}

describe('cluster lease: the local deadline arithmetic', () => {
  it('is the send time of the last acknowledged keepalive + TTL − margin', () => {
    expect(leaseDeadline(5000, 10, 2000)).to.equal(13000)
    expect(leaseMarginMs(10)).to.equal(2000)
    expect(leaseMarginMs(3)).to.equal(600)
    expect(leaseMarginMs(1)).to.equal(500)
    expect(renewIntervalMs(10)).to.equal(3333)
    // the renewal comes well before the deadline: two renewals may fail before it passes
    for (const ttl of [3, 5, 10, 30, 3600])
      expect(2 * renewIntervalMs(ttl)).to.be.below(ttl * 1000 - leaseMarginMs(ttl))
  })
})

describe('cluster lease: the keeper (fake clock, fake etcd)', () => {
  let dir: string
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-lease-'))))
  afterEach(() => fs.rmSync(dir, {recursive: true, force: true}))

  it('renews every TTL/3 and moves the deadline to each acknowledged send time + TTL − margin', async () => {
    const clock = new FakeClock(1_000_000)
    const etcd = new FakeEtcd(clock)
    const keeper = new LeaseKeeper({client: etcd, ttl: 9, clock})
    const start = clock.now()
    const lease = await keeper.start()
    expect(lease.deadline).to.equal(start + 9000 - 1800)
    await clock.advance(3000)
    expect(etcd.keepalives.map(k => k.at - start)).to.deep.equal([3000])
    expect(keeper.lease!.deadline).to.equal(start + 3000 + 9000 - 1800)
    await clock.advance(6000)
    expect(etcd.keepalives.map(k => k.at - start)).to.deep.equal([3000, 6000, 9000])
    expect(keeper.lease!.deadline).to.equal(start + 9000 + 7200)
    await keeper.stop()
  })

  it('says "lost" at its deadline when keepalives go unanswered, never later, without hearing from the server', async () => {
    const clock = new FakeClock(1_000_000)
    const etcd = new FakeEtcd(clock)
    const keeper = new LeaseKeeper({client: etcd, ttl: 9, clock})
    const lost: {reason: string; at: number}[] = []
    keeper.on('lost', reason => lost.push({reason, at: clock.now()}))
    const start = clock.now()
    const lease = await keeper.start()
    await clock.advance(3000) // acknowledged at +3000: deadline +10200
    etcd.reachable = false
    await clock.advance(7199)
    expect(lost).to.deep.equal([])
    expect(keeper.remainingMs()).to.equal(1)
    await clock.advance(1)
    expect(lost).to.deep.equal([{reason: 'deadline', at: start + 10200}])
    expect(keeper.lease).to.equal(undefined)
    // the server would expire it at the last keepalive's arrival + TTL, at +12000 at the earliest
    expect(lost[0].at).to.be.below(start + 3000 + 9000)
    // given up, it revokes the lease when it can (here the revoke is sent at once)
    expect(etcd.revoked).to.deep.equal([lease.id])
    // nothing more: no renewal of a lost lease, no second event
    const n = etcd.keepalives.length
    await clock.advance(20000)
    expect(etcd.keepalives.length).to.equal(n)
    expect(lost.length).to.equal(1)
  })

  it('says "lost" at once when etcd answers that the lease no longer exists', async () => {
    const clock = new FakeClock(1_000_000)
    const etcd = new FakeEtcd(clock)
    const keeper = new LeaseKeeper({client: etcd, ttl: 9, clock})
    const lost: string[] = []
    keeper.on('lost', reason => lost.push(reason))
    const lease = await keeper.start()
    etcd.leases.delete(lease.id)
    await clock.advance(3000)
    expect(lost).to.deep.equal(['not-found'])
  })

  it('resumes the persisted lease within its deadline, grants a new one (revoking the old) past it', async () => {
    const clock = new FakeClock(1_000_000)
    const etcd = new FakeEtcd(clock)
    const stateFile = path.join(dir, 'lease.json')
    const first = new LeaseKeeper({client: etcd, ttl: 9, clock, stateFile})
    const lease = await first.start()
    await clock.advance(3000)
    await first.stop() // a killed agent: nothing revoked, the file stays
    expect(fs.existsSync(stateFile)).to.equal(true)
    await clock.advance(2000)
    const second = new LeaseKeeper({client: etcd, ttl: 9, clock, stateFile})
    expect(second.resumable(), 'within the deadline').to.equal(true)
    expect(new LeaseKeeper({client: etcd, ttl: 5, clock, stateFile}).resumable(), 'another TTL').to.equal(false)
    const granted: boolean[] = []
    second.on('granted', (_s, resumed: boolean) => granted.push(resumed))
    const resumed = await second.start()
    expect(resumed.id).to.equal(lease.id)
    expect(granted).to.deep.equal([true])
    await second.stop()
    await clock.advance(10000) // past the deadline
    const third = new LeaseKeeper({client: etcd, ttl: 9, clock, stateFile})
    expect(third.resumable(), 'past the deadline').to.equal(false)
    const fresh = await third.start()
    expect(fresh.id).to.not.equal(lease.id)
    expect(etcd.revoked).to.deep.equal([lease.id])
    await third.stop({revoke: true})
    expect(fs.existsSync(stateFile)).to.equal(false)
  })
})
