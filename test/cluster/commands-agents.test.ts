/**
 * The cluster commands with the real agents (issue 15's "switch --to n3, giveback, freeze"):
 * three nodes of the testbed, each with its own dockerd and `svcmgr daemon run`, a cluster
 * service of one pause container (nodes = n1 n2 n3, orchestrate = ha). The commands run as a
 * user would, each on some node; what is checked is where the containers run (the engines),
 * etcd's keys, and print status on every node. A sampler looks at the three engines every
 * 200 ms during every scenario: the service running on two nodes at once fails the test.
 */
import {expect} from 'chai'
import {execa} from 'execa'
import {until} from '../integration/support/agent.js'
import {
  NodeAgentProcess,
  cliOn,
  sampleEachTest,
  serviceContainers,
  startAgentsHoldingLeases,
} from './support/cluster-service.js'
import {NODES, type NodeChild, type NodeName, Testbed, testbedUnavailable} from './support/testbed.js'

const IMAGE = 'google/pause:latest'
const TTL = 5
const PREFIX = process.env.CLUSTERENV_PREFIX ?? 'cc'
const NET = process.env.CLUSTERENV_NET ?? '203.0.113.192'
const SVC = `${PREFIX}sw`

describe('cluster commands with real agents: switch --wait, giveback, freeze across a node crash, status on every node', function () {
  this.timeout(180_000)
  let bed: Testbed | undefined
  let etcd: NodeChild | undefined
  const agents = {} as Record<NodeName, NodeAgentProcess>
  // the sampler's hooks first: its after() runs before the suite's teardown
  const sampler = sampleEachTest(() => bed, SVC, agents, 40)
  const t0 = Date.now()
  const figures: string[] = []

  const cli = async (node: NodeName, args: string[]) => {
    const r = await cliOn(bed!, node, TTL, args)
    return {exitCode: r.exitCode ?? -1, out: String(r.stdout), err: String(r.stderr), all: String(r.all)}
  }
  const ok = async (node: NodeName, args: string[]) => {
    const r = await cli(node, args)
    expect(r.exitCode, `${node}: svcmgr ${args.join(' ')}\n${r.all}`).to.equal(0)
    return r
  }
  const running = async (node: NodeName) => {
    const cs = await serviceContainers(bed!, node, SVC)
    return cs && cs.length === 1 && cs[0].running ? cs : undefined
  }
  const noneRunning = async (node: NodeName) => {
    const cs = await serviceContainers(bed!, node, SVC)
    return cs === undefined || cs.every(c => !c.running)
  }
  const onlyOn = async (node: NodeName) => {
    expect(await running(node), `${SVC} runs on ${node}`).to.not.equal(undefined)
    for (const n of NODES) if (n !== node) expect(await noneRunning(n), `${n} runs nothing`).to.equal(true)
  }
  const status = async (node: NodeName) =>
    JSON.parse((await ok(node, ['-s', SVC, 'print', 'status', '--format', 'json'])).out) as {
      node: string
      avail: string
      cluster: {owner: string | null; placement: string | null; frozen: unknown; instances: Record<string, any>}
    }

  before(async function () {
    const why =
      (await testbedUnavailable()) ??
      ((await execa('docker', ['image', 'inspect', IMAGE], {reject: false})).exitCode === 0
        ? undefined
        : `the shared test engine (DOCKER_HOST=${process.env.DOCKER_HOST ?? ''}) lacks ${IMAGE}: run scripts/testenv.sh up`)
    if (why) {
      console.log(`      skipped: ${why}`)
      this.skip()
    }
    bed = await Testbed.setup({engines: true, images: [IMAGE], prefix: PREFIX, net: NET})
    console.log(`      testbed (${PREFIX}, ${NET}/26) with engines up in ${Math.round(bed.timings.setupMs!)} ms`)
    etcd = await bed.child('n3')
    await startAgentsHoldingLeases(bed, TTL, agents)
    const conf = {
      DEFAULT: {nodes: 'n1 n2 n3', orchestrate: 'ha', monitor_interval: '2s'},
      'container#1': {type: 'docker', image: 'google/pause'},
    }
    const created = await cliOn(bed, 'n2', TTL, ['-s', SVC, 'create', '--config=-'], JSON.stringify(conf))
    expect(created.exitCode, created.all).to.equal(0)
    await until('the service running on n1', () => running('n1'), 90_000, 200)
  })

  after(async () => {
    for (const n of NODES) await agents[n]?.stop().catch(() => undefined)
    if (bed) await bed.teardown()
    console.log(`      cluster commands suite with agents: ${Math.round((Date.now() - t0) / 1000)} s; TTL ${TTL} s`)
    for (const f of figures) console.log(`      ${f}`)
  })

  it("switch --to n3 --wait lands: the container on n3's engine, none on n1's; owner n3; print status on every node says so", async () => {
    await onlyOn('n1')
    const t = Date.now()
    const r = await ok('n1', ['-s', SVC, 'switch', '--to', 'n3', '--wait', '--timeout', '90s'])
    figures.push(`switch --to n3 --wait: ${((Date.now() - t) / 1000).toFixed(1)} s (the CLI's wall time)`)
    expect(r.out).to.match(/landed: n3 owns it and its instance is up/)
    await onlyOn('n3')
    await until(
      'the target key deleted by n3',
      async () => !(await etcd!.call('get', {key: `/svcmgr/services/${SVC}/target`})),
      30_000,
      200,
    )
    for (const node of NODES) {
      const s = await until(
        `${node}'s status showing n3 up`,
        async () => {
          const v = await status(node)
          return v.cluster.instances.n3?.avail === 'up' && v.cluster.instances.n1?.avail === 'down' ? v : undefined
        },
        30_000,
        500,
      )
      expect(s.node).to.equal(node)
      expect(s.cluster).to.include({owner: 'n3', placement: 'n1', frozen: null})
      expect(s.cluster.instances.n3).to.include({avail: 'up', frozen: false, failed: false, agent: 'alive'})
      expect(s.avail, `${node}'s own instance`).to.equal(node === 'n3' ? 'up' : 'down')
    }
    const text = (await ok('n2', ['-s', SVC, 'print', 'status'])).out
    expect(text).to.match(/\|- cluster +thawed +owner n3 \(lease \d+s left\); placement leader n1/)
    expect(text).to.match(/`- n3 +up +owner/)
  })

  it('giveback --wait returns it to n1, the placement leader', async () => {
    const r = await ok('n2', ['-s', SVC, 'giveback', '--wait', '--timeout', '90s'])
    expect(r.out).to.match(/giveback of .* to n1 requested .*landed/)
    await onlyOn('n1')
    expect((await status('n3')).cluster.owner).to.equal('n1')
  })

  it('freeze, then crash n1: nothing moves while frozen; thaw: it moves (to n2 or n3, one of them)', async () => {
    await ok('n2', ['-s', SVC, 'freeze'])
    const refused = await cli('n2', ['-s', SVC, 'takeover'])
    expect(refused.exitCode).to.equal(1)
    expect(refused.err).to.include('frozen cluster-wide')
    const crash = Date.now()
    await bed!.crash('n1')
    // the owner's lease expires after TTL; frozen, no agent acquires or starts it
    await until(
      "n1's owner key gone with its lease",
      async () => !(await etcd!.call('get', {key: `/svcmgr/services/${SVC}/owner`})),
      30_000,
      200,
    )
    await new Promise(resolve => setTimeout(resolve, 2 * TTL * 1000))
    for (const n of ['n2', 'n3'] as const) expect(await noneRunning(n), `${n} runs nothing while frozen`).to.equal(true)
    const s = await status('n2')
    expect(s.cluster.frozen).to.include({by: 'n2'})
    expect(s.cluster.owner).to.equal(null)
    expect(s.cluster.instances.n1).to.include({avail: 'unknown', agent: 'not alive'})
    const thaw = Date.now()
    // thawed where it was frozen: the cluster key and n2's own flag go. n2 leads by `nodes` order,
    // but n3 may take it: n2's record said frozen (the cluster key) until n2 publishes again, and
    // n3 reads that as n2 frozen (the agent's decision, src/agent/cluster.ts): either runs it, one only
    await ok('n2', ['-s', SVC, 'thaw'])
    const on = await until(
      'the service running on n2 or n3 after thaw',
      async () => ((await running('n2')) ? 'n2' : (await running('n3')) ? 'n3' : undefined),
      90_000,
      200,
    )
    figures.push(
      `frozen across n1's crash: nothing ran for ${((thaw - crash) / 1000).toFixed(1)} s; after thaw running on ${on} in ${((Date.now() - thaw) / 1000).toFixed(1)} s`,
    )
    expect(
      sampler()!
        .after(crash)
        .filter(x => x.t1 < thaw)
        .every(x => !x.running.n2 && !x.running.n3),
      'nothing ran while frozen',
    ).to.equal(true)
    await onlyOn(on)
  })
})
