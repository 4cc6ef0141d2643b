/**
 * The cluster commands and the status view against a real etcd (the testbed's three members),
 * the CLI run as each node (inside its namespace). The agents' side is played by the test
 * here: presence, instance records and ownership written on real leases by a helper process,
 * so that what each command writes to etcd and what print status shows are checked exactly.
 * (test/cluster/failover.test.ts runs the same commands with the real agents and engines.)
 */
import fs from 'node:fs'
import path from 'node:path'
import {expect} from 'chai'
import {Testbed, testbedUnavailable, type NodeChild, type NodeName} from './support/testbed.js'
import {runOn, type CliResult} from './support/node-cli.js'

interface Kv {
  key: string
  value: string
  modRevision: number
  lease: string
}

const SVC = 'ccweb'
const LOCAL = 'cclocal'
const CONFIG = [
  '[DEFAULT]',
  'nodes = n1 n2 n3',
  'orchestrate = ha',
  '',
  '[container#1]',
  'type = docker',
  'image = google/pause',
  '',
].join('\n')

describe('cluster commands: switch, takeover, giveback, freeze, thaw, print status (real etcd, agents played by the test)', function () {
  this.timeout(90000)
  let bed: Testbed | undefined
  let etcd: NodeChild
  const leases: Partial<Record<NodeName, string>> = {}
  const t0 = Date.now()

  before(async function () {
    const why = await testbedUnavailable()
    if (why) {
      console.log(`      skipped: ${why}`)
      this.skip()
    }
    bed = await Testbed.setup()
    etcd = await bed.child('n1')
    const conf = path.join(bed.nodes.n1.root, 'ccweb.conf')
    fs.mkdirSync(bed.nodes.n1.root, {recursive: true})
    fs.writeFileSync(conf, CONFIG)
    ok(await cli('n1', ['-s', SVC, 'create', '--config', conf]))
    fs.writeFileSync(conf + '.local', CONFIG.replace('orchestrate = ha', 'orchestrate = no'))
    ok(await cli('n1', ['-s', LOCAL, 'create', '--config', conf + '.local']))
  })
  after(async function () {
    this.timeout(60000)
    if (bed) await bed.teardown()
    console.log(`      (suite: ${((Date.now() - t0) / 1000).toFixed(1)} s with the testbed)`)
  })

  const cli = (node: NodeName, args: string[], env?: Record<string, string>) => runOn(bed!, node, args, {env})
  const ok = (r: CliResult) => {
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).to.equal(0)
    return r
  }
  const get = (key: string) => etcd.call<Kv | null>('get', {key})
  const json = async (key: string) => {
    const kv = await get(key)
    return kv ? (JSON.parse(kv.value) as Record<string, unknown>) : null
  }
  const key = (rest: string) => `/svcmgr/services/${SVC}/${rest}`

  /** What an agent publishes: presence on its lease, and its instance record. */
  async function agent(node: NodeName, avail: string, extra: Record<string, unknown> = {}) {
    leases[node] ??= (await etcd.call<{id: string}>('grant', {ttl: 10})).id
    await etcd.call('announce', {node, lease: leases[node]})
    await etcd.call('put', {
      key: key(`instances/${node}`),
      lease: leases[node],
      value: JSON.stringify({
        version: 1,
        node,
        avail,
        frozen: false,
        failed: false,
        updated: new Date().toISOString(),
        ...extra,
      }),
    })
  }
  const own = (node: NodeName) => etcd.call('acquire', {service: SVC, node, lease: leases[node]})
  const release = (node: NodeName) => etcd.call('release', {service: SVC, node, lease: leases[node]})

  it('refuses, exit 2 and nothing written: a local service, a node without etcd, a node not in nodes', async () => {
    const local = await cli('n1', ['-s', LOCAL, 'switch', '--to', 'n2'])
    expect(local.exitCode).to.equal(2)
    expect(local.stderr).to.include(`${LOCAL} is a local service`)
    const noEtcd = await cli('n1', ['-s', SVC, 'switch', '--to', 'n2'], {SVCMGR_ETCD: ''})
    expect(noEtcd.exitCode).to.equal(2)
    expect(noEtcd.stderr).to.include('this node is not in a cluster')
    const bad = await cli('n1', ['-s', SVC, 'switch', '--to', 'n4'])
    expect(bad.exitCode).to.equal(2)
    expect(bad.stderr).to.include('--to: n4 is not a node of ccweb (DEFAULT.nodes = n1 n2 n3)')
    expect((await cli('n1', ['-s', SVC, 'switch', '--to', 'n2', '--timeout', '0s', '--wait'])).exitCode).to.equal(2)
    for (const c of ['takeover', 'giveback']) expect((await cli('n1', ['-s', LOCAL, c])).exitCode, c).to.equal(2)
    // a local freeze stays local: no key
    ok(await cli('n1', ['-s', LOCAL, 'freeze']))
    expect(fs.existsSync(path.join(bed!.nodes.n1.root, 'var', LOCAL, 'frozen'))).to.equal(true)
    expect(await get(`/svcmgr/services/${LOCAL}/frozen`)).to.equal(null)
    ok(await cli('n1', ['-s', LOCAL, 'thaw']))
    expect(await get(key('target'))).to.equal(null)
    // nobody alive: refused for the state (exit 1), nothing written
    const dead = await cli('n1', ['-s', SVC, 'switch', '--to', 'n3'])
    expect(dead.exitCode).to.equal(1)
    expect(dead.stderr).to.include("n3's agent is not alive")
    expect(await get(key('target'))).to.equal(null)
  })

  it('switch --to n3 writes the target; --wait exits 1 saying what it saw when it does not land, 0 once it lands', async () => {
    await agent('n1', 'up')
    await agent('n2', 'down')
    await agent('n3', 'down')
    await own('n1')
    const r = ok(await cli('n2', ['-s', SVC, 'switch', '--to', 'n3', '--format', 'json']))
    const out = JSON.parse(r.stdout) as {result: string; owner: string; target: {id: string}}
    expect(out).to.include({result: 'requested', owner: 'n1'})
    expect(await json(key('target'))).to.deep.include({version: 1, node: 'n3', by: 'n2', id: out.target.id})
    // nobody carries it out: --wait gives up and says what it saw
    const stuck = await cli('n2', ['-s', SVC, 'switch', '--to', 'n3', '--wait', '--timeout', '2s'])
    expect(stuck.exitCode).to.equal(1)
    expect(stuck.stderr).to.match(
      /did not land on n3 within 2s: owner n1; target n3 still pending; n1 up; n2 down; n3 down/,
    )
    // the agents' part, played here while the command waits
    const waiting = cli('n2', ['-s', SVC, 'switch', '--to', 'n3', '--wait', '--timeout', '30s'])
    await new Promise(resolve => setTimeout(resolve, 1500))
    await agent('n1', 'down', {
      transition: {time: new Date().toISOString(), from: 'up', to: 'down', reason: 'switch to n3'},
    })
    expect(await release('n1')).to.equal(true)
    await own('n3')
    await agent('n3', 'up', {
      transition: {time: new Date().toISOString(), from: 'down', to: 'up', reason: 'switch by n2'},
    })
    const landed = ok(await waiting)
    expect(landed.stdout).to.match(/landed: n3 owns it and its instance is up/)
    // a switch to where it runs: nothing to move, the pending target withdrawn
    const again = ok(await cli('n1', ['-s', SVC, 'switch', '--to', 'n3']))
    expect(again.stdout).to.include('ccweb already runs on n3')
    expect(await get(key('target'))).to.equal(null)
  })

  it('print status on each node: one line per node, owner, placement leader, lease time, last transition; JSON cluster view', async () => {
    for (const node of ['n1', 'n2', 'n3'] as const) {
      const r = ok(await cli(node, ['-s', SVC, 'print', 'status', '--format', 'json']))
      const s = JSON.parse(r.stdout) as {node: string; cluster: Record<string, any>}
      expect(s.node).to.equal(node)
      expect(s.cluster).to.include({owner: 'n3', placement: 'n1', frozen: null, target: null})
      expect(s.cluster.lease_remaining_s).to.be.within(1, 10)
      expect(s.cluster.nodes).to.deep.equal(['n1', 'n2', 'n3'])
      expect(s.cluster.instances.n1).to.include({avail: 'down', frozen: false, failed: false, agent: 'alive'})
      expect(s.cluster.instances.n3).to.include({avail: 'up', agent: 'alive'})
      expect(s.cluster.instances.n3.transition).to.include({from: 'down', to: 'up', reason: 'switch by n2'})
    }
    const text = ok(await cli('n2', ['-s', SVC, 'print', 'status'])).stdout
    expect(text).to.match(/\|- cluster +thawed +owner n3 \(lease \d+s left\); placement leader n1/)
    expect(text).to.match(/ {3}\|- n1 +down +leader, last up -> down \d+s ago: switch to n3/)
    expect(text).to.match(/ {3}\|- n2 +warn +this node, idle/)
    expect(text).to.match(/ {3}`- n3 +up +owner, last down -> up \d+s ago: switch by n2/)
    // the lean path and oclif's agree on a cluster service too (the lease's seconds may tick between them)
    const strip = (s: string) => s.replace(/"lease_remaining_s": \d+/, '').replace(/\d+s (left|ago)/g, '')
    for (const format of ['json', 'text']) {
      const lean = await cli('n2', ['-s', SVC, 'print', 'status', '--format', format])
      const oclif = await cli('n2', ['-s', SVC, 'print', 'status', '--format', format], {SVCMGR_LEAN: '0'})
      expect({code: lean.exitCode, out: strip(lean.stdout), err: lean.stderr}).to.deep.equal({
        code: oclif.exitCode,
        out: strip(oclif.stdout),
        err: oclif.stderr,
      })
    }
    // cluster status lists the service with its owner and placement leader
    const cs = JSON.parse(ok(await cli('n3', ['cluster', 'status', '--format', 'json'])).stdout)
    expect(cs.services).to.deep.equal([{service: SVC, owner: 'n3', placement: 'n1', frozen: false, target: null}])
    expect(ok(await cli('n3', ['cluster', 'status'])).stdout).to.match(
      /services:\n +SERVICE +OWNER +PLACEMENT +FROZEN +MOVE\n +ccweb +n3 +n1 +- +-/,
    )
    const local = ok(await cli('n1', ['-s', LOCAL, 'print', 'status', '--format', 'json']))
    expect(JSON.parse(local.stdout)).to.not.have.property('cluster')
  })

  it('giveback targets the placement leader (n1); a failed n1 makes it n2; takeover targets this node', async () => {
    ok(await cli('n3', ['-s', SVC, 'giveback']))
    expect(await json(key('target'))).to.include({node: 'n1', by: 'n3'})
    await agent('n1', 'down', {failed: true, reason: 'container#1 is down after 2 restarts'})
    const r = ok(await cli('n3', ['-s', SVC, 'giveback', '--format', 'json']))
    expect(JSON.parse(r.stdout)).to.include({to: 'n2', result: 'requested'})
    expect(await json(key('target'))).to.include({node: 'n2'})
    // switch to the failed node is refused, saying how to clear it
    const failed = await cli('n2', ['-s', SVC, 'switch', '--to', 'n1'])
    expect(failed.exitCode).to.equal(1)
    expect(failed.stderr).to.include(
      "ccweb's instance on n1 is failed (container#1 is down after 2 restarts): run `svcmgr -s ccweb clear` on n1 first",
    )
    await agent('n1', 'down')
    ok(await cli('n2', ['-s', SVC, 'takeover']))
    expect(await json(key('target'))).to.include({node: 'n2', by: 'n2'})
    // takeover on the owner withdraws the pending move
    const mine = ok(await cli('n3', ['-s', SVC, 'takeover']))
    expect(mine.stdout).to.include('the pending move was withdrawn')
    expect(await get(key('target'))).to.equal(null)
  })

  it('freeze writes the frozen key and the local flag; a frozen service cannot be switched; thaw removes both', async () => {
    const r = ok(await cli('n2', ['-s', SVC, 'freeze']))
    expect(r.stdout).to.include('frozen cluster-wide')
    expect(await json(key('frozen'))).to.include({by: 'n2'})
    expect(fs.existsSync(path.join(bed!.nodes.n2.root, 'var', SVC, 'frozen'))).to.equal(true)
    const refused = await cli('n1', ['-s', SVC, 'switch', '--to', 'n1'])
    expect(refused.exitCode).to.equal(1)
    expect(refused.stderr).to.include('ccweb is frozen cluster-wide (by n2')
    expect(await get(key('target'))).to.equal(null)
    const status = JSON.parse(ok(await cli('n1', ['-s', SVC, 'print', 'status', '--format', 'json'])).stdout)
    expect(status.cluster.frozen).to.include({by: 'n2'})
    // a second freeze keeps the first record
    expect(ok(await cli('n3', ['-s', SVC, 'freeze'])).stdout).to.include('already frozen cluster-wide (by n2')
    ok(await cli('n1', ['-s', SVC, 'thaw']))
    expect(await get(key('frozen'))).to.equal(null)
    expect(fs.existsSync(path.join(bed!.nodes.n1.root, 'var', SVC, 'frozen'))).to.equal(false)
    ok(await cli('n1', ['-s', SVC, 'switch', '--to', 'n1']))
    expect(await json(key('target'))).to.include({node: 'n1'})
  })

  it('concurrent set on two nodes: no edit is lost; of two that cross, one is refused and told to retry', async () => {
    let conflicts = 0
    let rounds = 0
    for (; rounds < 12 && conflicts === 0; rounds++) {
      const [a, b] = await Promise.all([
        cli('n1', ['-s', SVC, 'set', '--kw', `DEFAULT.app=a${rounds}`]),
        cli('n2', ['-s', SVC, 'set', '--kw', `DEFAULT.env=b${rounds}`]),
      ])
      const text = (await get(key('config')))!.value
      for (const [r, line] of [
        [a, `app = a${rounds}`],
        [b, `env = b${rounds}`],
      ] as const) {
        if (r.exitCode === 0) expect(text, 'an edit that said done is in etcd').to.include(line)
        else {
          expect(r.exitCode, r.stderr).to.equal(1)
          expect(r.stderr).to.match(
            /changed in the cluster while it was edited .*nothing written; run the command again/,
          )
          expect(text, 'a refused edit wrote nothing').to.not.include(line)
          conflicts++
        }
      }
      expect(a.exitCode === 0 || b.exitCode === 0, 'one of two wins').to.equal(true)
    }
    console.log(`      ${conflicts} conflict(s) in ${rounds} round(s) of two concurrent sets`)
  })
})
