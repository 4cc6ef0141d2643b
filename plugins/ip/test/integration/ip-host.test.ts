// ip.host for real: the seed busybox service's [ip#1] (no type) on a test LAN. The address
// goes on the test's own veth end in the root namespace, so the LAN uses a documentation
// range the host does not route itself (this machine's eth0 is on 192.0.2.0/24): replies
// must leave through the test veth, never through a real interface.
import {expect} from 'chai'
import {createDriverHarness, type DriverHarness} from 'svcmgr/testing'
import {registration as dockerRegistration} from '../../../docker/src/hooks/drivers.js'
import {registration} from '../../src/hooks/drivers.js'
import {inNetwork} from '../../src/net/address.js'
import {Cli, DOCKER_HOST, messagesOf, removeServiceContainers, requireEnvironment, ridOrder} from './cli.js'
import {hostRoutes, sh, TestLan} from './lan.js'

// a /28 of 203.0.113.0/24 and a /64 of 2001:db8::/32 per run: concurrent runs (another
// session's npm test) add their addresses to their own veths in the same root namespace
const BLOCK = 16 * (process.pid % 16)
const at = (n: number) => `203.0.113.${BLOCK + n}`
const MASK = '255.255.255.240'
const V6 = `2001:db8:113:${(process.pid % 0xffff).toString(16)}`
const registrations = [
  {plugin: '@svcmgr/plugin-docker', registration: dockerRegistration},
  {plugin: '@svcmgr/plugin-ip', registration},
]

/** Skips (saying why) when the host itself routes the test ranges: the test could then send real traffic. */
async function requireUnroutedRanges(ctx: Mocha.Context): Promise<void> {
  const clash = (await hostRoutes()).find(r => {
    const [net, len] = r.dst.includes('/') ? r.dst.split('/') : [r.dst, r.dst.includes(':') ? '128' : '32']
    return net.includes(':')
      ? inNetwork(`${V6}::40`, net, Math.min(Number(len), 64))
      : inNetwork(at(8), net, Math.min(Number(len), 28))
  })
  if (clash) {
    console.log(
      `      skipped: the host routes ${clash.dst} (dev ${clash.dev}) itself; a test address there could reach a real network`,
    )
    ctx.skip()
  }
}

describe("ip.host: the busybox service's ip#1 on a test LAN (CLI)", function () {
  this.timeout(180_000)
  const SVC = `iphost${process.pid}`
  const cli = new Cli()
  let lan: TestLan

  before(async function () {
    await requireUnroutedRanges(this)
    await requireEnvironment(['opensvc/busybox:date'])
    await removeServiceContainers(SVC)
    lan = await TestLan.create('s', {gateway: at(1), prefixlen: 28})
  })

  after(async () => {
    await removeServiceContainers(SVC)
    await lan?.destroy()
    cli.dispose()
  })

  const config = () => `[DEFAULT]
id = 7c1f0f5e-3d0a-4a8e-9f57-1c2b3d4e5f60

[container#1]
type = docker
image = opensvc/busybox:date
subset = 00database

[ip#1]
ipdev = ${lan.ipdev}
ipname = ${at(8)}
netmask = ${MASK}
`

  it('start: ip#1 first: availability check, ip addr add with an alias label, gratuitous ARP; it answers', async () => {
    await cli.ok(['-s', SVC, 'create', '--config=-'], config())
    const out = await cli.ok(['-s', SVC, 'start', '--local'])
    expect(ridOrder(out)).to.deep.equal(['ip#1', 'container#1'])
    expect(messagesOf(out, 'ip#1')).to.deep.equal([
      `checking ${at(8)} availability`,
      `timeout 0.2 busybox arping -D -c 1 -w 1 -I ${lan.ipdev} ${at(8)}`,
      `ip addr add ${at(8)}/28 dev ${lan.ipdev} label ${lan.ipdev}:1`,
      `busybox arping -q -U -c 1 -I ${lan.ipdev} -s ${at(8)} ${at(8)}`,
    ])
    expect(await lan.ipdevAddresses()).to.deep.equal([`${at(8)}/28`])
    expect(await lan.ipdevLabels()).to.deep.equal([`${lan.ipdev}:1`])
    expect(await lan.pings(at(8))).to.equal(true)
    expect(await lan.arpAnswers(at(8))).to.equal(true)
    const status = await cli.ok(['-s', SVC, 'print', 'status'])
    expect(status).to.match(new RegExp(`\\|- ip#1 +\\S+ up +${at(8).replace(/\./g, '\\.')}/28@${lan.ipdev}\\n`))
  })

  it('stop: ip#1 last: ip addr del, then the address no longer answers', async () => {
    const out = await cli.ok(['-s', SVC, 'stop', '--local'])
    expect(ridOrder(out)).to.deep.equal(['container#1', 'ip#1'])
    expect(messagesOf(out, 'ip#1')).to.deep.equal([
      `ip addr del ${at(8)}/28 dev ${lan.ipdev}`,
      `checking ${at(8)} availability`,
      `timeout 0.2 busybox arping -D -c 1 -w 1 -I ${lan.ipdev} ${at(8)}`,
    ])
    expect(await lan.ipdevAddresses()).to.deep.equal([])
    expect(await lan.pings(at(8))).to.equal(false)
    const status = await cli.ok(['-s', SVC, 'print', 'status'])
    expect(status).to.match(/\|- ip#1 +\S+ down /)
    expect(status).to.contain(`# ${at(8)} is not on ${lan.ipdev}`)
  })
})

describe('ip.host driver behaviour on a test LAN', function () {
  this.timeout(120_000)
  const SVC = `iphd${process.pid}`
  let lan: TestLan

  before(async function () {
    await requireUnroutedRanges(this)
    lan = await TestLan.create('t', {gateway: at(1), prefixlen: 28, ipv6: V6})
  })

  after(async () => {
    await lan?.destroy()
  })

  const harness = (ip: Record<string, string>): DriverHarness =>
    createDriverHarness({
      config: {'ip#1': {ipdev: lan.ipdev, ...ip}},
      registrations,
      name: SVC,
      dockerHost: DOCKER_HOST,
    })

  it('an address in use on the LAN refuses the start, adding nothing', async () => {
    await lan.occupy(at(9))
    try {
      const h = harness({ipname: at(9), netmask: '28'})
      const error = await h.act('ip#1', 'start').then(
        () => undefined,
        (e: Error) => e,
      )
      expect(error?.message).to.equal(
        `${at(9)} is already in use: a host answered an ARP probe for it through ${lan.ipdev}. Refusing to plumb a duplicate address`,
      )
      expect(await lan.ipdevAddresses()).to.deep.equal([])
    } finally {
      await lan.release(at(9))
    }
  })

  it('start is unchanged when present; undo removes it; netmask defaults to the prefix of an address ipdev holds', async () => {
    await sh('ip', ['addr', 'add', `${at(10)}/28`, 'dev', lan.ipdev])
    try {
      const h = harness({ipname: at(11), alias: 'false'})
      const {change, undo} = await h.act('ip#1', 'start')
      expect(change).to.equal('changed')
      expect(h.messages('ip#1')).to.include(`netmask: /28, from ${at(10)}/28 on ${lan.ipdev}`)
      expect(h.messages('ip#1')).to.include(`ip addr add ${at(11)}/28 dev ${lan.ipdev}`)
      expect(await lan.ipdevAddresses()).to.deep.equal([`${at(10)}/28`, `${at(11)}/28`])
      expect(await h.status('ip#1')).to.deep.include({status: 'up', label: `${at(11)}@${lan.ipdev}`})
      expect(await h.act('ip#1', 'start')).to.deep.equal({change: 'unchanged', undo: []})
      await undo[0].fn()
      expect(await lan.ipdevAddresses()).to.deep.equal([`${at(10)}/28`])
      expect(await h.act('ip#1', 'stop')).to.deep.equal({change: 'unchanged', undo: []})
    } finally {
      await sh('ip', ['addr', 'del', `${at(10)}/28`, 'dev', lan.ipdev])
    }
  })

  it('status: a missing ipdev is down; a name that cannot resolve is a start error naming ip#1.ipname', async () => {
    const missing = createDriverHarness({
      config: {'ip#1': {ipdev: `nx${process.pid}`, ipname: at(12), netmask: '28'}},
      registrations,
      name: SVC,
    })
    expect(await missing.status('ip#1')).to.deep.include({
      status: 'down',
      log: [{level: 'warn', message: `ipdev nx${process.pid} is missing on this host`}],
    })
    const error = await missing.act('ip#1', 'start').then(
      () => undefined,
      (e: Error) => e,
    )
    expect(error?.message).to.equal(`ip#1.ipdev: no interface nx${process.pid} on this host`)
    const unnamed = harness({ipname: 'busybox.invalid', netmask: '28'})
    const e2 = await unnamed.act('ip#1', 'start').then(
      () => undefined,
      (e: Error) => e,
    )
    expect(e2?.message).to.equal(
      'ip#1.ipname: cannot resolve busybox.invalid: names under .invalid never resolve (RFC 6761)',
    )
    expect(unnamed.messages('ip#1')).to.deep.equal([])
  })

  it("IPv6: added after the kernel's duplicate address detection, answers ping6; a duplicate is refused and removed", async () => {
    const h = harness({ipname: `${V6}::40`, netmask: '64'})
    await h.act('ip#1', 'start')
    expect(h.messages('ip#1')).to.include(`ip addr add ${V6}::40/64 dev ${lan.ipdev}`)
    expect(await lan.ipdevAddresses('inet6')).to.deep.equal([`${V6}::40/64`])
    expect(await lan.pings(`${V6}::40`)).to.equal(true)
    expect((await h.status('ip#1')).status).to.equal('up')
    await h.act('ip#1', 'stop')
    expect(await lan.ipdevAddresses('inet6')).to.deep.equal([])
    await lan.occupy(`${V6}::41`)
    try {
      const dup = harness({ipname: `${V6}::41`, netmask: '64'})
      const error = await dup.act('ip#1', 'start').then(
        () => undefined,
        (e: Error) => e,
      )
      expect(error?.message).to.equal(
        `${V6}::41 is already in use: the kernel's duplicate address detection failed for it`,
      )
      expect(await lan.ipdevAddresses('inet6')).to.deep.equal([])
    } finally {
      await lan.release(`${V6}::41`)
    }
  })
})
