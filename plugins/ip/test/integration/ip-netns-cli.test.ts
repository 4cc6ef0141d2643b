// The issue's "Done when", through the real CLI on real namespaces and the real engine:
// the seed's svc2 JSON with only ipdev and the addresses changed to a test LAN (and mode
// macvlan: this kernel may lack ipvlan). Checks are real: ping, ARP and HTTP from the LAN
// namespace, addresses read inside the container's namespace.
//   npm run build && bash scripts/testenv.sh up && eval "$(bash scripts/testenv.sh env)"
//   npx mocha --timeout 180000 plugins/ip/test/integration/ip-netns-cli.test.ts
import {expect} from 'chai'
import {Cli, events, inspect, messagesOf, pidOf, removeServiceContainers, requireEnvironment, ridOrder} from './cli.js'
import {LAN_GATEWAY, netnsAddresses, netnsId, sh, TestLan} from './lan.js'

const ADDR = '192.0.2.10'
const STANDIN = '<h1>svcmgr nginx stand-in</h1>'

/** The seed's svc2, ipdev and addresses changed to the test LAN. */
function svc2(ipdev: string, mode = 'macvlan'): string {
  return JSON.stringify({
    DEFAULT: {id: 'fd1196ad-fbf1-49bb-ab52-12ed2a1fbf0e'},
    'container#1': {image: 'google/pause', run_command: '/bin/sh', type: 'docker'},
    'container#2': {image: 'nginx', netns: 'container#1', type: 'docker'},
    'container#3': {image: 'redis', netns: 'container#1', type: 'docker'},
    'ip#1': {
      gateway: LAN_GATEWAY,
      ipdev,
      ipname: ADDR,
      mode,
      netmask: '255.255.255.0',
      netns: 'container#1',
      type: 'netns',
    },
  })
}

/** The commands ip#1 logged (what the seed shows), without the availability/mode lines. */
const commandsOf = (stdout: string) => messagesOf(stdout, 'ip#1').filter(m => /^(ip|nsenter|busybox|timeout) /.test(m))

describe('ip.netns through the CLI: the seed svc2 on a test LAN (macvlan)', function () {
  this.timeout(180_000)
  const SVC = `ipt${process.pid}`
  const cli = new Cli()
  let lan: TestLan

  before(async () => {
    await requireEnvironment(['google/pause', 'nginx', 'redis'])
    await removeServiceContainers(SVC)
    lan = await TestLan.create('a')
  })

  after(async () => {
    await removeServiceContainers(SVC)
    await lan?.destroy()
    cli.dispose()
  })

  it('create --provision: container#1, ip#1 (every command logged), container#2, container#3', async () => {
    const out = await cli.ok(['-s', SVC, 'create', '--config=-', '--provision', '--local'], svc2(lan.ipdev))
    expect(ridOrder(out)).to.deep.equal(['container#1', 'ip#1', 'container#2', 'container#3'])
    const pid = await pidOf(`${SVC}.container.1`)
    const tmp = `ph${pid}${lan.ipdev}`.slice(0, 15)
    const ns = `nsenter --net=/proc/${pid}/ns/net`
    const ipMessages = messagesOf(out, 'ip#1')
    expect(ipMessages.slice(0, 3)).to.deep.equal([
      `checking ${ADDR} availability`,
      `timeout 0.2 busybox arping -D -c 1 -w 1 -I ${lan.ipdev} ${ADDR}`,
      'macvlan mode',
    ])
    expect(commandsOf(out).slice(1)).to.deep.equal([
      `ip link add link ${lan.ipdev} name ${tmp} mtu 1500 type macvlan mode bridge`,
      `ip link set ${tmp} netns ${pid}`,
      `${ns} ip link set ${tmp} name eth0`,
      `${ns} ip addr add ${ADDR}/24 dev eth0`,
      `${ns} ip link set eth0 up`,
      `${ns} ip route replace default via ${LAN_GATEWAY}`,
      `${ns} busybox arping -q -U -c 1 -I eth0 -s ${ADDR} ${ADDR}`,
    ])
    expect(await netnsAddresses(pid)).to.deep.include({eth0: [`${ADDR}/24`]})
    // the temporary link left the host: nothing was plumbed on the root namespace
    expect(await lan.hostHas(tmp)).to.equal(false)
    expect(await lan.ipdevAddresses()).to.deep.equal([])
  })

  it('print status: ip#1 up with its label; the address answers ping and ARP, nginx answers HTTP on it', async () => {
    const status = await cli.ok(['-s', SVC, 'print', 'status'])
    expect(status).to.match(new RegExp(`\\|- ip#1 +\\S+ up +netns macvlan ${ADDR}/24 ${lan.ipdev}@container#1\\n`))
    for (const rid of ['container#1', 'container#2', 'container#3'])
      expect(status).to.match(new RegExp(`- ${rid} +\\S+ up `))
    expect(status.split('\n')[0]).to.match(new RegExp(`^${SVC} +up$`))
    expect(await lan.pings(ADDR)).to.equal(true)
    expect(await lan.arpAnswers(ADDR)).to.equal(true)
    expect(await lan.httpGet(ADDR)).to.contain(STANDIN)
  })

  it("stop --rid container: adds ip#1, the seed's order; the address stops answering", async () => {
    const pid = await pidOf(`${SVC}.container.1`)
    const out = await cli.ok(['-s', SVC, 'stop', '--rid', 'container', '--local'])
    expect(events(out)[0]).to.deep.include({rid: undefined, message: 'add rid ip#1 to satisfy dependencies'})
    expect(ridOrder(out)).to.deep.equal(['container#3', 'container#2', 'ip#1', 'container#1'])
    expect(messagesOf(out, 'ip#1')).to.deep.equal([
      `nsenter --net=/proc/${pid}/ns/net ip addr del ${ADDR}/24 dev eth0`,
      `nsenter --net=/proc/${pid}/ns/net ip link del dev eth0`,
      `checking ${ADDR} availability`,
      `timeout 0.2 busybox arping -D -c 1 -w 1 -I ${lan.ipdev} ${ADDR}`,
    ])
    expect(await lan.pings(ADDR)).to.equal(false)
    expect(await lan.arpAnswers(ADDR)).to.equal(false)
    const status = await cli.ok(['-s', SVC, 'print', 'status'])
    expect(status).to.match(/\|- ip#1 +\S+ down +netns macvlan/)
    expect(status).to.contain('# container#1 is down: no network namespace to plumb in')
  })

  it("start --rid container: adds ip#1, the seed's order; the address answers again", async () => {
    const out = await cli.ok(['-s', SVC, 'start', '--rid', 'container', '--local'])
    expect(events(out)[0]).to.deep.include({rid: undefined, message: 'add rid ip#1 to satisfy dependencies'})
    expect(ridOrder(out)).to.deep.equal(['container#1', 'ip#1', 'container#2', 'container#3'])
    expect(commandsOf(out).filter(c => c.includes('ip addr add'))).to.have.length(1)
    expect(await lan.pings(ADDR)).to.equal(true)
    expect(await lan.httpGet(ADDR)).to.contain(STANDIN)
  })

  it('restart --rid container#3: only container#3 stops and starts; ip#1 stays plumbed', async () => {
    const pid = await pidOf(`${SVC}.container.1`)
    const out = await cli.ok(['-s', SVC, 'restart', '--rid', 'container#3', '--local'])
    const stopped = events(out)
      .filter(e => /^docker stop /.test(e.message))
      .map(e => e.rid)
    const started = events(out)
      .filter(e => /^docker start /.test(e.message))
      .map(e => e.rid)
    expect(stopped).to.deep.equal(['container#3'])
    expect(started).to.deep.equal(['container#3'])
    expect(events(out).some(e => e.message === 'instance stopped, ready for restart.')).to.equal(true)
    expect(messagesOf(out, 'ip#1')).to.deep.equal(['already up'])
    expect(await pidOf(`${SVC}.container.1`)).to.equal(pid)
    expect(await lan.pings(ADDR)).to.equal(true)
  })

  it('start again: everything already up, nothing plumbed twice', async () => {
    const out = await cli.ok(['-s', SVC, 'start', '--local'])
    expect(messagesOf(out, 'ip#1')).to.deep.equal(['already up'])
  })

  it("restart --rid container#1: ip#1 is re-plumbed in container#1's new namespace", async () => {
    // (namespace inode numbers are recycled: the holder's new process tells the new namespace)
    const before = await pidOf(`${SVC}.container.1`)
    const out = await cli.ok(['-s', SVC, 'restart', '--rid', 'container#1', '--local'])
    expect(ridOrder(out)).to.deep.equal(['container#3', 'container#2', 'ip#1', 'container#1'])
    const pid = await pidOf(`${SVC}.container.1`)
    expect(pid).to.not.equal(before)
    expect(commandsOf(out).filter(c => /(^| )ip (addr|link) (add|del) /.test(c))).to.deep.equal([
      `nsenter --net=/proc/${before}/ns/net ip addr del ${ADDR}/24 dev eth0`,
      `nsenter --net=/proc/${before}/ns/net ip link del dev eth0`,
      `ip link add link ${lan.ipdev} name ${`ph${pid}${lan.ipdev}`.slice(0, 15)} mtu 1500 type macvlan mode bridge`,
      `nsenter --net=/proc/${pid}/ns/net ip addr add ${ADDR}/24 dev eth0`,
    ])
    expect(await netnsAddresses(pid)).to.deep.include({eth0: [`${ADDR}/24`]})
    // the containers sharing the namespace were restarted into the new one and serve on the address
    const nginx = await inspect(`${SVC}.container.2`)
    expect(await netnsId(nginx!.State.Pid)).to.equal(await netnsId(pid))
    expect(await lan.httpGet(ADDR)).to.contain(STANDIN)
  })

  it('start --rid ip#1 after a stop: container#1 starts first, the address is plumbed once', async () => {
    await cli.ok(['-s', SVC, 'stop', '--local'])
    expect(await lan.pings(ADDR)).to.equal(false)
    const out = await cli.ok(['-s', SVC, 'start', '--rid', 'ip#1', '--local'])
    expect(events(out)[0]).to.deep.include({rid: undefined, message: 'add rid container#1 to satisfy dependencies'})
    expect(ridOrder(out)).to.deep.equal(['container#1', 'ip#1'])
    expect(commandsOf(out).filter(c => c.includes('ip addr add'))).to.have.length(1)
    expect(await lan.pings(ADDR)).to.equal(true)
    // container#2 and #3 were not selected
    expect((await inspect(`${SVC}.container.2`))?.State.Running).to.equal(false)
    const status = await cli.ok(['-s', SVC, 'print', 'status'])
    expect(status).to.match(/\|- ip#1 +\S+ up /)
  })

  it('stop: nothing of ip#1 is left on the host', async () => {
    await cli.ok(['-s', SVC, 'stop', '--local'])
    // no link of ipdev's (a macvlan left behind) in the root namespace
    const links = JSON.parse((await sh('ip', ['-j', 'link', 'show'])).stdout) as Array<{ifname: string; link?: string}>
    expect(links.filter(l => l.link === lan.ipdev).map(l => l.ifname)).to.deep.equal([])
    expect(await lan.arpAnswers(ADDR)).to.equal(false)
  })
})

describe('ip.netns: an address already in use refuses the start and rolls back', function () {
  this.timeout(180_000)
  const SVC = `ipu${process.pid}`
  const cli = new Cli()
  let lan: TestLan

  before(async () => {
    await requireEnvironment(['google/pause', 'nginx', 'redis'])
    await removeServiceContainers(SVC)
    lan = await TestLan.create('u')
  })

  after(async () => {
    await removeServiceContainers(SVC)
    await lan?.destroy()
    cli.dispose()
  })

  it('start fails naming the address, container#1 is stopped again, nothing is left plumbed', async () => {
    await cli.ok(['-s', SVC, 'create', '--config=-'], svc2(lan.ipdev))
    await lan.occupy(ADDR) // another host of the LAN holds it
    const t0 = Date.now()
    const r = await cli.run(['-s', SVC, 'start', '--local'])
    expect(r.code).to.not.equal(0)
    const all = `${r.stdout}\n${r.stderr}`
    expect(all).to.contain(`${ADDR} is already in use: a host answered an ARP probe for it through ${lan.ipdev}`)
    expect(messagesOf(r.stdout, 'ip#1').filter(m => /^(ip|nsenter) /.test(m))).to.deep.equal([])
    expect(all).to.match(/rolled back: stop .*container\.1/)
    // the probe answered at once: no waiting for a timeout
    expect(Date.now() - t0).to.be.below(30_000)
    const c1 = await inspect(`${SVC}.container.1`)
    expect(c1 === undefined || !c1.State.Running).to.equal(true)
    expect(await inspect(`${SVC}.container.2`)).to.equal(undefined)
    expect(await inspect(`${SVC}.container.3`)).to.equal(undefined)
  })

  it('once the address is free again, the start succeeds', async () => {
    await lan.release(ADDR)
    await cli.ok(['-s', SVC, 'start', '--local'])
    expect(await lan.pings(ADDR)).to.equal(true)
    await cli.ok(['-s', SVC, 'stop', '--local'])
  })
})

describe('ip keywords are refused at create and set, naming the keyword (CLI)', function () {
  this.timeout(60_000)
  const SVC = `ipk${process.pid}`
  const cli = new Cli()
  after(() => cli.dispose())

  it('create refuses a bad netmask; set refuses a bad ipname, mode or netmask and writes nothing', async () => {
    const bad = await cli.run(['-s', SVC, 'create', '--config=-'], svc2('eth9').replace('255.255.255.0', '255.0.255.0'))
    expect(bad.code).to.not.equal(0)
    expect(bad.stderr).to.contain(
      'ip#1.netmask: expected a netmask: dotted (255.255.255.0) or a prefix length (24), got "255.0.255.0"',
    )
    await cli.ok(['-s', SVC, 'create', '--config=-'], svc2('eth9'))
    for (const [kw, value, message] of [
      ['ipname', '192.0.2.300', 'ip#1.ipname: expected an IPv4 or IPv6 address, or a host name, got "192.0.2.300"'],
      [
        'mode',
        'vlan',
        'ip#1.mode: expected one of bridge, dedicated, macvlan, ipvlan-l2, ipvlan-l3, ipvlan-l3s, got "vlan"',
      ],
      ['netmask', '33', 'ip#1.netmask: expected a prefix length of 0-32 for an IPv4 address, got "33"'],
    ]) {
      const r = await cli.run(['-s', SVC, 'set', '--kw', `ip#1.${kw}=${value}`])
      expect(r.code, `${kw}=${value}`).to.not.equal(0)
      expect(r.stderr).to.contain(message)
    }
    expect(await cli.ok(['-s', SVC, 'get', '--kw', 'ip#1.mode'])).to.equal('macvlan\n')
  })
})
