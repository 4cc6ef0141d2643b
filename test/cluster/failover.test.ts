/**
 * Ownership and failover with real agents (issue 15): three nodes of the testbed, each with its
 * own dockerd and its own `svcmgr daemon run`, a cluster service (a pause container holding the
 * service address on a macvlan of the node's eth0, an nginx stand-in joined to it; nodes = n1 n2
 * n3, orchestrate = ha) and the real faults: a node crash, a cut link, an agent killed and
 * restarted, etcd members stopped. A sampler looks at the three engines every 200 ms during
 * every scenario: the service running on two nodes at once fails the test.
 *
 * The scenarios run in order on one testbed, each starting with the service on n1.
 */
import fs from 'node:fs'
import {expect} from 'chai'
import {execa} from 'execa'
import {readJson, until} from '../integration/support/agent.js'
import {
  NodeAgentProcess,
  sampleEachTest,
  cliOn,
  httpFromFabric,
  serviceContainers,
  type ContainerState,
  startAgentsHoldingLeases,
} from './support/cluster-service.js'
import {NODES, type NodeChild, type NodeName, Testbed, testbedUnavailable} from './support/testbed.js'

const IMAGES = ['google/pause:latest', 'nginx:latest']
const TTL = 5
const PREFIX = process.env.CLUSTERENV_PREFIX ?? 'cb'
const NET = process.env.CLUSTERENV_NET ?? '203.0.113.128'
const SVC = `${PREFIX}web`
/** The service address: .32 of the testbed's /26 (members are .1-.3, nodes .17-.19). */
const ADDR = (() => {
  const parts = NET.split('.').map(Number)
  return `${parts[0]}.${parts[1]}.${parts[2]}.${parts[3] + 32}`
})()
const STANDIN = 'svcmgr nginx stand-in'

const figures: string[] = []

describe('cluster failover: ownership on the lease, demotion on the local deadline (real agents, engines, etcd)', function () {
  this.timeout(180_000)
  let bed: Testbed | undefined
  let etcd: NodeChild | undefined
  const agents = {} as Record<NodeName, NodeAgentProcess>
  // the sampler's hooks first: its after() runs before the suite's teardown
  const sampler = sampleEachTest(() => bed, SVC, agents, 60)
  const t0 = Date.now()

  const running = async (node: NodeName): Promise<ContainerState[] | undefined> => {
    const cs = await serviceContainers(bed!, node, SVC)
    return cs && cs.length === 2 && cs.every(c => c.running) ? cs : undefined
  }
  const noneRunning = async (node: NodeName) => {
    const cs = await serviceContainers(bed!, node, SVC)
    return cs === undefined || cs.every(c => !c.running)
  }
  const owner = async () => {
    const kv = await etcd!.call<{value: string; lease: string; modRevision: number} | undefined>('get', {
      key: `/svcmgr/services/${SVC}/owner`,
    })
    return kv ? {...(JSON.parse(kv.value) as {node: string}), lease: kv.lease, revision: kv.modRevision} : undefined
  }
  const answers = () =>
    until(
      'the service address answering HTTP from the fabric',
      async () => (await httpFromFabric(bed!, ADDR))?.includes(STANDIN),
      60_000,
      250,
    )
  /** Moves the service back to n1 through the contract's target key, as switch does. */
  const backToN1 = async () => {
    const id = `test-${Date.now()}`
    await etcd!.call('put', {
      key: `/svcmgr/services/${SVC}/target`,
      value: JSON.stringify({version: 1, node: 'n1', by: 'test', time: new Date().toISOString(), id}),
    })
    await until('the service running on n1 again', () => running('n1'), 90_000, 200)
    await until(
      'the move done (target deleted)',
      async () => !(await etcd!.call('get', {key: `/svcmgr/services/${SVC}/target`})),
      30_000,
      200,
    )
    for (const n of ['n2', 'n3'] as const) expect(await noneRunning(n), `${n} runs nothing`).to.equal(true)
  }

  before(async function () {
    const why =
      (await testbedUnavailable()) ??
      ((await execa('docker', ['image', 'inspect', ...IMAGES], {reject: false})).exitCode === 0
        ? undefined
        : `the shared test engine (DOCKER_HOST=${process.env.DOCKER_HOST ?? ''}) lacks ${IMAGES.join(' or ')}: run scripts/testenv.sh up`)
    if (why) {
      console.log(`      skipped: ${why}`)
      this.skip()
    }
    bed = await Testbed.setup({engines: true, images: IMAGES, prefix: PREFIX, net: NET})
    console.log(`      testbed (${PREFIX}, ${NET}/26) with engines up in ${Math.round(bed.timings.setupMs!)} ms`)
    etcd = await bed.child('n3')
    await startAgentsHoldingLeases(bed, TTL, agents)
    const conf = {
      DEFAULT: {nodes: 'n1 n2 n3', orchestrate: 'ha', monitor_interval: '2s'},
      'container#1': {type: 'docker', image: 'google/pause', run_command: '/bin/sh'},
      'container#2': {type: 'docker', image: 'nginx', netns: 'container#1'},
      'ip#1': {
        type: 'netns',
        mode: 'macvlan',
        netns: 'container#1',
        ipdev: 'eth0',
        ipname: ADDR,
        netmask: '255.255.255.192',
      },
    }
    const created = await cliOn(bed, 'n2', TTL, ['-s', SVC, 'create', '--config=-'], JSON.stringify(conf))
    expect(created.exitCode, created.all).to.equal(0)
  })

  after(async () => {
    for (const n of NODES) await agents[n]?.stop().catch(() => undefined)
    if (bed) await bed.teardown()
    console.log(`      cluster failover suite: ${Math.round((Date.now() - t0) / 1000)} s; TTL ${TTL} s`)
    for (const f of figures) console.log(`      ${f}`)
  })

  it('starts on n1, the placement leader, and its address answers HTTP from the fabric', async () => {
    const cs = await until('the service running on n1', () => running('n1'), 90_000, 200)
    expect(cs.map(c => c.name)).to.deep.equal([`${SVC}.container.1`, `${SVC}.container.2`])
    await answers()
    expect(await owner()).to.include({node: 'n1'})
    for (const n of ['n2', 'n3'] as const) {
      expect(await noneRunning(n), `${n} runs nothing`).to.equal(true)
      // every node has its local copy of the config, synced by its agent
      await until(`${n}'s local copy`, () =>
        execa('test', ['-s', `${bed!.nodes[n].root}/etc/${SVC}.conf`], {reject: false}).then(r => r.exitCode === 0),
      )
    }
    // an edit on n3 reaches every node's copy
    const set = await cliOn(bed!, 'n3', TTL, ['-s', SVC, 'set', '--kw', 'DEFAULT.comment=synced by the agents'])
    expect(set.exitCode, set.all).to.equal(0)
    for (const n of NODES)
      await until(`${n}'s copy updated`, () =>
        fs.readFileSync(`${bed!.nodes[n].root}/etc/${SVC}.conf`, 'utf8').includes('synced by the agents'),
      )
    const inst = await etcd!.call<{kvs: {key: string; value: string}[]}>('range', {
      key: `/svcmgr/services/${SVC}/instances/`,
    })
    const recs = Object.fromEntries(inst.kvs.map(kv => [kv.key.split('/').pop(), JSON.parse(kv.value)]))
    expect(Object.keys(recs).sort()).to.deep.equal(['n1', 'n2', 'n3'])
    expect(recs.n1).to.include({version: 1, node: 'n1', avail: 'up', frozen: false, failed: false})
    expect(recs.n2.reason).to.match(/standby: n1 owns it/)
  })

  it('an agent killed (kill -9) and restarted 2 s later resumes its lease: nothing stops, nothing restarts', async () => {
    const before = (await running('n1'))!
    const ownerBefore = await owner()
    // killed right after an acknowledged renewal (its lease file rewritten): the deadline is then TTL - margin away
    const leaseFile = `${bed!.nodes.n1.root}/agent/lease.json`
    const sent = (readJson<{sentAt: number}>(leaseFile) ?? {sentAt: 0}).sentAt
    await until(
      "a renewal of n1's lease",
      () => (readJson<{sentAt: number}>(leaseFile)?.sentAt ?? sent) !== sent,
      30_000,
      20,
    )
    agents.n1.kill('SIGKILL')
    await until('the agent gone', () => agents.n1.exited)
    await new Promise(r => setTimeout(r, 2000))
    agents.n1 = NodeAgentProcess.start(bed!, 'n1', TTL)
    await until(
      "n1's new agent resuming its lease",
      () =>
        agents.n1.stderr.includes('resumed (its keys are kept)') ||
        (agents.n1.stderr.includes('granted (TTL') &&
          Promise.reject(new Error(`a new lease was granted:\n${agents.n1.stderr}`))),
      30_000,
    )
    // two TTLs of its reconcile: it saw itself the owner and left the service as it is
    await until("n1's agent seeing itself the owner", () => agents.n1.stderr.includes('owner: running here'), 30_000)
    await new Promise(r => setTimeout(r, 2 * TTL * 1000))
    const after = (await running('n1'))!
    expect(
      after.map(c => c.startedAt),
      'the containers were not restarted',
    ).to.deep.equal(before.map(c => c.startedAt))
    expect(await owner()).to.deep.equal(ownerBefore)
    expect(agents.n1.stderr).to.not.match(/start: |stop: /)
    expect(sampler()!.samples.every(s => s.running.n1 === true && !s.running.n2 && !s.running.n3)).to.equal(true)
  })

  it('one etcd member down: nothing moves; two down: the owner stops at its deadline and nobody starts; back: it starts again on n1', async () => {
    const before = (await running('n1'))!
    const ownerBefore = await owner()
    await bed!.etcdStop('e2')
    const n1Log = agents.n1.stderr.length
    await new Promise(r => setTimeout(r, 3 * TTL * 1000))
    expect(agents.n1.since(n1Log), 'the lease is kept with one member down').to.not.include('lost')
    expect((await running('n1'))!.map(c => c.startedAt)).to.deep.equal(before.map(c => c.startedAt))
    expect(await owner()).to.deep.equal(ownerBefore)

    const lostFrom = NODES.map(n => agents[n].stderr.length)
    const cut = Date.now()
    await bed!.etcdStop('e3')
    await until('n1 stopping the service (its lease lost at the deadline)', () => noneRunning('n1'), 60_000, 200)
    const stopped = Date.now()
    await until(
      'every agent saying its lease is lost',
      () => NODES.every((n, i) => agents[n].since(lostFrom[i]).includes('lost (its local deadline')),
      30_000,
    )
    // no quorum, nobody can acquire: nothing runs anywhere while the members are down
    await new Promise(r => setTimeout(r, 2 * TTL * 1000))
    for (const n of NODES) expect(await noneRunning(n), `${n} runs nothing without quorum`).to.equal(true)
    figures.push(
      `no quorum: the owner stopped ${((stopped - cut) / 1000).toFixed(1)} s after the second member stopped (TTL ${TTL} s)`,
    )
    const back = Date.now()
    await bed!.etcdStart('e2')
    await bed!.etcdStart('e3')
    await bed!.waitHealthy(30_000)
    await until('the service running on n1 again', () => running('n1'), 90_000, 200)
    figures.push(
      `quorum back: running on n1 again ${((Date.now() - back) / 1000).toFixed(1)} s after the members were restarted`,
    )
    await answers()
    expect(
      sampler()!
        .after(stopped)
        .every(s => !s.running.n2 && !s.running.n3),
      'n2 and n3 never ran it',
    ).to.equal(true)
  })

  it('partition (n1 eth0 down): n1 stops the service before n2 starts it; n2 runs it', async () => {
    await until('the service on n1', () => running('n1'), 30_000)
    const cut = Date.now()
    await bed!.cut('n1')
    const onN2 = await until('the service running on n2', () => running('n2'), 90_000, 200)
    const failover = Date.now() - cut
    await answers()
    // the sampled timelines: every sample with n1 running comes before every sample with n2 running
    const s = sampler()!.after(cut)
    const lastN1 = Math.max(...s.filter(x => x.running.n1).map(x => x.t1))
    const firstN2 = Math.min(...s.filter(x => x.running.n2).map(x => x.t0))
    expect(lastN1, 'n1 seen running after n2 was seen running').to.be.below(firstN2)
    // and the engines' own times: n1's containers finished before n2's started
    const n1 = (await serviceContainers(bed!, 'n1', SVC)) ?? []
    const finished = n1.map(c => Date.parse(c.finishedAt)).filter(t => t > 0)
    const started = onN2.map(c => Date.parse(c.startedAt))
    if (finished.length > 0)
      expect(Math.max(...finished), "n1's containers finished before n2's started").to.be.below(Math.min(...started))
    figures.push(
      `partition: running on n2 ${(failover / 1000).toFixed(1)} s after n1's link was cut (TTL ${TTL} s; n1 stopped ${finished.length ? ((Math.min(...started) - Math.max(...finished)) / 1000).toFixed(2) : '?'} s before n2 started)`,
    )
    expect((await owner())?.node).to.equal('n2')
    await bed!.restore('n1')
    await until(
      "n1's agent back with a new lease",
      async () => (await etcd!.call('get', {key: '/svcmgr/nodes/n1'})) !== undefined,
      60_000,
      200,
    )
    expect(await noneRunning('n1'), 'n1 left it stopped: n2 owns it').to.equal(true)
    await backToN1()
  })

  it('node crash (every process of n1 killed): n2 runs it and its address answers again', async () => {
    await until('the service on n1', () => running('n1'), 30_000)
    const crash = Date.now()
    await bed!.crash('n1')
    await until('the service running on n2', () => running('n2'), 90_000, 200)
    const failover = Date.now() - crash
    await answers()
    figures.push(`node crash: running on n2 ${(failover / 1000).toFixed(1)} s after n1 was killed (TTL ${TTL} s)`)
    expect((await owner())?.node).to.equal('n2')
    expect(await noneRunning('n3')).to.equal(true)
  })

  it("n1 back (engine and agent restarted) stays standby; the owner's agent stopped (SIGTERM) stops it there and revokes its lease: n1 takes over", async () => {
    await bed!.engineStart('n1')
    agents.n1 = NodeAgentProcess.start(bed!, 'n1', TTL)
    await until("n1's agent back, standby", () => agents.n1.stderr.includes('standby: n2 owns it'), 60_000)
    expect(await noneRunning('n1'), 'n1 left it stopped: n2 owns it').to.equal(true)
    const t = Date.now()
    await agents.n2.stop()
    expect(await noneRunning('n2'), 'stopped on n2 when its agent has exited').to.equal(true)
    expect(agents.n2.stderr).to.match(/lease \d+ revoked/)
    await until('the service running on n1, the placement leader', () => running('n1'), 60_000, 200)
    figures.push(
      `agent stopped on the owner: running on n1 ${((Date.now() - t) / 1000).toFixed(1)} s after the SIGTERM (TTL ${TTL} s)`,
    )
    expect((await owner())?.node).to.equal('n1')
    agents.n2 = NodeAgentProcess.start(bed!, 'n2', TTL)
    await until("n2's agent back", () => agents.n2.stderr.includes('standby: n1 owns it'), 60_000)
    expect(await noneRunning('n2')).to.equal(true)
  })

  it('frozen cluster-wide: the owner crashes and nothing moves; thawed: n2 takes it', async () => {
    const frozen = `/svcmgr/services/${SVC}/frozen`
    await etcd!.call('put', {key: frozen, value: JSON.stringify({by: 'test', time: new Date().toISOString()})})
    await until(
      "n2's record saying frozen",
      async () => {
        const kv = await etcd!.call<{value: string} | undefined>('get', {key: `/svcmgr/services/${SVC}/instances/n2`})
        return kv ? (JSON.parse(kv.value) as {frozen: boolean}).frozen : false
      },
      30_000,
      200,
    )
    await bed!.crash('n1')
    await until(
      "n1's lease gone (its presence key)",
      async () => !(await etcd!.call('get', {key: '/svcmgr/nodes/n1'})),
      60_000,
      200,
    )
    await until(
      'n2 saying why it does not start it',
      () => agents.n2.stderr.includes('nobody owns it; frozen cluster-wide: not started'),
      30_000,
    )
    await new Promise(r => setTimeout(r, 2 * TTL * 1000))
    for (const n of ['n2', 'n3'] as const) expect(await noneRunning(n), `${n} runs nothing while frozen`).to.equal(true)
    expect(await owner()).to.equal(undefined)
    await etcd!.call('delete', {key: frozen})
    await until('the service running on n2 once thawed', () => running('n2'), 60_000, 200)
    expect((await owner())?.node).to.equal('n2')
  })

  // on the node that runs it: the command leaves the local copy to that node's agent, which stops
  // the service first (the copy removed under it would leave nobody able to stop it)
  it('deleted on the owner (n2): its agent stops it, then every live node drops its copy', async () => {
    expect((await owner())?.node).to.equal('n2')
    const del = await cliOn(bed!, 'n2', TTL, ['-s', SVC, 'delete'])
    expect(del.exitCode, del.all).to.equal(0)
    expect(del.all).to.include("this node's agent stops what runs here and removes its local copy")
    await until('the service stopped on n2', () => noneRunning('n2'), 60_000, 200)
    for (const n of ['n2', 'n3'] as const)
      await until(`${n}'s copy removed`, () => !fs.existsSync(`${bed!.nodes[n].root}/etc/${SVC}.conf`), 30_000)
    expect(await etcd!.call('get', {key: `/svcmgr/services/${SVC}/config`})).to.not.be.ok
  })
})
