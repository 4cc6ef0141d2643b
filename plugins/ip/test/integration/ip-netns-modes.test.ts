// ip.netns driver operations for real (the core's driver harness, the real engine, test LAN
// namespaces): modes bridge and dedicated, ipvlan where the kernel has it, status reasons,
// undo, and the optional keywords. The ipvlan command sequences are checked with --dry-run
// through the CLI on every kernel.
import {expect} from 'chai'
import {createDriverHarness, type DriverHarness} from 'svcmgr/testing'
import {registration as dockerRegistration} from '../../../docker/src/hooks/drivers.js'
import {registration} from '../../src/hooks/drivers.js'
import {Cli, DOCKER_HOST, inspect, pidOf, removeServiceContainers, requireEnvironment} from './cli.js'
import {LAN_GATEWAY, netnsAddresses, sh, TestLan} from './lan.js'

const registrations = [
  {plugin: '@svcmgr/plugin-docker', registration: dockerRegistration},
  {plugin: '@svcmgr/plugin-ip', registration},
]
const STANDIN = '<h1>svcmgr nginx stand-in</h1>'
const ID = '5b0c7a7e-9a55-4b7e-8d43-2f0d3e1c6a21'

function harness(
  service: string,
  ip: Record<string, string>,
  extra: Record<string, Record<string, string>> = {},
): DriverHarness {
  return createDriverHarness({
    config: {
      DEFAULT: {id: ID},
      'container#1': {type: 'docker', image: 'google/pause'},
      'container#2': {type: 'docker', image: 'nginx', netns: 'container#1'},
      'ip#1': {type: 'netns', netns: 'container#1', netmask: '24', gateway: LAN_GATEWAY, ...ip},
      ...extra,
    },
    registrations,
    name: service,
    dockerHost: DOCKER_HOST,
  })
}

async function startAll(h: DriverHarness): Promise<void> {
  await h.act('container#1', 'start')
  await h.act('ip#1', 'start')
  await h.act('container#2', 'start')
}

async function stopAll(h: DriverHarness): Promise<void> {
  await h.act('container#2', 'stop')
  await h.act('ip#1', 'stop')
  await h.act('container#1', 'stop')
}

interface LinkJson {
  ifname: string
  mtu: number
  address: string
  flags: string[]
  master?: string
}

async function hostLinks(): Promise<LinkJson[]> {
  return JSON.parse((await sh('ip', ['-j', 'link', 'show'])).stdout) as LinkJson[]
}

async function netnsLinks(pid: number): Promise<LinkJson[]> {
  return JSON.parse(
    (await sh('nsenter', [`--net=/proc/${pid}/ns/net`, 'ip', '-j', 'link', 'show'])).stdout,
  ) as LinkJson[]
}

async function netnsRoutes(pid: number): Promise<string[]> {
  const routes = JSON.parse(
    (await sh('nsenter', [`--net=/proc/${pid}/ns/net`, 'ip', '-j', '-4', 'route', 'show'])).stdout,
  ) as Array<{dst: string; gateway?: string; dev: string}>
  return routes.map(r => `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''} dev ${r.dev}`)
}

describe('ip.netns modes on real namespaces', function () {
  this.timeout(180_000)
  const SVC = `ipm${process.pid}`
  let lans: TestLan[] = []

  before(async () => {
    await requireEnvironment(['google/pause', 'nginx'])
    await removeServiceContainers(SVC)
  })

  afterEach(async () => {
    await removeServiceContainers(SVC)
    for (const lan of lans) await lan.destroy()
    lans = []
  })

  it('bridge: a veth pair, its host end a port of the bridge ipdev; stop removes both ends', async () => {
    const lan = await TestLan.create('b', 'bridge')
    lans.push(lan)
    const h = harness(SVC, {mode: 'bridge', ipdev: lan.ipdev, ipname: '192.0.2.11'})
    await startAll(h)
    const pid = await pidOf(`${SVC}.container.1`)
    const peer = `veth0pl${pid}`.length <= 15 ? `veth0pl${pid}` : `vpl${pid}eth0`.slice(0, 15)
    expect(h.messages('ip#1')).to.include(`ip link set ${peer} master ${lan.ipdev}`)
    const ports = (await hostLinks())
      .filter(l => l.master === lan.ipdev)
      .map(l => l.ifname)
      .sort()
    expect(ports).to.deep.equal([peer, lan.port!].sort())
    expect(await netnsAddresses(pid)).to.deep.include({eth0: ['192.0.2.11/24']})
    expect(await h.status('ip#1')).to.deep.include({
      status: 'up',
      label: `netns bridge 192.0.2.11/24 ${lan.ipdev}@container#1`,
    })
    expect(await lan.pings('192.0.2.11')).to.equal(true)
    expect(await lan.arpAnswers('192.0.2.11')).to.equal(true)
    expect(await lan.httpGet('192.0.2.11')).to.contain(STANDIN)
    await stopAll(h)
    expect((await hostLinks()).filter(l => l.master === lan.ipdev).map(l => l.ifname)).to.deep.equal([lan.port])
    expect(await lan.pings('192.0.2.11')).to.equal(false)
  })

  it('bridge: refuses an ipdev that is not a bridge, before any change', async () => {
    const lan = await TestLan.create('n')
    lans.push(lan)
    const h = harness(SVC, {mode: 'bridge', ipdev: lan.ipdev, ipname: '192.0.2.12'})
    await h.act('container#1', 'start')
    const error = await h.act('ip#1', 'start').then(
      () => undefined,
      (e: Error) => e,
    )
    expect(error?.message).to.match(new RegExp(`^ip#1\\.ipdev: ${lan.ipdev} is not a bridge \\(veth\\)`))
    expect(h.messages('ip#1').filter(m => m.startsWith('ip link add'))).to.deep.equal([])
  })

  it('dedicated: ipdev itself moves into the namespace, and comes back to the host at stop', async () => {
    const lan = await TestLan.create('d')
    lans.push(lan)
    const h = harness(SVC, {mode: 'dedicated', ipdev: lan.ipdev, ipname: '192.0.2.13', nsdev: 'lan0'})
    await startAll(h)
    const pid = await pidOf(`${SVC}.container.1`)
    expect(await lan.hostHas(lan.ipdev)).to.equal(false)
    expect(await netnsAddresses(pid)).to.deep.include({lan0: ['192.0.2.13/24']})
    expect(await h.status('ip#1')).to.deep.include({status: 'up'})
    expect(await lan.pings('192.0.2.13')).to.equal(true)
    expect(await lan.httpGet('192.0.2.13')).to.contain(STANDIN)
    await stopAll(h)
    const back = (await hostLinks()).find(l => l.ifname === lan.ipdev)
    expect(back, `${lan.ipdev} back on the host`).to.not.equal(undefined)
    expect(back!.flags).to.include('UP')
    expect(await lan.ipdevAddresses()).to.deep.equal([])
    expect(await lan.pings('192.0.2.13')).to.equal(false)
  })

  it('dedicated: the undo of a start (rollback) gives ipdev back too', async () => {
    const lan = await TestLan.create('r')
    lans.push(lan)
    const h = harness(SVC, {mode: 'dedicated', ipdev: lan.ipdev, ipname: '192.0.2.14'})
    await h.act('container#1', 'start')
    const {change, undo} = await h.act('ip#1', 'start')
    expect(change).to.equal('changed')
    expect(undo.map(u => u.description)).to.deep.equal(["remove 192.0.2.14 and its link from container#1's namespace"])
    expect(await lan.hostHas(lan.ipdev)).to.equal(false)
    await undo[0].fn()
    expect(await lan.hostHas(lan.ipdev)).to.equal(true)
    expect(await lan.pings('192.0.2.14')).to.equal(false)
  })

  it('ipvlan-l2 for real (where the kernel has ipvlan)', async function () {
    if (process.env.SVCMGR_TEST_IPVLAN === '0') {
      console.log(
        '      skipped: the kernel lacks ipvlan (SVCMGR_TEST_IPVLAN=0); its command sequence is checked by the --dry-run test below',
      )
      this.skip()
    }
    const lan = await TestLan.create('i')
    lans.push(lan)
    const h = harness(SVC, {mode: 'ipvlan-l2', ipdev: lan.ipdev, ipname: '192.0.2.15'})
    await startAll(h)
    expect(await h.status('ip#1')).to.deep.include({
      status: 'up',
      label: `netns ipvlan-l2 192.0.2.15/24 ${lan.ipdev}@container#1`,
    })
    expect(await lan.pings('192.0.2.15')).to.equal(true)
    expect(await lan.httpGet('192.0.2.15')).to.contain(STANDIN)
    await stopAll(h)
    expect(await lan.pings('192.0.2.15')).to.equal(false)
  })
})

describe('ip.netns driver behaviour on real namespaces (macvlan)', function () {
  this.timeout(180_000)
  const SVC = `iph${process.pid}`
  let lan: TestLan

  before(async () => {
    await requireEnvironment(['google/pause', 'nginx'])
    await removeServiceContainers(SVC)
    lan = await TestLan.create('h')
  })

  afterEach(() => removeServiceContainers(SVC))

  after(async () => {
    await removeServiceContainers(SVC)
    await lan?.destroy()
  })

  it('container down: status down saying so, start refused naming the container, stop unchanged', async () => {
    const h = harness(SVC, {mode: 'macvlan', ipdev: lan.ipdev, ipname: '192.0.2.20'})
    expect(await h.status('ip#1')).to.deep.equal({
      status: 'down',
      label: `netns macvlan 192.0.2.20/24 ${lan.ipdev}@container#1`,
      log: [{level: 'info', message: 'container#1 is down: no network namespace to plumb in'}],
    })
    const error = await h.act('ip#1', 'start').then(
      () => undefined,
      (e: Error) => e,
    )
    expect(error?.message).to.equal(
      'container#1, which holds the network namespace of ip#1, is not running: start it first (svcmgr start --rid ip#1 starts it too)',
    )
    expect(await h.act('ip#1', 'stop')).to.deep.equal({change: 'unchanged', undo: []})
  })

  it('start: changed with one undo; again: unchanged; the undo removes address and link', async () => {
    const h = harness(SVC, {mode: 'macvlan', ipdev: lan.ipdev, ipname: '192.0.2.21'})
    await h.act('container#1', 'start')
    const first = await h.act('ip#1', 'start')
    expect(first.change).to.equal('changed')
    expect(first.undo).to.have.length(1)
    expect(await h.act('ip#1', 'start')).to.deep.equal({change: 'unchanged', undo: []})
    const pid = await pidOf(`${SVC}.container.1`)
    expect(await netnsAddresses(pid)).to.deep.include({eth0: ['192.0.2.21/24']})
    await first.undo[0].fn()
    expect(await netnsAddresses(pid)).to.not.have.property('eth0')
    expect(await lan.pings('192.0.2.21')).to.equal(false)
  })

  it('status: no carrier on ipdev is down (unless check_carrier = false); a missing ipdev is down', async () => {
    const h = harness(SVC, {mode: 'macvlan', ipdev: lan.ipdev, ipname: '192.0.2.22'})
    await h.act('container#1', 'start')
    await h.act('ip#1', 'start')
    expect((await h.status('ip#1')).status).to.equal('up')
    await sh('ip', ['-n', lan.ns, 'link', 'set', 'gw0', 'down']) // the LAN side unplugged
    try {
      await new Promise(r => setTimeout(r, 200))
      // another status command (one command's status reads the links once)
      h.newCommand()
      expect(await h.status('ip#1')).to.deep.include({
        status: 'down',
        log: [{level: 'warn', message: `no carrier on ipdev ${lan.ipdev}`}],
      })
      const lax = harness(SVC, {mode: 'macvlan', ipdev: lan.ipdev, ipname: '192.0.2.22', check_carrier: 'false'})
      expect((await lax.status('ip#1')).status).to.equal('up')
    } finally {
      await sh('ip', ['-n', lan.ns, 'link', 'set', 'gw0', 'up'])
    }
    const missing = harness(SVC, {mode: 'macvlan', ipdev: `nx${process.pid}`, ipname: '192.0.2.22'})
    expect(await missing.status('ip#1')).to.deep.include({
      status: 'down',
      log: [{level: 'warn', message: `ipdev nx${process.pid} is missing on this host`}],
    })
    const error = await missing.act('ip#1', 'stop').then(
      () => undefined,
      (e: Error) => e,
    )
    expect(error).to.equal(undefined) // stop still removes the address from the namespace
    expect(await lan.pings('192.0.2.22')).to.equal(false)
  })

  it('nsdev, mtu, macaddr, del_net_route: honoured inside the namespace', async () => {
    const h = harness(SVC, {
      mode: 'macvlan',
      ipdev: lan.ipdev,
      ipname: '192.0.2.23',
      nsdev: 'lan0',
      mtu: '1400',
      macaddr: '02:00:c0:00:02:17',
      del_net_route: 'true',
    })
    await startAll(h)
    const pid = await pidOf(`${SVC}.container.1`)
    const link = (await netnsLinks(pid)).find(l => l.ifname === 'lan0')!
    expect(link).to.deep.include({mtu: 1400, address: '02:00:c0:00:02:17'})
    expect(await netnsRoutes(pid)).to.deep.equal([`default via ${LAN_GATEWAY} dev lan0`])
    expect(await lan.pings('192.0.2.23')).to.equal(true)
    expect(await lan.httpGet('192.0.2.23')).to.contain(STANDIN)
    await stopAll(h)
  })

  it('a host name that cannot resolve: start refused naming ip#1.ipname, nothing changed; status says why', async () => {
    const h = harness(SVC, {mode: 'macvlan', ipdev: lan.ipdev, ipname: 'nosuchhost.invalid', netmask: '24'})
    await h.act('container#1', 'start')
    const error = await h.act('ip#1', 'start').then(
      () => undefined,
      (e: Error) => e,
    )
    expect(error?.message).to.equal(
      'ip#1.ipname: cannot resolve nosuchhost.invalid: names under .invalid never resolve (RFC 6761)',
    )
    expect(h.messages('ip#1')).to.deep.equal([])
    // the address is unknown, so whether it is plumbed is too: warn, never down
    expect(await h.status('ip#1')).to.deep.include({
      status: 'warn',
      log: [
        {
          level: 'warn',
          message:
            "ip#1.ipname: cannot resolve nosuchhost.invalid: names under .invalid never resolve (RFC 6761): whether nosuchhost.invalid is plumbed in container#1's namespace is unknown",
        },
      ],
    })
  })

  it('stop after the container is gone: unchanged (the namespace went with it)', async () => {
    const h = harness(SVC, {mode: 'macvlan', ipdev: lan.ipdev, ipname: '192.0.2.24'})
    await h.act('container#1', 'start')
    await h.act('ip#1', 'start')
    await h.act('container#1', 'stop')
    expect((await inspect(`${SVC}.container.1`))?.State.Running).to.equal(false)
    expect(await h.act('ip#1', 'stop')).to.deep.equal({change: 'unchanged', undo: []})
    // the kernel tears a namespace down asynchronously (cleanup_net): its macvlan may answer for a moment
    let answers = true
    for (let i = 0; i < 20 && answers; i++) {
      answers = await lan.pings('192.0.2.24')
      if (answers) await new Promise(r => setTimeout(r, 250))
    }
    expect(answers, 'the address still answers 5 s after its container stopped').to.equal(false)
  })
})

describe('ipvlan modes: the command sequence through --dry-run (any kernel)', function () {
  this.timeout(60_000)
  const SVC = `ipd${process.pid}`
  const cli = new Cli()
  after(() => cli.dispose())

  it('start --dry-run shows the ipvlan link for l2, l3 and l3s, and the seed sequence around it', async () => {
    const config = {
      DEFAULT: {id: ID},
      'container#1': {image: 'google/pause', run_command: '/bin/sh', type: 'docker'},
      'container#2': {image: 'nginx', netns: 'container#1', type: 'docker'},
      'ip#1': {
        gateway: '192.0.2.1',
        ipdev: 'tl0',
        ipname: '192.0.2.30',
        mode: 'ipvlan-l2',
        netmask: '255.255.255.0',
        netns: 'container#1',
        type: 'netns',
      },
    }
    await cli.ok(['-s', SVC, 'create', '--config=-'], JSON.stringify(config))
    const ns = 'nsenter --net=/proc/<pid of container#1>/ns/net'
    for (const l of ['l2', 'l3', 'l3s']) {
      await cli.ok(['-s', SVC, 'set', '--kw', `ip#1.mode=ipvlan-${l}`])
      const out = await cli.ok(['-s', SVC, 'start', '--dry-run'])
      const steps = out.split('\n').map(s => s.trim())
      const from = steps.indexOf(`ipvlan-${l} mode`)
      expect(from, out).to.be.above(0)
      expect(steps.slice(from + 1, from + 7)).to.deep.equal([
        `ip link add link tl0 name ph<pid of container#1>tl0 mtu <mtu of tl0> type ipvlan mode ${l}`,
        'ip link set ph<pid of container#1>tl0 netns <pid of container#1>',
        `${ns} ip link set ph<pid of container#1>tl0 name <first free ethN>`,
        `${ns} ip addr add 192.0.2.30/24 dev <first free ethN>`,
        `${ns} ip link set <first free ethN> up`,
        `${ns} ip route replace default via 192.0.2.1  (when the namespace has no default route)`,
      ])
      expect(steps).to.include(
        'checking 192.0.2.30 availability: timeout 0.2 busybox arping -D -c 1 -w 1 -I tl0 192.0.2.30  (an answer refuses the start)',
      )
      // nothing ran: the dry run changes nothing and touches no interface
      expect(out).to.not.match(/^\d\d:\d\d/m)
    }
  })
})
