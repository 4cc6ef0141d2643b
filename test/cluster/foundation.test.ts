/**
 * The cluster's foundation on a real etcd (issue 15): three etcd 3.4 members and three node
 * namespaces (scripts/clusterenv.sh through support/testbed.ts). Every client runs in a child
 * process inside a node's namespace; faults are real: a member killed, a link set down, a
 * node's every process killed. Skips, saying why, without root, etcd or namespaces.
 */
import {execa} from 'execa'
import {expect} from 'chai'
import fs from 'node:fs'
import path from 'node:path'
import {Testbed, testbedUnavailable, type NodeChild} from './support/testbed.js'

interface Kv {
  key: string
  value: string
  modRevision: number
  lease: string
}
interface Lease {
  id: string
  ttl: number
  sentAt: number
  deadline: number
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

/** Polls fn until it returns a value other than undefined, up to timeoutMs (a wait, not an assertion on time). */
async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await sleep(100)
  }
}

describe('cluster foundation: etcd client, lease keeper, ownership, presence (real etcd members)', function () {
  this.timeout(60000)
  let bed: Testbed | undefined
  let tornDown = false

  before(async function () {
    const why = await testbedUnavailable()
    if (why) {
      console.log(`      skipped: ${why}`)
      this.skip()
    }
    this.timeout(90000)
    bed = await Testbed.setup()
    console.log(`      testbed up in ${Math.round(bed.timings.setupMs!)} ms`)
  })

  after(async function () {
    this.timeout(60000)
    if (bed && !tornDown) await bed.teardown()
  })

  const children: NodeChild[] = []
  afterEach(() => {
    for (const c of children.splice(0)) c.kill()
  })
  const child = async (...a: Parameters<Testbed['child']>) => {
    const c = await bed!.child(...a)
    children.push(c)
    return c
  }

  describe('the etcd client (HTTP/JSON gateway)', () => {
    it('fails over to another endpoint when a member is killed, and when a member is cut off', async () => {
      const c = await child('n2')
      await c.call('put', {key: '/svcmgr/test/fo', value: '1'})
      await bed!.etcdStop('e1')
      await c.call('put', {key: '/svcmgr/test/fo', value: '2'})
      expect((await c.call<Kv>('get', {key: '/svcmgr/test/fo'})).value).to.equal('2')
      await bed!.etcdStart('e1')
      await bed!.waitHealthy()
      // a cut link answers nothing: the call's deadline must leave time for the others
      const fresh = await child('n2', {endpoints: [...bed!.endpoints.slice(1), bed!.endpoints[0]]})
      await bed!.cut('e2')
      try {
        const put = await fresh.answer('put', {key: '/svcmgr/test/fo', value: '3'})
        expect(put.ok, put.error).to.equal(true)
        console.log(`      put with e2 cut off: ${Math.round(put.ended - put.started)} ms`)
      } finally {
        await bed!.restore('e2')
      }
      expect((await c.call<Kv>('get', {key: '/svcmgr/test/fo'})).value).to.equal('3')
      await bed!.waitHealthy()
    })

    it("with two members down: writes and linearizable reads fail at their deadline (a write's outcome unknown), a serializable read is the only stale answer", async () => {
      const c = await child('n1', {endpoints: bed!.endpoints})
      await c.call('put', {key: '/svcmgr/test/q', value: 'before'})
      await bed!.etcdStop('e2')
      await bed!.etcdStop('e3')
      try {
        const put = await c.answer('put', {key: '/svcmgr/test/q', value: 'after', timeoutMs: 2000})
        expect(put.ok).to.equal(false)
        expect(put.name).to.equal('EtcdUnavailableError')
        const get = await c.answer('get', {key: '/svcmgr/test/q', timeoutMs: 2000})
        expect(get.ok, 'a linearizable read without quorum must fail').to.equal(false)
        expect(get.name).to.equal('EtcdUnavailableError')
        const stale = await c.answer<Kv>('get', {key: '/svcmgr/test/q', serializable: true, timeoutMs: 2000})
        expect(stale.ok).to.equal(true)
        expect(stale.result.value).to.equal('before')
        console.log(
          `      no quorum: put failed after ${Math.round(put.ended - put.started)} ms, linearizable get after ${Math.round(get.ended - get.started)} ms (deadline 2000)`,
        )
      } finally {
        await bed!.etcdStart('e2')
        await bed!.etcdStart('e3')
      }
      await bed!.waitHealthy()
      // a write that failed at its deadline has an unknown outcome, not a failed one: the member
      // left may have logged it as leader, and it commits when quorum returns. Callers re-read.
      const afterwards = (await c.call<Kv>('get', {key: '/svcmgr/test/q'})).value
      expect(afterwards).to.be.oneOf(['before', 'after'])
      console.log(
        `      the timed-out put, once quorum returned: ${afterwards === 'after' ? 'applied' : 'not applied'}`,
      )
    })

    it('a watch reconnects to another member from the revision after the last one seen: no event lost, none twice', async () => {
      const w = await child('n1') // e1 first
      const writer = await child('n3', {endpoints: [...bed!.endpoints].reverse()})
      await w.call('watch', {key: '/svcmgr/test/w/'})
      await writer.call('put', {key: '/svcmgr/test/w/a', value: '1'})
      await w.event('watch', 5000)
      await bed!.etcdStop('e1')
      try {
        await writer.call('put', {key: '/svcmgr/test/w/b', value: '2'})
        await writer.call('put', {key: '/svcmgr/test/w/c', value: '3'})
        await until('the watch sees c', 15000, async () =>
          w.events.some(e => e.event === 'watch' && JSON.stringify(e.events).includes('/svcmgr/test/w/c'))
            ? true
            : undefined,
        )
      } finally {
        await bed!.etcdStart('e1')
      }
      const keys = w.events.filter(e => e.event === 'watch').flatMap(e => (e.events as {kv: Kv}[]).map(x => x.kv.key))
      expect(keys).to.deep.equal(['/svcmgr/test/w/a', '/svcmgr/test/w/b', '/svcmgr/test/w/c'])
      expect(w.events.some(e => e.event === 'watch-reconnect')).to.equal(true)
      await bed!.waitHealthy()
    })
  })

  describe('the lease keeper', () => {
    it('says lost on its local deadline BEFORE etcd expires the lease when its node is cut off', async () => {
      const keeper = await child('n1')
      const observer = await child('n2')
      const {lease} = await keeper.call<{lease: Lease}>('keeperStart', {ttl: 3})
      await keeper.call('put', {key: '/svcmgr/test/part/k', value: 'x', lease: lease.id})
      await observer.call('watch', {key: '/svcmgr/test/part/'})
      await keeper.event('renewed', 5000)
      await bed!.cut('n1')
      try {
        const lost = await keeper.event('lost', 10000)
        const deleted = await until('the key bound to the lease is deleted by etcd', 15000, async () =>
          observer.events.find(e => e.event === 'watch' && JSON.stringify(e.events).includes('"type":"delete"')),
        )
        const renewals = keeper.events.filter(e => e.event === 'renewed' && e.mono < lost.mono)
        const lastAck = (renewals.at(-1)?.lease as Lease | undefined) ?? lease
        expect(lost.reason).to.equal('deadline')
        expect(lost.mono, 'the keeper said lost before etcd expired the lease').to.be.below(deleted.mono)
        // and before the earliest moment etcd may expire it: the last acknowledged keepalive's send + TTL
        expect(lost.mono).to.be.below(lastAck.sentAt + 3000)
        console.log(
          `      cut off: lost ${Math.round(lost.mono - lastAck.sentAt)} ms after the last acknowledged send, etcd deleted the key ${Math.round(deleted.mono - lost.mono)} ms later`,
        )
      } finally {
        await bed!.restore('n1')
      }
    })

    it('resumes the same lease after its process is killed and restarted within the TTL; its keys stay', async () => {
      const stateFile = path.join(bed!.nodes.n1.root, 'var', 'lease.json')
      const first = await child('n1')
      const {lease} = await first.call<{lease: Lease}>('keeperStart', {ttl: 6, stateFile})
      await first.call('put', {key: '/svcmgr/test/resume', value: 'mine', lease: lease.id})
      const before = await first.call<Kv>('get', {key: '/svcmgr/test/resume'})
      first.kill('SIGKILL')
      const second = await child('n1')
      const resumed = await second.call<{lease: Lease}>('keeperStart', {ttl: 6, stateFile})
      const granted = await second.event('granted', 1000)
      expect(granted.resumed).to.equal(true)
      expect(resumed.lease.id).to.equal(lease.id)
      await second.event('renewed', 5000)
      const observer = await child('n2')
      const after = await observer.call<Kv>('get', {key: '/svcmgr/test/resume'})
      expect(after.lease).to.equal(lease.id)
      expect(after.modRevision).to.equal(before.modRevision)
      expect(JSON.parse(fs.readFileSync(stateFile, 'utf8')).id).to.equal(lease.id)
    })
  })

  describe('ownership and presence', () => {
    it('two contenders create the owner key at once: exactly one wins; only the owner can release it', async () => {
      const a = await child('n1')
      const b = await child('n2')
      const [la, lb] = await Promise.all([
        a.call<{id: string}>('grant', {ttl: 10}),
        b.call<{id: string}>('grant', {ttl: 10}),
      ])
      const [ra, rb] = await Promise.all([
        a.call<{acquired: boolean; owner: {node: string}}>('acquire', {service: 'et-own1', node: 'n1', lease: la.id}),
        b.call<{acquired: boolean; owner: {node: string}}>('acquire', {service: 'et-own1', node: 'n2', lease: lb.id}),
      ])
      expect([ra.acquired, rb.acquired].filter(Boolean)).to.have.length(1)
      const winner = ra.acquired ? 'n1' : 'n2'
      expect(ra.owner.node).to.equal(winner)
      expect(rb.owner.node).to.equal(winner)
      const owner = await a.call<{node: string; lease: string; ttl: number}>('owner', {service: 'et-own1'})
      expect(owner.node).to.equal(winner)
      expect(owner.lease).to.equal(winner === 'n1' ? la.id : lb.id)
      expect(owner.ttl).to.be.within(1, 10)
      const [w, wl, l, ll] = winner === 'n1' ? [a, la, b, lb] : [b, lb, a, la]
      const loserNode = winner === 'n1' ? 'n2' : 'n1'
      expect(await l.call('release', {service: 'et-own1', node: loserNode, lease: ll.id})).to.equal(false)
      expect(await l.call('owner', {service: 'et-own1'})).to.deep.include({node: winner})
      // a retried acquire of the owner itself is an acquisition, not a loss
      expect(await w.call('acquire', {service: 'et-own1', node: winner, lease: wl.id})).to.deep.include({
        acquired: true,
      })
      expect(await w.call('release', {service: 'et-own1', node: winner, lease: wl.id})).to.equal(true)
      expect(await l.call('owner', {service: 'et-own1'})).to.equal(null)
    })

    it('svcmgr cluster status lists the members (one stopped: unreachable) and the nodes; without etcd it refuses, exit 2', async () => {
      const n2 = await child('n2')
      const {id} = await n2.call<{id: string}>('grant', {ttl: 10})
      await n2.call('announce', {node: 'n2', lease: id})
      await bed!.etcdStop('e3')
      try {
        const cli = (args: string[], env: Record<string, string>) =>
          execa('nsenter', [`--net=${bed!.nodes.n1.netns}`, process.execPath, 'bin/run.js', ...args], {
            env: {...env, SVCMGR_ROOT: bed!.nodes.n1.root, SVCMGR_NODENAME: 'n1'},
            reject: false,
          })
        type Report = {
          members: {endpoint: string; reachable: boolean; isLeader?: boolean; raftTerm?: number}[]
          nodes: {node: string; alive: boolean}[]
        }
        // e3 may have been the leader: the two others elect one within the election timeout
        const report = await until('a leader among the members left', 15000, async () => {
          const json = await cli(['cluster', 'status', '--format', 'json'], {SVCMGR_ETCD: bed!.endpoints.join(',')})
          expect(json.exitCode, json.stderr).to.equal(0)
          const r = JSON.parse(json.stdout) as Report
          return r.members.some(m => m.isLeader) ? r : undefined
        })
        expect(report.members.map(m => m.reachable)).to.deep.equal([true, true, false])
        expect(report.members.filter(m => m.isLeader)).to.have.length(1)
        expect(report.members[0].raftTerm).to.be.above(0)
        expect(report.nodes.find(n => n.node === 'n2')).to.deep.include({alive: true})
        const text = await cli(['cluster', 'status'], {SVCMGR_ETCD: bed!.endpoints.join(',')})
        expect(text.stdout).to.match(/^ {2}n2 +alive /m)
        expect(text.stdout).to.match(new RegExp(`${bed!.endpoints[2].replace(/\./g, '\\.')} +no \\(`))
        const none = await cli(['cluster', 'status'], {})
        expect(none.exitCode).to.equal(2)
        expect(none.stderr).to.include('no etcd endpoints in the settings')
        const bad = await cli(['cluster', 'status'], {SVCMGR_ETCD: 'nowhere'})
        expect(bad.exitCode).to.equal(2)
        expect(bad.stderr).to.include('SVCMGR_ETCD: etcd: expected endpoints as http://host:port, got "nowhere"')
      } finally {
        await bed!.etcdStart('e3')
      }
      await bed!.waitHealthy()
    })

    it("a crashed node's presence key goes with its lease; the node stays listed with its last-seen time", async () => {
      const n3 = await child('n3')
      const {id} = await n3.call<{id: string}>('grant', {ttl: 3})
      await n3.call('announce', {node: 'n3', lease: id})
      const viewer = await child('n1')
      const listed = await viewer.call<{node: string; alive: boolean; lastSeen: string}[]>('nodes')
      expect(listed.find(n => n.node === 'n3')).to.deep.include({alive: true})
      await bed!.crash('n3')
      const pids = await execa('ip', ['netns', 'pids', `${bed!.prefix}-n3`])
      expect(pids.stdout.trim(), 'the crash left processes in n3').to.equal('')
      const dead = await until('n3 no longer alive', 15000, async () => {
        const nodes = await viewer.call<{node: string; alive: boolean; lastSeen?: string}[]>('nodes')
        const e = nodes.find(n => n.node === 'n3')
        return e && !e.alive ? e : undefined
      })
      expect(dead.lastSeen).to.equal(listed.find(n => n.node === 'n3')!.lastSeen)
    })
  })

  describe('the cluster config store', () => {
    it('two concurrent edits from the same revision: one lands, the other is refused and told to retry', async () => {
      const a = await child('n1')
      const b = await child('n2')
      const created = await a.call<{revision: number}>('cfgCreate', {
        name: 'et-cfg1',
        text: '[DEFAULT]\nnodes = n1 n2 n3\n',
      })
      const again = await b.answer('cfgCreate', {name: 'et-cfg1', text: '[DEFAULT]\nnodes = n2\n'})
      expect(again.ok).to.equal(false)
      expect(again.error).to.include('already exists in the cluster')
      const [ra, rb] = await Promise.all([
        a.answer<{revision: number}>('cfgUpdate', {name: 'et-cfg1', text: 'A', revision: created.revision}),
        b.answer<{revision: number}>('cfgUpdate', {name: 'et-cfg1', text: 'B', revision: created.revision}),
      ])
      expect([ra.ok, rb.ok].filter(Boolean)).to.have.length(1)
      const loser = ra.ok ? rb : ra
      expect(loser.name).to.equal('ClusterConfigConflictError')
      expect(loser.error).to.match(/changed in the cluster while it was edited .*run the command again/)
      const stored = await a.call<{text: string; revision: number}>('cfgRead', {name: 'et-cfg1'})
      expect(stored.text).to.equal(ra.ok ? 'A' : 'B')
      expect(stored.revision).to.be.above(created.revision)
      expect(await b.call('cfgList')).to.include('et-cfg1')
      // the local copy beside its revision; an older revision does not overwrite a newer copy
      const dirs = {etcDir: path.join(bed!.nodes.n2.root, 'etc'), varDir: path.join(bed!.nodes.n2.root, 'var')}
      expect(await b.call('cfgLocalCopy', {dirs, config: {name: 'et-cfg1', ...stored}})).to.equal('written')
      expect(fs.readFileSync(path.join(dirs.etcDir, 'et-cfg1.conf'), 'utf8')).to.equal(stored.text)
      const old = {name: 'et-cfg1', text: 'old', revision: created.revision}
      expect(await b.call('cfgLocalCopy', {dirs, config: old})).to.equal('up to date')
      expect(fs.readFileSync(path.join(dirs.etcDir, 'et-cfg1.conf'), 'utf8')).to.equal(stored.text)
      // a delete from a stale revision is refused too; from the current one it lands
      const del = await a.answer('cfgDelete', {name: 'et-cfg1', revision: created.revision})
      expect(del.name).to.equal('ClusterConfigConflictError')
      await a.call('cfgDelete', {name: 'et-cfg1', revision: stored.revision})
      expect(await a.call('cfgRead', {name: 'et-cfg1'})).to.equal(null)
      expect(await b.call('cfgList')).to.not.include('et-cfg1')
    })
  })

  describe('create/set/ls/delete of a cluster service (orchestrate = ha) from two nodes', () => {
    const cli = (node: 'n1' | 'n2', args: string[]) =>
      execa('nsenter', [`--net=${bed!.nodes[node].netns}`, process.execPath, 'bin/run.js', ...args], {
        env: {SVCMGR_ROOT: bed!.nodes[node].root, SVCMGR_NODENAME: node, SVCMGR_ETCD: bed!.endpoints.join(',')},
        reject: false,
      })
    it('stores it in etcd, edits from either node land without losing the other, concurrent ones are refused or land, never lost', async function () {
      this.timeout(120000)
      const file = path.join(bed!.nodes.n1.root, 'et-cfg2.conf')
      fs.writeFileSync(
        file,
        '[DEFAULT]\nnodes = n1 n2 n3\norchestrate = ha\n\n[container#1]\ntype = docker\nimage = google/pause:latest\n',
      )
      const created = await cli('n1', ['-s', 'et-cfg2', 'create', '--config', file])
      expect(created.exitCode, created.stderr).to.equal(0)
      const etcd = await child('n3')
      const stored = await etcd.call<{text: string; revision: number}>('cfgRead', {name: 'et-cfg2'})
      expect(stored.text).to.include('orchestrate = ha')
      const meta = path.join(bed!.nodes.n1.root, 'var', 'et-cfg2', 'cluster-config.json')
      expect(JSON.parse(fs.readFileSync(meta, 'utf8')).revision).to.equal(stored.revision)
      expect(fs.readFileSync(path.join(bed!.nodes.n1.root, 'etc', 'et-cfg2.conf'), 'utf8')).to.equal(stored.text)
      const ls = await cli('n2', ['ls'])
      expect(ls.exitCode, ls.stderr).to.equal(0)
      expect(ls.stdout.split('\n')).to.include('et-cfg2')
      // n2 has no local copy: it takes it from etcd, edits etcd's text
      const setN2 = await cli('n2', ['-s', 'et-cfg2', 'set', '--kw', 'DEFAULT.comment=from-n2'])
      expect(setN2.exitCode, setN2.stderr).to.equal(0)
      // n1's copy is one revision old: its edit starts from etcd's text, keeping n2's
      const setN1 = await cli('n1', ['-s', 'et-cfg2', 'set', '--kw', 'DEFAULT.app=from-n1'])
      expect(setN1.exitCode, setN1.stderr).to.equal(0)
      const both = await etcd.call<{text: string}>('cfgRead', {name: 'et-cfg2'})
      expect(both.text).to.include('comment = from-n2').and.to.include('app = from-n1')
      let refused = 0
      for (let round = 0; round < 3; round++) {
        const [a, b] = await Promise.all([
          cli('n1', ['-s', 'et-cfg2', 'set', '--kw', `DEFAULT.app=n1-${round}`]),
          cli('n2', ['-s', 'et-cfg2', 'set', '--kw', `DEFAULT.comment=n2-${round}`]),
        ])
        const text = (await etcd.call<{text: string}>('cfgRead', {name: 'et-cfg2'})).text
        for (const [r, line] of [
          [a, `app = n1-${round}`],
          [b, `comment = n2-${round}`],
        ] as const) {
          if (r.exitCode === 0) expect(text, 'an edit that said done is in etcd').to.include(line)
          else {
            refused++
            expect(r.exitCode, r.stderr).to.equal(1)
            expect(r.stderr).to.match(/changed in the cluster while it was edited .*run the command again/)
            expect(text).to.not.include(line)
          }
        }
      }
      console.log(`      concurrent sets: ${refused} of 6 refused (told to retry), the others landed`)
      const del = await cli('n2', ['-s', 'et-cfg2', 'delete'])
      expect(del.exitCode, del.stderr).to.equal(0)
      expect(await etcd.call('cfgRead', {name: 'et-cfg2'})).to.equal(null)
      expect(fs.existsSync(path.join(bed!.nodes.n2.root, 'etc', 'et-cfg2.conf'))).to.equal(false)
    })
  })

  describe('the testbed', () => {
    it('tears down every namespace, process and file it made', async () => {
      for (const c of children.splice(0)) c.kill()
      await bed!.teardown()
      tornDown = true
      console.log(`      testbed down in ${Math.round(bed!.timings.teardownMs!)} ms`)
      const netns = (await execa('ip', ['netns', 'list'])).stdout
      expect(netns.split('\n').filter(l => l.startsWith(`${bed!.prefix}-`))).to.deep.equal([])
      expect(fs.existsSync(`/run/svcmgr-clusterenv-${bed!.prefix}`)).to.equal(false)
      expect(fs.existsSync(`/var/tmp/svcmgr-clusterenv-${bed!.prefix}`)).to.equal(false)
      const etcds = await execa('pgrep', ['-f', `svcmgr-clusterenv-${bed!.prefix}`], {reject: false})
      expect(etcds.stdout.trim()).to.equal('')
      const mounts = fs.readFileSync('/proc/mounts', 'utf8')
      expect(mounts).to.not.include(`svcmgr-clusterenv-${bed!.prefix}`)
    })
  })
})
