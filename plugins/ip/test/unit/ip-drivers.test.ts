// ip.netns and ip.host through the core's own compileService, planner and config printer,
// with the real docker and ip registrations (no engine, no network: pure functions, and status
// probes that stop before any: an engine socket that does not exist, names that never resolve).
import {expect} from 'chai'
import {
  buildPlan,
  compileConfig,
  configProblems,
  createDriverHarness,
  documentToIni,
  formatPlanText,
  normalizeDocument,
  parseDocument,
  type Registrations,
  registryOf,
  type Service,
} from 'svcmgr/testing'
import {registration as dockerRegistration} from '../../../docker/src/hooks/drivers.js'
import {registration} from '../../src/hooks/drivers.js'
import {ipNetnsDriver} from '../../src/drivers/ip-netns.js'
import {inNetns, ipCommand, ipCommandLine} from '../../src/net/iproute.js'
import {resourceEdges} from 'svcmgr/testing'
import {ipHostDriver} from '../../src/drivers/ip-host.js'
import type {NetnsKeywords} from '../../src/drivers/ip-netns.keywords.js'
import type {HostKeywords} from '../../src/drivers/ip-host.keywords.js'
import type {Resource} from 'svcmgr'

// the seed's svc2, verbatim
const SVC2 = {
  DEFAULT: {id: 'fd1196ad-fbf1-49bb-ab52-12ed2a1fbf0e'},
  'container#1': {image: 'google/pause', run_command: '/bin/sh', type: 'docker'},
  'container#2': {image: 'nginx', netns: 'container#1', type: 'docker'},
  'container#3': {image: 'redis', netns: 'container#1', type: 'docker'},
  'ip#1': {
    gateway: '5.196.34.158',
    ipdev: 'eth0',
    ipname: '5.196.34.151',
    mode: 'ipvlan-l2',
    netmask: '255.255.255.224',
    netns: 'container#1',
    type: 'netns',
  },
}

const REGISTRATIONS: Registrations = [
  {plugin: '@svcmgr/plugin-docker', registration: dockerRegistration},
  {plugin: '@svcmgr/plugin-ip', registration},
]

const registry = () => registryOf(REGISTRATIONS)
const compile = (config: object | string, name = 'svc2') =>
  compileConfig(config, REGISTRATIONS, {name, nodename: 'deb1'})
const problems = (config: object | string) => configProblems(config, REGISTRATIONS, {name: 'svc2', nodename: 'deb1'})

// a keyword set to undefined is left out (JSON.stringify drops it)
const withIp = (ip: Record<string, string | undefined>) => ({...SVC2, 'ip#1': {...SVC2['ip#1'], ...ip}})
const netnsRes = (svc: Service, rid = 'ip#1') => svc.resource(rid) as unknown as Resource<NetnsKeywords>
const hostRes = (svc: Service, rid = 'ip#1') => svc.resource(rid) as unknown as Resource<HostKeywords>
const NS = 'nsenter --net=/proc/<pid of container#1>/ns/net'

describe('ip.netns keywords and validation', () => {
  it("compiles the seed's svc2 ip#1 with typed, defaulted keywords", () => {
    const svc = compile(SVC2)
    const ip = netnsRes(svc)
    expect(ip.group).to.equal('ip')
    expect(ip.type).to.equal('netns')
    expect(ip.kw).to.deep.include({
      mode: 'ipvlan-l2',
      netns: 'container#1',
      ipdev: 'eth0',
      ipname: '5.196.34.151',
      netmask: '255.255.255.224',
      gateway: '5.196.34.158',
      del_net_route: false,
      check_carrier: true,
    })
    expect(ip.kw.nsdev).to.equal(undefined)
    expect(ip.kw.mtu).to.equal(undefined)
  })

  it('accepts type = docker as an alias, defaults mode to bridge, parses mtu', () => {
    const svc = compile({
      ...SVC2,
      'ip#1': {type: 'docker', netns: 'container#1', ipdev: 'br0', ipname: '192.0.2.10', mtu: '1400'},
    })
    expect(netnsRes(svc).type).to.equal('netns')
    expect(netnsRes(svc).kw).to.deep.include({mode: 'bridge', mtu: 1400})
    expect(
      compile({
        ...SVC2,
        'ip#1': {type: 'netns', container_rid: 'container#1', ipdev: 'br0', ipname: '192.0.2.10'},
      }).resource('ip#1')!.kw.netns,
    ).to.equal('container#1')
  })

  it('prints config in the seed order: type, mode, netns, ipdev, ipname, netmask, gateway', () => {
    const text = documentToIni(normalizeDocument(parseDocument(JSON.stringify(SVC2), 'svc2', 'test'), registry()))
    expect(text).to.contain(
      '[ip#1]\ntype = netns\nmode = ipvlan-l2\nnetns = container#1\nipdev = eth0\nipname = 5.196.34.151\nnetmask = 255.255.255.224\ngateway = 5.196.34.158\n',
    )
    expect(text).to.contain('[container#1]\ntype = docker\nimage = google/pause\nrun_command = /bin/sh\n')
  })

  it('refuses a bad ipname, netmask or mode, naming ip#1.<keyword>', () => {
    expect(problems(withIp({ipname: '5.196.34.300'}))).to.deep.equal([
      'ip#1.ipname: expected an IPv4 or IPv6 address, or a host name, got "5.196.34.300"',
    ])
    expect(problems(withIp({ipname: 'not a name'}))).to.deep.equal([
      'ip#1.ipname: expected an IPv4 or IPv6 address, or a host name, got "not a name"',
    ])
    expect(problems(withIp({netmask: '255.255.0.255'}))).to.deep.equal([
      'ip#1.netmask: expected a netmask: dotted (255.255.255.0) or a prefix length (24), got "255.255.0.255"',
    ])
    expect(problems(withIp({mode: 'vlan'}))).to.deep.equal([
      'ip#1.mode: expected one of bridge, dedicated, macvlan, ipvlan-l2, ipvlan-l3, ipvlan-l3s, got "vlan"',
    ])
    expect(problems(withIp({netmask: '33'}))).to.deep.equal([
      'ip#1.netmask: expected a prefix length of 0-32 for an IPv4 address, got "33"',
    ])
  })

  it('refuses bad mtu, macaddr, nsdev, gateway and unusable addresses', () => {
    expect(problems(withIp({mtu: 'big'}))).to.deep.equal(['ip#1.mtu: expected an integer, got "big"'])
    expect(problems(withIp({mtu: '40'}))).to.deep.equal(['ip#1.mtu: expected an MTU between 68 and 65535, got "40"'])
    expect(problems(withIp({mode: 'macvlan', macaddr: '01:00:5e:00:00:01'}))).to.deep.equal([
      'ip#1.macaddr: expected a unicast MAC address (the first octet must be even), got "01:00:5e:00:00:01"',
    ])
    expect(problems(withIp({macaddr: '02:42:c0:00:02:0a'}))).to.deep.equal([
      'ip#1.macaddr: not with mode ipvlan-l2: ipvlan links share the MAC address of eth0',
    ])
    expect(problems(withIp({nsdev: 'eth0:1'}))[0]).to.match(/^ip#1\.nsdev: expected an interface name/)
    expect(problems(withIp({gateway: '5.196.34.1'}))).to.deep.equal([
      'ip#1.gateway: expected an address in 5.196.34.128/27 (the network of 5.196.34.151/27), got "5.196.34.1"',
    ])
    expect(problems(withIp({gateway: 'gw.example'}))).to.deep.equal([
      'ip#1.gateway: expected an IPv4 or IPv6 address, got "gw.example"',
    ])
    expect(problems(withIp({ipname: '127.0.0.1', gateway: '127.0.0.2', netmask: '8'}))).to.deep.equal([
      'ip#1.ipname: expected a unicast address, got "127.0.0.1" (a loopback address)',
    ])
  })

  it('requires netns, ipdev and ipname', () => {
    const p = problems({...SVC2, 'ip#1': {type: 'netns'}})
    expect(p.map(x => x.split(':')[0])).to.deep.equal(['ip#1.netns', 'ip#1.ipdev', 'ip#1.ipname'])
    expect(p[0]).to.match(/required keyword missing/)
  })

  it('netns must be a container resource of this service holding its own namespace', () => {
    expect(problems(withIp({netns: 'container#9'}))).to.deep.equal([
      'ip#1.netns: expected a container resource of this service, got "container#9"',
    ])
    expect(problems(withIp({netns: 'eth0'}))).to.deep.equal([
      'ip#1.netns: expected a container rid such as container#1, got "eth0"',
    ])
    expect(problems(withIp({netns: 'container#2'}))).to.deep.equal([
      'ip#1.netns: container#2 shares the network namespace of container#1: set netns = container#1',
    ])
  })

  it('refuses two ip resources with the same address, on the later one', () => {
    const p = problems({...SVC2, 'ip#2': {ipdev: 'eth1', ipname: '5.196.34.151'}})
    expect(p).to.deep.equal(['ip#2.ipname: 5.196.34.151 is already the address of ip#1'])
  })

  it('names every earlier holder of an address, spelled alike or not, and no later one', () => {
    const ip = (ipname: string) => ({type: 'netns', netns: 'container#1', ipdev: 'eth0', ipname})
    const p = problems({
      ...SVC2,
      'ip#1': ip('2001:db8::1'),
      'ip#2': ip('2001:0db8:0:0::1'),
      'ip#3': ip('busybox.example.com'),
      'ip#4': ip('2001:db8:0::1'),
      'ip#5': ip('busybox.example.com'),
      'ip#6': ip('2001:db8::2'),
      'ip#10': ip('2001:db8::1'),
    })
    expect(p).to.deep.equal([
      'ip#2.ipname: 2001:0db8:0:0::1 is already the address of ip#1',
      'ip#4.ipname: 2001:db8:0::1 is already the address of ip#1',
      'ip#4.ipname: 2001:db8:0::1 is already the address of ip#2',
      'ip#5.ipname: busybox.example.com is already the address of ip#3',
      'ip#10.ipname: 2001:db8::1 is already the address of ip#1',
      'ip#10.ipname: 2001:db8::1 is already the address of ip#2',
      'ip#10.ipname: 2001:db8::1 is already the address of ip#4',
    ])
  })

  it('finds the one clash among 5,000 ip resources', () => {
    const config: Record<string, object> = {'container#1': SVC2['container#1']}
    for (let i = 1; i <= 5000; i++)
      config[`ip#${i}`] = {type: 'netns', netns: 'container#1', ipdev: 'eth0', ipname: `10.0.${i >> 8}.${i & 255}`}
    config['ip#4999'] = {...config['ip#4999'], ipname: '10.0.0.7'}
    expect(problems(config)).to.deep.equal(['ip#4999.ipname: 10.0.0.7 is already the address of ip#7'])
  })
})

describe('ip.netns dependencies, label and plans', () => {
  const svc = compile(SVC2)

  it('starts after its container and before the containers sharing its namespace', () => {
    expect(resourceEdges(svc, 'ip#1')).to.deep.equal([
      {before: 'container#1', after: 'ip#1', reason: 'netns owner', gate: 'started'},
      {before: 'ip#1', after: 'container#2', reason: 'ip plumbed in the netns'},
      {before: 'ip#1', after: 'container#3', reason: 'ip plumbed in the netns'},
    ])
  })

  it('follows netns chains: a container sharing a sharer also starts after the ip', () => {
    const chained = compile({...SVC2, 'container#4': {type: 'docker', image: 'busybox', netns: 'container#3'}})
    expect(resourceEdges(chained, 'ip#1').map(d => d.after)).to.deep.equal([
      'ip#1',
      'container#2',
      'container#3',
      'container#4',
    ])
  })

  it("labels like the seed's status", () => {
    expect(ipNetnsDriver.label(netnsRes(svc), svc)).to.equal('netns ipvlan-l2 5.196.34.151/27 eth0@container#1')
  })

  const order = (action: 'start' | 'stop' | 'restart', rid?: string) => {
    const plan = buildPlan(svc, action, rid ? {rids: [rid]} : {})
    return {rids: plan.tasks.map(t => `${t.op} ${t.rid}`), added: plan.added.map(a => a.rid), plan}
  }

  it("plans the seed's order: start container#1, ip#1, container#2, container#3; stop reversed", () => {
    expect(order('start').rids).to.deep.equal([
      'start container#1',
      'start ip#1',
      'start container#2',
      'start container#3',
    ])
    expect(order('stop').rids).to.deep.equal(['stop container#3', 'stop container#2', 'stop ip#1', 'stop container#1'])
  })

  it('stop --rid container and start --rid container add ip#1', () => {
    const stop = order('stop', 'container')
    expect(stop.added).to.deep.equal(['ip#1'])
    expect(stop.rids).to.deep.equal(['stop container#3', 'stop container#2', 'stop ip#1', 'stop container#1'])
    const start = order('start', 'container')
    expect(start.added).to.deep.equal(['ip#1'])
    expect(start.rids).to.deep.equal(['start container#1', 'start ip#1', 'start container#2', 'start container#3'])
  })

  it('start --rid ip#1 starts container#1 first, and plumbs once', () => {
    const {rids, added} = order('start', 'ip#1')
    expect(added).to.deep.equal(['container#1'])
    expect(rids).to.deep.equal(['start container#1', 'start ip#1'])
  })

  it('restart --rid container#1 re-plumbs: ip#1 stops before it and starts after it', () => {
    expect(order('restart', 'container#1').rids).to.deep.equal([
      'stop container#3',
      'stop container#2',
      'stop ip#1',
      'stop container#1',
      'start container#1',
      'start ip#1',
      'start container#2',
      'start container#3',
    ])
  })

  it('--dry-run text shows the ip.netns commands in the container stage', () => {
    const text = formatPlanText(buildPlan(svc, 'start'))
    expect(text).to.contain(
      `    [2] ip#1  start  after [1 started]\n          find the network namespace of container#1`,
    )
    expect(text).to.contain(`          ${NS} ip addr add 5.196.34.151/27 dev <first free ethN>\n`)
  })
})

describe('ip.netns describe (dry run)', () => {
  const describeStart = (ip: Record<string, string | undefined>) => {
    const svc = compile(withIp(ip))
    return ipNetnsDriver.describe('start', netnsRes(svc), svc)
  }
  const head = (ipdev: string, ip: string) => [
    'find the network namespace of container#1 (refuse the start when container#1 is not running)',
    `nothing to do when ${ip} is already on an interface of that namespace`,
    `ip link set ${ipdev} up  (when it is down)`,
    `checking ${ip} availability: timeout 0.2 busybox arping -D -c 1 -w 1 -I ${ipdev} ${ip}  (an answer refuses the start)`,
  ]

  it("ipvlan-l2: the seed's command sequence", () => {
    expect(describeStart({})).to.deep.equal([
      ...head('eth0', '5.196.34.151'),
      'ipvlan-l2 mode',
      'ip link add link eth0 name ph<pid of container#1>eth0 mtu <mtu of eth0> type ipvlan mode l2',
      'ip link set ph<pid of container#1>eth0 netns <pid of container#1>',
      `${NS} ip link set ph<pid of container#1>eth0 name <first free ethN>`,
      `${NS} ip addr add 5.196.34.151/27 dev <first free ethN>`,
      `${NS} ip link set <first free ethN> up`,
      `${NS} ip route replace default via 5.196.34.158  (when the namespace has no default route)`,
      `${NS} busybox arping -q -U -c 1 -I <first free ethN> -s 5.196.34.151 5.196.34.151`,
      'then container#2, container#3 start in that namespace',
    ])
  })

  it('ipvlan-l3 and ipvlan-l3s: ipvlan mode l3/l3s, no gratuitous ARP (NOARP links)', () => {
    for (const l of ['l3', 'l3s']) {
      const lines = describeStart({mode: `ipvlan-${l}`, nsdev: 'eth0'})
      expect(lines).to.include(
        `ip link add link eth0 name ph<pid of container#1>eth0 mtu <mtu of eth0> type ipvlan mode ${l}`,
      )
      expect(lines).to.include(
        `no gratuitous ARP: ipvlan-${l} links do no ARP (the LAN reaches the address through eth0's routes)`,
      )
      expect(lines.some(x => x.includes('arping -q -U'))).to.equal(false)
    }
  })

  it('macvlan: a macvlan link in bridge mode, with mtu, MAC address and nsdev', () => {
    expect(
      describeStart({
        mode: 'macvlan',
        ipdev: 'tl1',
        ipname: '192.0.2.10',
        netmask: '24',
        gateway: '192.0.2.1',
        nsdev: 'eth0',
        mtu: '1400',
        macaddr: '02:42:c0:00:02:0a',
      }),
    ).to.deep.equal([
      ...head('tl1', '192.0.2.10'),
      'macvlan mode',
      'ip link add link tl1 name ph<pid of container#1>tl1 mtu 1400 address 02:42:c0:00:02:0a type macvlan mode bridge',
      'ip link set ph<pid of container#1>tl1 netns <pid of container#1>',
      `${NS} ip link set ph<pid of container#1>tl1 name eth0`,
      `${NS} ip addr add 192.0.2.10/24 dev eth0`,
      `${NS} ip link set eth0 up`,
      `${NS} ip route replace default via 192.0.2.1  (when the namespace has no default route)`,
      `${NS} busybox arping -q -U -c 1 -I eth0 -s 192.0.2.10 192.0.2.10`,
      'then container#2, container#3 start in that namespace',
    ])
  })

  it('bridge: a veth pair, its host end enslaved to the bridge ipdev', () => {
    const lines = describeStart({
      mode: 'bridge',
      ipdev: 'br0',
      ipname: '192.0.2.10',
      netmask: '24',
      gateway: '192.0.2.1',
      nsdev: 'eth0',
    })
    expect(lines.slice(4, 10)).to.deep.equal([
      'bridge mode',
      'ip link add name ph<pid of container#1>br0 mtu <mtu of br0> type veth peer name veth0pl<pid of container#1> mtu <mtu of br0>',
      'ip link set veth0pl<pid of container#1> master br0',
      'ip link set veth0pl<pid of container#1> up',
      'ip link set ph<pid of container#1>br0 netns <pid of container#1>',
      `${NS} ip link set ph<pid of container#1>br0 name eth0`,
    ])
  })

  it('dedicated: ipdev itself moves in; stop gives it back under its own name', () => {
    const svc = compile(
      withIp({
        mode: 'dedicated',
        ipdev: 'eth1',
        ipname: '192.0.2.10',
        netmask: '24',
        gateway: '192.0.2.1',
        nsdev: 'eth0',
        mtu: '1400',
      }),
    )
    const lines = ipNetnsDriver.describe('start', netnsRes(svc), svc)
    expect(lines.slice(4, 10)).to.deep.equal([
      'dedicated mode',
      'ip link set eth1 netns <pid of container#1>',
      `${NS} ip link set eth1 name eth0`,
      `${NS} ip link set eth0 mtu 1400`,
      `${NS} ip addr add 192.0.2.10/24 dev eth0`,
      `${NS} ip link set eth0 up`,
    ])
    expect(ipNetnsDriver.describe('stop', netnsRes(svc), svc)).to.deep.equal([
      'nothing to do when container#1 is not running (its namespace and the links in it are gone) or 192.0.2.10 is not in it',
      `${NS} ip addr del 192.0.2.10/24 dev <the interface holding it>`,
      `${NS} ip link set <the interface holding it> down`,
      `${NS} ip link set <the interface holding it> name eth1`,
      `${NS} ip link set eth1 netns 1`,
      'ip link set eth1 up',
      'checking 192.0.2.10 availability: timeout 0.2 busybox arping -D -c 1 -w 1 -I eth1 192.0.2.10  (a warning when it still answers)',
    ])
  })

  it("stop: the seed's address and link deletion, then the availability check", () => {
    const svc = compile(SVC2)
    expect(ipNetnsDriver.describe('stop', netnsRes(svc), svc)).to.deep.equal([
      'nothing to do when container#1 is not running (its namespace and the links in it are gone) or 5.196.34.151 is not in it',
      `${NS} ip addr del 5.196.34.151/27 dev <the interface holding it>`,
      `${NS} ip link del dev <the interface holding it>`,
      'checking 5.196.34.151 availability: timeout 0.2 busybox arping -D -c 1 -w 1 -I eth0 5.196.34.151  (a warning when it still answers)',
    ])
  })

  it('del_net_route and host names show as placeholders where only the run knows', () => {
    const lines = describeStart({ipname: 'web.example', netmask: '24', gateway: undefined, del_net_route: 'true'})
    expect(lines).to.include(`${NS} ip addr add <address of web.example>/24 dev <first free ethN>`)
    expect(lines).to.include(`${NS} ip route del <network of <address of web.example>/24> dev <first free ethN>`)
    const v4 = describeStart({del_net_route: 'true'})
    expect(v4).to.include(`${NS} ip route del 5.196.34.128/27 dev <first free ethN>`)
  })
})

describe('ip.host (an [ip#N] with no type)', () => {
  // the seed's busybox service: its ip#1 section and containers, without the lvm/fs sections
  const BUSYBOX = `[DEFAULT]
docker_data_dir = /opt/busybox.opensvc.com/appdata

[container#1]
type = docker
image = b073e328878e
subset = 00database

[ip#1]
ipdev = eth0
ipname = busybox.opensvc.com
`

  it('is the default type of the ip group, with alias on by default', () => {
    const svc = compile(BUSYBOX, 'busybox')
    const ip = hostRes(svc)
    expect(ip.type).to.equal('host')
    expect(ip.kw).to.deep.equal({ipdev: 'eth0', ipname: 'busybox.opensvc.com', alias: true})
    expect(ipHostDriver.label(ip, svc)).to.equal('busybox.opensvc.com@eth0')
    expect(documentToIni(normalizeDocument(parseDocument(BUSYBOX, 'busybox', 'test'), registry()))).to.contain(
      '[ip#1]\nipdev = eth0\nipname = busybox.opensvc.com\n',
    )
  })

  it('starts first (ip group) and stops last', () => {
    const svc = compile(BUSYBOX, 'busybox')
    expect(buildPlan(svc, 'start').tasks.map(t => t.rid)).to.deep.equal(['ip#1', 'container#1'])
    expect(buildPlan(svc, 'stop').tasks.map(t => t.rid)).to.deep.equal(['container#1', 'ip#1'])
  })

  it('describes availability check, ip addr add with an alias label, gratuitous ARP; stop: ip addr del', () => {
    const svc = compile({'ip#1': {ipdev: 'eth0', ipname: '37.59.71.25', netmask: '255.255.255.224'}}, 'busybox')
    expect(ipHostDriver.label(hostRes(svc), svc)).to.equal('37.59.71.25/27@eth0')
    expect(ipHostDriver.describe('start', hostRes(svc), svc)).to.deep.equal([
      'nothing to do when 37.59.71.25 is already on eth0 (refuse the start when another interface holds it)',
      'ip link set eth0 up  (when it is down)',
      'checking 37.59.71.25 availability: timeout 0.2 busybox arping -D -c 1 -w 1 -I eth0 37.59.71.25  (an answer refuses the start)',
      'ip addr add 37.59.71.25/27 dev eth0 label eth0:<first free alias number>',
      'busybox arping -q -U -c 1 -I eth0 -s 37.59.71.25 37.59.71.25',
    ])
    expect(ipHostDriver.describe('stop', hostRes(svc), svc)).to.deep.equal([
      'nothing to do when 37.59.71.25 is not on eth0',
      'ip addr del 37.59.71.25/27 dev eth0',
      'checking 37.59.71.25 availability: timeout 0.2 busybox arping -D -c 1 -w 1 -I eth0 37.59.71.25  (a warning when it still answers)',
    ])
  })

  it('refuses bad values naming ip#1.<keyword>', () => {
    expect(problems({'ip#1': {ipdev: 'eth0', ipname: 'bad_name!'}})).to.deep.equal([
      'ip#1.ipname: expected an IPv4 or IPv6 address, or a host name, got "bad_name!"',
    ])
    expect(problems({'ip#1': {ipdev: 'eth0', ipname: '2001:db8::10', netmask: '255.255.255.0'}})).to.deep.equal([
      'ip#1.netmask: expected a prefix length (0-128) for an IPv6 address, got "255.255.255.0"',
    ])
    expect(problems({'ip#1': {ipdev: 'eth0', ipname: '192.0.2.10', gateway: '2001:db8::1'}})).to.deep.equal([
      'ip#1.gateway: expected an IPv4 address like ipname 192.0.2.10, got "2001:db8::1"',
    ])
    expect(problems({'ip#1': {ipdev: 'eth0', ipname: '192.0.2.10', mode: 'macvlan'}})[0]).to.match(
      /^ip#1\.mode: unknown keyword/,
    )
  })
})

describe('status of an address whose state is unknown: warn with the reason, never down', () => {
  // nothing on this host is touched: the holder's engine does not exist, the names never resolve
  const sock = `/nonexistent-${process.pid}/docker.sock`
  const ipdev = `nx${process.pid}`.slice(0, 15)

  it("ip.netns: the holder's engine cannot be reached (the real docker driver's netns capability): status warn naming why; stop and start fail", async () => {
    const config = {
      'container#1': SVC2['container#1'],
      'ip#1': {type: 'netns', mode: 'macvlan', netns: 'container#1', ipdev, ipname: '198.51.100.77', netmask: '24'},
    }
    const h = createDriverHarness({
      config,
      registrations: REGISTRATIONS,
      name: `unk${process.pid}`,
      dockerHost: `unix://${sock}`,
    })
    const reason = `docker daemon socket ${sock} missing`
    const st = await h.status('ip#1')
    expect(st.status).to.equal('warn')
    expect(st.log!.map(l => l.message).join('\n'))
      .to.include(reason)
      .and.include("whether 198.51.100.77 is plumbed in container#1's namespace is unknown")
    for (const action of ['stop', 'start'] as const) {
      const error = await h.act('ip#1', action).then(
        () => undefined,
        (e: Error) => e,
      )
      expect(error?.message, action).to.include(reason)
    }
  })

  it('ip.host: an ipname that does not resolve leaves whether it is on ipdev unknown: warn', async () => {
    const host = createDriverHarness({
      config: {'ip#1': {ipdev, ipname: 'nosuchhost.invalid', netmask: '24'}},
      registrations: REGISTRATIONS,
    })
    const cannot = 'ip#1.ipname: cannot resolve nosuchhost.invalid: names under .invalid never resolve (RFC 6761)'
    expect(await host.status('ip#1')).to.deep.include({
      status: 'warn',
      log: [{level: 'warn', message: `${cannot}: whether nosuchhost.invalid is on ${ipdev} is unknown`}],
    })
  })
})

describe('ip.netns describe, asked again', () => {
  it('the same lines for the same resource, each call its own array; another resource its own lines', () => {
    const svc = compile({...SVC2, 'ip#2': {...SVC2['ip#1'], ipname: '5.196.34.152', mode: 'macvlan'}})
    const start = ipNetnsDriver.describe('start', netnsRes(svc), svc)
    const again = ipNetnsDriver.describe('start', netnsRes(svc), svc)
    expect(again).to.deep.equal(start)
    expect(again).to.not.equal(start)
    again.push('changed by a caller')
    expect(ipNetnsDriver.describe('start', netnsRes(svc), svc)).to.deep.equal(start)
    expect(ipNetnsDriver.describe('stop', netnsRes(svc), svc)).to.not.deep.equal(start)
    const other = ipNetnsDriver.describe('start', netnsRes(svc, 'ip#2'), svc)
    expect(other).to.include(
      'ip link add link eth0 name ph<pid of container#1>eth0 mtu <mtu of eth0> type macvlan mode bridge',
    )
    expect(other.join('\n')).to.include('5.196.34.152').and.not.include('5.196.34.151')
  })

  it("writes a command line as its argument vector's words joined", () => {
    const ns = {pid: 0, path: '/proc/<pid of c>/ns/net'}
    for (const where of [undefined, ns])
      for (const args of [['link', 'set', 'eth0', 'up'], ['addr', 'add', '10.0.0.1/8', 'dev', 'eth0'], []])
        expect(ipCommandLine(where, args)).to.equal(ipCommand(where, args).flat().join(' '))
    expect(inNetns(ns, 'ip', ['a'])).to.deep.equal(ipCommand(ns, ['a']))
  })
})
