// The availability probe itself (net/arp.ts) on a test LAN of its own: an answer is "taken",
// no answer within the window is "free", and a probe that fails is neither (it throws). The
// LAN is 198.51.100.0/24 inside this test's namespace; the root-namespace veth end holds no
// address (the probe's sender is 0.0.0.0).
import {expect} from 'chai'
import type {DriverContext} from 'svcmgr'
import {compileConfig, createDriverContext, EventCollector} from 'svcmgr/testing'
import {registration} from '../../src/hooks/drivers.js'
import {addressAnswers, PROBE_WINDOW} from '../../src/net/arp.js'
import {TestLan} from './lan.js'

const GATEWAY = '198.51.100.1'
const FREE = '198.51.100.77'
const TAKEN = '198.51.100.78'

describe('ip: the ARP availability probe on a test LAN', function () {
  this.timeout(60_000)
  let lan: TestLan
  let events: EventCollector

  before(async () => {
    lan = await TestLan.create('p', {gateway: GATEWAY})
  })

  after(async () => {
    await lan?.destroy()
  })

  function context(): DriverContext {
    const service = compileConfig({'ip#1': {ipdev: lan.ipdev, ipname: FREE}}, [
      {plugin: '@svcmgr/plugin-ip', registration},
    ])
    events = new EventCollector()
    return createDriverContext(
      {
        service,
        settings: {root: '/nonexistent', nodename: 'deb1'},
        sink: events,
        signal: new AbortController().signal,
        cache: new Map(),
      },
      service.resource('ip#1')!,
    )
  }

  it('a free address: no answer within the window, the probe line is logged with its deadline', async () => {
    expect(await addressAnswers(context(), undefined, lan.ipdev, FREE)).to.equal(false)
    expect(events.events.map(e => e.message)).to.deep.equal([
      `timeout ${PROBE_WINDOW} busybox arping -D -c 1 -w 1 -I ${lan.ipdev} ${FREE}`,
    ])
  })

  it('a taken address answers: the LAN host itself, and an address another host of the LAN holds', async () => {
    expect(await addressAnswers(context(), undefined, lan.ipdev, GATEWAY)).to.equal(true)
    await lan.occupy(TAKEN)
    try {
      expect(await addressAnswers(context(), undefined, lan.ipdev, TAKEN)).to.equal(true)
      const output = events.events.map(e => e.message).find(m => m.startsWith('output:'))
      expect(output).to.match(/Received 1 response/)
    } finally {
      await lan.release(TAKEN)
    }
    // released: free again
    expect(await addressAnswers(context(), undefined, lan.ipdev, TAKEN)).to.equal(false)
  })

  it('a probe that fails is never read as "free": a missing interface (arping exits 2)', async () => {
    const error = await addressAnswers(context(), undefined, `${lan.ipdev}x`.slice(0, 15), FREE).then(
      () => undefined,
      (e: Error) => e,
    )
    expect(error?.message).to.match(/arping -D -c 1 -w 1 -I \S+ 198\.51\.100\.77: exit code 2: .*not found/)
  })

  it('a probe that fails is never read as "taken" either: exit 1 without an answer (nsenter cannot enter)', async () => {
    const error = await addressAnswers(context(), {path: '/nonexistent/ns/net', pid: 0}, lan.ipdev, FREE).then(
      () => undefined,
      (e: Error) => e,
    )
    expect(error?.message).to.equal(
      `ARP probe for ${FREE} through ${lan.ipdev} failed: exit code 1 and no answer reported: nsenter: cannot open /nonexistent/ns/net: No such file or directory`,
    )
  })
})
