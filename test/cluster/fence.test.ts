/**
 * The fence (src/agent/fence.ts), with real agents, engines and etcd on the testbed: the owner's
 * agent SIGSTOPped (holding the service lock) or killed and not restarted, past its lease's
 * local deadline: its fence stops the service on n1 before n2 starts it (the engines' own event
 * times, and the two-nodes-at-once sampler); the agent killed and restarted within the deadline:
 * the new agent takes the same fence over and nothing stops; `daemon stop` leaves no fence.
 */
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {expect} from 'chai'
import {execa} from 'execa'
import {readJson, until} from '../integration/support/agent.js'
import {processStartTime} from '../../src/drivers/host.js'
import {
  NodeAgentProcess,
  sampleEachTest,
  cliOn,
  serviceContainers,
  type ContainerState,
  startAgentsHoldingLeases,
} from './support/cluster-service.js'
import {NODES, type NodeChild, type NodeName, Testbed, testbedUnavailable} from './support/testbed.js'

const IMAGES = ['google/pause:latest']
const TTL = 5
const PREFIX = process.env.CLUSTERENV_PREFIX ?? 'fe'
const NET = process.env.CLUSTERENV_NET ?? '203.0.113.192'
const SVC = `${PREFIX}fsvc`

const figures: string[] = []
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/run.js')

/** The fence processes of a node's state root (`svcmgr daemon fence` with its SVCMGR_ROOT). */
function fenceProcesses(bed: Testbed, node: NodeName): number[] {
  const root = bed.nodes[node].root
  const found: number[] = []
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
      const i = argv.indexOf('daemon')
      if (i < 0 || argv[i + 1] !== 'fence') continue
      const env = fs.readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0')
      if (env.includes(`SVCMGR_ROOT=${root}`)) found.push(Number(entry))
    } catch {}
  }
  return found
}

describe('cluster fence: the agent killed or frozen past its deadline, its fence stops the service (real agents, engines, etcd)', function () {
  this.timeout(180_000)
  let bed: Testbed | undefined
  let etcd: NodeChild | undefined
  const agents = {} as Record<NodeName, NodeAgentProcess>
  // every test fails on a sample with the service running on two nodes at once
  sampleEachTest(() => bed, SVC, agents, 60)
  const t0 = Date.now()

  const running = async (node: NodeName): Promise<ContainerState[] | undefined> => {
    const cs = await serviceContainers(bed!, node, SVC)
    return cs && cs.length === 1 && cs.every(c => c.running) ? cs : undefined
  }
  const noneRunning = async (node: NodeName) => {
    const cs = await serviceContainers(bed!, node, SVC)
    return cs === undefined || cs.every(c => !c.running)
  }
  const owner = async () => {
    const kv = await etcd!.call<{value: string; lease: string} | undefined>('get', {
      key: `/svcmgr/services/${SVC}/owner`,
    })
    return kv ? {...(JSON.parse(kv.value) as {node: string}), lease: kv.lease} : undefined
  }
  const agentLog = (node: NodeName) => {
    try {
      return fs.readFileSync(`${bed!.nodes[node].root}/agent/agent.log`, 'utf8')
    } catch {
      return ''
    }
  }
  const fencePidFile = (node: NodeName) => {
    try {
      return Number(fs.readFileSync(`${bed!.nodes[node].root}/agent/fence.pid`, 'utf8').split(' ')[0])
    } catch {
      return undefined
    }
  }
  /** n1's containers finished before n2's started, on the engines' own clocks; the gap in s. */
  const stoppedBeforeStarted = async (onN2: ContainerState[]) => {
    const n1 = (await serviceContainers(bed!, 'n1', SVC)) ?? []
    const finished = n1.map(c => Date.parse(c.finishedAt)).filter(t => t > 0)
    expect(finished, "n1's containers have finished").to.have.length(n1.length).and.not.have.length(0)
    const started = onN2.map(c => Date.parse(c.startedAt))
    expect(Math.max(...finished), "n1's containers finished before n2's started").to.be.below(Math.min(...started))
    return (Math.min(...started) - Math.max(...finished)) / 1000
  }
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
  }
  const n1Fence = () =>
    until(
      "n1's fence process (one)",
      () => fenceProcesses(bed!, 'n1').length === 1 && fenceProcesses(bed!, 'n1'),
      30_000,
    )

  before(async function () {
    const why =
      (await testbedUnavailable()) ??
      ((await execa('docker', ['image', 'inspect', ...IMAGES], {reject: false})).exitCode === 0
        ? undefined
        : `the shared test engine lacks ${IMAGES.join(' or ')}`)
    if (why) {
      console.log(`      skipped: ${why}`)
      this.skip()
    }
    bed = await Testbed.setup({engines: true, images: IMAGES, prefix: PREFIX, net: NET})
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
    for (const n of NODES) {
      // a test that failed with the agent SIGSTOPped: continued, so that it can stop
      if (agents[n] && !agents[n].exited) agents[n].kill('SIGCONT')
      await agents[n]?.stop().catch(() => undefined)
    }
    if (bed)
      for (const n of NODES)
        for (const pid of fenceProcesses(bed, n))
          try {
            process.kill(pid, 'SIGKILL')
          } catch {}
    if (bed) await bed.teardown()
    console.log(`      cluster fence suite: ${Math.round((Date.now() - t0) / 1000)} s; TTL ${TTL} s`)
    for (const f of figures) console.log(`      ${f}`)
  })

  it("each node's agent holding a lease has one fence, armed by it with the cluster services of the node", async () => {
    const [pid] = await n1Fence()
    expect(fencePidFile('n1')).to.equal(pid)
    const arm = readJson<{agent: {pid: number}; services: string[]; deadline: number}>(
      `${bed!.nodes.n1.root}/agent/fence.json`,
    )
    expect(arm?.agent.pid).to.equal(agents.n1.proc.pid)
    expect(arm?.services).to.deep.equal([SVC])
    // daemon status shows it
    const st = await cliOn(bed!, 'n1', TTL, ['daemon', 'status', '--format', 'json'])
    const fence = (
      JSON.parse(st.stdout) as {fence: {pid: number; lease: string; deadline_in_s: number; services: string[]}}
    ).fence
    expect(fence).to.include({pid})
    expect(fence.services).to.deep.equal([SVC])
    expect(fence.deadline_in_s).to.be.above(0).and.at.most(TTL)
    const text = (await cliOn(bed!, 'n1', TTL, ['daemon', 'status'])).stdout
    expect(text).to.match(
      new RegExp(`^fence +pid ${pid}; armed for lease \\d+, deadline in [\\d.]+s \\(1 service\\(s\\): ${SVC}\\)$`, 'm'),
    )
    for (const n of ['n2', 'n3'] as const)
      await until(`${n}'s fence (one)`, () => fenceProcesses(bed!, n).length === 1, 30_000)
  })

  it("n1's agent SIGSTOPped holding the service lock: its fence stops the service before n2 starts it; SIGCONT: the agent finds its lease gone and stays standby", async () => {
    await n1Fence()
    const pid = agents.n1.proc.pid!
    const logFrom = agentLog('n1').length
    const errFrom = agents.n1.stderr.length
    process.kill(pid, 'SIGSTOP')
    const frozen = Date.now()
    // as if frozen in the middle of an action: the service lock names the agent (alive, stopped)
    const lock = `${bed!.nodes.n1.root}/var/${SVC}/lock`
    fs.writeFileSync(
      lock,
      JSON.stringify({pid, starttime: processStartTime(pid), action: 'start', since: new Date().toISOString()}),
    )
    const onN2 = await until('the service running on n2', () => running('n2'), 90_000, 200)
    const gap = await stoppedBeforeStarted(onN2)
    const fenceLines = agentLog('n1').slice(logFrom)
    expect(fenceLines).to.match(
      /fence: lease \d+ passed its local deadline without a renewal \(the agent pid \d+: stopped \(SIGSTOP\)\)/,
    )
    expect(fenceLines).to.include('fence: stop done (the lease was lost)')
    expect(fs.readFileSync(`${bed!.nodes.n1.root}/log/${SVC}.log`, 'utf8')).to.match(/ fence +.*stop done/)
    expect(fs.existsSync(lock), 'the frozen agent lock taken over and released').to.equal(false)
    figures.push(
      `agent SIGSTOPped: n1 stopped by its fence ${gap.toFixed(2)} s before n2 started; running on n2 ${((Date.now() - frozen) / 1000).toFixed(1)} s after the SIGSTOP (TTL ${TTL} s)`,
    )
    expect((await owner())?.node).to.equal('n2')
    await until("n1's fence gone (it fired and ended)", () => fenceProcesses(bed!, 'n1').length === 0, 30_000)
    process.kill(pid, 'SIGCONT')
    await until(
      "n1's agent saying its lease is lost, then standby",
      () =>
        agents.n1.since(errFrom).includes('lost (its local deadline') &&
        agents.n1.since(errFrom).includes('standby: n2 owns it'),
      60_000,
    )
    expect(await noneRunning('n1'), 'n1 left it stopped: n2 owns it').to.equal(true)
    await backToN1()
  })

  it("n1's agent killed (kill -9) and not restarted: its fence stops the service before n2 runs it", async () => {
    await n1Fence()
    const logFrom = agentLog('n1').length
    agents.n1.kill('SIGKILL')
    const killed = Date.now()
    await until('the agent gone', () => agents.n1.exited)
    const onN2 = await until('the service running on n2', () => running('n2'), 90_000, 200)
    const gap = await stoppedBeforeStarted(onN2)
    expect(agentLog('n1').slice(logFrom)).to.match(/the agent pid \d+: gone\)/)
    figures.push(
      `agent killed: n1 stopped by its fence ${gap.toFixed(2)} s before n2 started; running on n2 ${((Date.now() - killed) / 1000).toFixed(1)} s after the kill (TTL ${TTL} s)`,
    )
    await until("n1's fence gone", () => fenceProcesses(bed!, 'n1').length === 0, 30_000)
    agents.n1 = NodeAgentProcess.start(bed!, 'n1', TTL)
    await until("n1's agent back, standby", () => agents.n1.stderr.includes('standby: n2 owns it'), 60_000)
    await backToN1()
  })

  it('the agent killed and restarted within the deadline takes the same fence over: nothing stops, one fence', async () => {
    const [fencePid] = await n1Fence()
    await new Promise(r => setTimeout(r, 2 * TTL * 1000))
    const before = (await running('n1'))!
    const leaseFile = `${bed!.nodes.n1.root}/agent/lease.json`
    const sent = (readJson<{sentAt: number}>(leaseFile) ?? {sentAt: 0}).sentAt
    await until(
      "a renewal of n1's lease",
      () => (readJson<{sentAt: number}>(leaseFile)?.sentAt ?? sent) !== sent,
      30_000,
      20,
    )
    const logFrom = agentLog('n1').length
    agents.n1.kill('SIGKILL')
    await until('the agent gone', () => agents.n1.exited)
    await new Promise(r => setTimeout(r, 1500))
    agents.n1 = NodeAgentProcess.start(bed!, 'n1', TTL)
    await until(
      "n1's new agent resuming its lease and taking the fence over",
      () =>
        (agents.n1.stderr.includes('resumed (its keys are kept)') &&
          agents.n1.stderr.includes(`fence pid ${fencePid} (left by an earlier agent) taken over`)) ||
        (agents.n1.stderr.includes('granted (TTL') && Promise.reject(new Error(`a new lease:\n${agents.n1.stderr}`))),
      30_000,
    )
    await new Promise(r => setTimeout(r, 2 * TTL * 1000))
    expect(
      (await running('n1'))!.map(c => c.startedAt),
      'not restarted',
    ).to.deep.equal(before.map(c => c.startedAt))
    expect(fenceProcesses(bed!, 'n1'), 'one fence, the same').to.deep.equal([fencePid])
    expect(agentLog('n1').slice(logFrom)).to.not.include('passed its local deadline')
    expect(agents.n1.stderr).to.not.match(/start: |stop: |fence started/)
  })

  it('`daemon stop` (SIGTERM) of the owner: the agent stops the service, revokes its lease and ends its fence', async () => {
    const [fencePid] = await n1Fence()
    await agents.n1.stop()
    expect(agents.n1.stderr).to.include(`fence pid ${fencePid} disarmed and ended`)
    expect(fenceProcesses(bed!, 'n1'), 'no fence left').to.deep.equal([])
    expect(fs.existsSync(`${bed!.nodes.n1.root}/agent/fence.json`)).to.equal(false)
    const st = await cliOn(bed!, 'n1', TTL, ['daemon', 'status', '--format', 'json'])
    expect(JSON.parse(st.stdout)).to.include({agent: 'stopped', fence: null})
    expect(await noneRunning('n1')).to.equal(true)
    await until('the service running on n2', () => running('n2'), 60_000, 200)
  })
})

describe('the fence: a node without etcd', () => {
  it('an agent of local services only (no `etcd` setting) spawns no fence', async function () {
    this.timeout(60_000)
    const root = fs.mkdtempSync('/tmp/hfen-local-')
    const settings = `${root}/config.json`
    fs.writeFileSync(settings, JSON.stringify({nodename: 'local1'}))
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      SVCMGR_ROOT: root,
      SVCMGR_CONFIG: settings,
    }
    delete env.SVCMGR_ETCD
    const agent = spawn(process.execPath, [BIN, 'daemon', 'run'], {env, stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    agent.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    try {
      await until('the agent started', () => stderr.includes('agent started'), 30_000)
      // a few of its ticks (2 s each)
      await new Promise(r => setTimeout(r, 5000))
      expect(fs.existsSync(`${root}/agent/fence.pid`) || fs.existsSync(`${root}/agent/fence.json`)).to.equal(false)
      const fences = fs
        .readdirSync('/proc')
        .filter(p => /^\d+$/.test(p))
        .filter(p => {
          try {
            const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')
            return (
              argv.includes('fence') && fs.readFileSync(`/proc/${p}/environ`, 'utf8').includes(`SVCMGR_ROOT=${root}`)
            )
          } catch {
            return false
          }
        })
      expect(fences).to.deep.equal([])
      expect(stderr).to.not.include('fence')
    } finally {
      const gone = new Promise(r => agent.once('exit', r))
      agent.kill('SIGTERM')
      await gone
      fs.rmSync(root, {recursive: true, force: true})
    }
  })
})
