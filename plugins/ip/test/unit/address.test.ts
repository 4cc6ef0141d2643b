// Address arithmetic, keyword value checks and ipname resolution (no network: only names the
// resolver answers from /etc/hosts, or that RFC 6761 says never resolve).
import {readFileSync} from 'node:fs'
import {expect} from 'chai'
import {
  addressKey,
  checkInterface,
  checkIpname,
  checkMac,
  checkNetmask,
  inNetwork,
  ipFamily,
  isHostname,
  netmaskProblem,
  networkOf,
  parseNetmask,
  resolveIpname,
  sameAddress,
  unusableAddress,
} from '../../src/net/address.js'
import {bridgePeerName, tempLinkName} from '../../src/drivers/ip-netns.js'

/** A host name /etc/hosts maps (IPv4 only, not localhost), if any: resolving it never reaches DNS. */
function hostsName(): string | undefined {
  let text: string
  try {
    text = readFileSync('/etc/hosts', 'utf8')
  } catch {
    return undefined
  }
  const rows = text
    .split('\n')
    .map(l => l.replace(/#.*/, '').trim().split(/\s+/))
    .filter(w => w.length > 1)
  for (const [ip, ...names] of rows) {
    if (ipFamily(ip) !== 4) continue
    // only a name with no IPv6 line: an AF_UNSPEC lookup is then fully answered by the files backend
    const name = names.find(
      n =>
        n !== 'localhost' &&
        isHostname(n) &&
        !n.endsWith('.localhost') &&
        !rows.some(([other, ...o]) => ipFamily(other) === 6 && o.includes(n)),
    )
    if (name) return name
  }
  return undefined
}

describe('ip plugin: address helpers', () => {
  it('parses dotted netmasks and prefix lengths', () => {
    expect(parseNetmask('255.255.255.224')).to.deep.equal({prefix: 27, dotted: true})
    expect(parseNetmask('255.255.255.255')).to.deep.equal({prefix: 32, dotted: true})
    expect(parseNetmask('0.0.0.0')).to.deep.equal({prefix: 0, dotted: true})
    expect(parseNetmask('24')).to.deep.equal({prefix: 24, dotted: false})
    expect(parseNetmask('/64')).to.deep.equal({prefix: 64, dotted: false})
    expect(parseNetmask('255.0.255.0')).to.equal(undefined)
    expect(parseNetmask('129')).to.equal(undefined)
    expect(parseNetmask('255.255.255')).to.equal(undefined)
    expect(parseNetmask('')).to.equal(undefined)
  })

  it('keys addresses equal exactly when they are the same address', () => {
    const values = [
      '10.0.0.1',
      '10.0.0.10',
      '192.0.2.1',
      '2001:db8::1',
      '2001:DB8:0:0:0:0:0:1',
      '::ffff:10.0.0.1',
      'db1',
      'db1.lan',
    ]
    for (const a of values)
      for (const b of values)
        expect(addressKey(a) === addressKey(b), `${a} ${b}`).to.equal(a === b || sameAddress(a, b))
  })

  it('answers a netmask asked again the same, whatever was asked between', () => {
    const masks = ['255.255.255.224', '24', '/64', '255.0.255.0', ' 16 ', '255.255.0.0']
    const first = masks.map(m => parseNetmask(m))
    for (let i = 0; i < 3; i++) expect(masks.map(m => parseNetmask(m))).to.deep.equal(first)
    expect(first).to.deep.equal([
      {prefix: 27, dotted: true},
      {prefix: 24, dotted: false},
      {prefix: 64, dotted: false},
      undefined,
      {prefix: 16, dotted: false},
      {prefix: 16, dotted: true},
    ])
  })

  it('bounds the prefix by the address family', () => {
    expect(netmaskProblem({prefix: 33, dotted: false}, 4)).to.equal('a prefix length of 0-32 for an IPv4 address')
    expect(netmaskProblem({prefix: 64, dotted: false}, 6)).to.equal(undefined)
    expect(netmaskProblem({prefix: 24, dotted: true}, 6)).to.equal('a prefix length (0-128) for an IPv6 address')
  })

  it('computes networks and membership, IPv4 and IPv6', () => {
    expect(networkOf('5.196.34.151', 27)).to.equal('5.196.34.128')
    expect(inNetwork('5.196.34.158', '5.196.34.151', 27)).to.equal(true)
    expect(inNetwork('5.196.34.160', '5.196.34.151', 27)).to.equal(false)
    expect(networkOf('2001:db8::10', 64)).to.equal('2001:db8::')
    expect(networkOf('2001:db8:0:1:2:3:4:5', 48)).to.equal('2001:db8::')
    expect(inNetwork('2001:db8::1', '2001:db8::10', 64)).to.equal(true)
    expect(inNetwork('2001:db8:1::1', '2001:db8::10', 64)).to.equal(false)
    expect(inNetwork('192.0.2.1', '2001:db8::10', 64)).to.equal(false)
    expect(sameAddress('2001:db8::10', '2001:0db8:0:0::0010')).to.equal(true)
    expect(sameAddress('::ffff:192.0.2.1', '::ffff:c000:201')).to.equal(true)
  })

  it('tells addresses from host names', () => {
    expect(ipFamily('192.0.2.10')).to.equal(4)
    expect(ipFamily('2001:db8::10')).to.equal(6)
    expect(ipFamily('busybox.opensvc.com')).to.equal(undefined)
    expect(isHostname('busybox.opensvc.com')).to.equal(true)
    expect(isHostname('web-1')).to.equal(true)
    expect(isHostname('5.196.34.300')).to.equal(false)
    expect(isHostname('-bad.example')).to.equal(false)
    expect(isHostname('bad name')).to.equal(false)
    expect(isHostname('a'.repeat(64) + '.example')).to.equal(false)
  })

  it('checks keyword values, saying what was expected', () => {
    expect(checkIpname('5.196.34.151')).to.equal(undefined)
    expect(checkIpname('busybox.opensvc.com')).to.equal(undefined)
    expect(checkIpname('5.196.34.300')).to.equal('an IPv4 or IPv6 address, or a host name')
    expect(checkNetmask('255.255.255.224')).to.equal(undefined)
    expect(checkNetmask('255.255.0.255')).to.match(/^a netmask: dotted/)
    expect(checkInterface('eth0')).to.equal(undefined)
    expect(checkInterface('eth0:1')).to.match(/^an interface name/)
    expect(checkInterface('a-very-long-name0')).to.match(/^an interface name/)
    expect(checkMac('02:42:c0:00:02:0a')).to.equal(undefined)
    expect(checkMac('01:00:5e:00:00:01')).to.match(/unicast/)
    expect(checkMac('02:42:c0')).to.match(/^a MAC address/)
  })

  it('refuses loopback, multicast and unspecified addresses', () => {
    expect(unusableAddress('127.0.0.1')).to.equal('a loopback address')
    expect(unusableAddress('::1')).to.equal('a loopback address')
    expect(unusableAddress('224.0.0.1')).to.equal('a multicast address')
    expect(unusableAddress('ff02::1')).to.equal('a multicast address')
    expect(unusableAddress('0.0.0.0')).to.equal('the unspecified address')
    expect(unusableAddress('192.0.2.10')).to.equal(undefined)
  })

  it('resolves ipname: addresses as is, names through the resolver', async () => {
    expect(await resolveIpname('192.0.2.10')).to.deep.equal({ip: '192.0.2.10', family: 4})
    // .invalid never resolves (RFC 6761): refused without asking DNS
    let error: Error | undefined
    await resolveIpname('nosuchhost.invalid').catch(e => (error = e))
    expect(error?.message).to.equal('cannot resolve nosuchhost.invalid: names under .invalid never resolve (RFC 6761)')
    // localhost is loopback by definition (RFC 6761): refused without asking the resolver
    error = undefined as Error | undefined // typed: a plain undefined would narrow error to undefined for the checks below
    await resolveIpname('localhost').catch(e => (error = e))
    expect(error?.message).to.equal('localhost is a loopback name (RFC 6761), not a service address')
  })

  it('resolves a name through dns.lookup (a name of /etc/hosts, so no DNS query is sent)', async function () {
    const name = hostsName()
    if (!name) {
      console.log('      skipped: /etc/hosts names no host besides localhost (a lookup could send a DNS query)')
      this.skip()
    }
    const [ip] = readFileSync('/etc/hosts', 'utf8')
      .split('\n')
      .map(l => l.replace(/#.*/, '').trim().split(/\s+/))
      .find(w => w.slice(1).includes(name))!
    if (unusableAddress(ip)) {
      let error: Error | undefined
      await resolveIpname(name).catch(e => (error = e))
      expect(error?.message).to.equal(`${name} resolves to ${ip}, ${unusableAddress(ip)}`)
    } else {
      expect(await resolveIpname(name)).to.deep.equal({ip, family: ipFamily(ip), name})
    }
  })

  it('names links within 15 characters', () => {
    expect(tempLinkName(21982, 'eth0')).to.equal('ph21982eth0')
    expect(tempLinkName(4194303, 'tl4194303')).to.equal('ph4194303tl4194')
    expect(tempLinkName(4194303, 'tl4194303')).to.have.length(15)
    expect(bridgePeerName(21982, 'eth0')).to.equal('veth0pl21982')
    expect(bridgePeerName(4194303, 'eth10')).to.have.length.at.most(15)
  })
})
