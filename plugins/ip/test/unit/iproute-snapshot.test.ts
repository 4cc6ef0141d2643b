// The `ip -j` lists as status reads them: one per namespace per command for every address
// that asks (snapshot), each answered from it; an action's read is its own; a change made
// through ip() drops the command's lists; a failed read is not kept. `ip` is scripted through a
// context whose run() answers and counts.
import {expect} from 'chai'
import type {DriverContext, RunOptions, RunResult} from 'svcmgr'
import {findAddress, findLink, ip, listAddresses} from '../../src/net/iproute.js'

const link = (ifname: string, addresses: string[], flags = ['UP', 'LOWER_UP']) => ({
  ifindex: 1,
  ifname,
  flags,
  addr_info: addresses.map(a => ({family: 'inet', local: a.split('/')[0], prefixlen: Number(a.split('/')[1])})),
})

function scripted() {
  const runs: string[] = []
  let lists: Record<string, unknown[]> = {host: [link('eth0', ['10.0.0.1/24', '10.0.0.2/24'])], ns: []}
  let failing = false
  const ctx = {
    cache: new Map<string, unknown>(),
    async run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
      const words = [file, ...args].join(' ')
      runs.push(words)
      if (!options.quiet) return {exitCode: 0, stdout: '', stderr: ''}
      if (failing) throw new Error(`${words}: exit code 1`)
      const where = file === 'nsenter' ? 'ns' : 'host'
      return {exitCode: 0, stdout: JSON.stringify(lists[where]), stderr: ''}
    },
  } as unknown as DriverContext
  return {
    ctx,
    runs,
    set: (next: Record<string, unknown[]>) => (lists = next),
    fail: (f: boolean) => (failing = f),
  }
}

const NS = {pid: 42, path: '/proc/42/ns/net'}

describe('ip lists: one read per namespace per command for status', () => {
  it('status reads each namespace once for every address, each answered from it', async () => {
    const s = scripted()
    const asked = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.1']
    const host = await Promise.all(asked.map(a => findAddress(s.ctx, undefined, a, {snapshot: true})))
    const inNs = await Promise.all(asked.map(a => findAddress(s.ctx, NS, a, {snapshot: true})))
    expect(host.map(at => at && `${at.link.ifname} ${at.addr.local}/${at.addr.prefixlen}`)).to.deep.equal([
      'eth0 10.0.0.1/24',
      'eth0 10.0.0.2/24',
      undefined,
      'eth0 10.0.0.1/24',
    ])
    expect(inNs).to.deep.equal([undefined, undefined, undefined, undefined])
    expect(s.runs).to.deep.equal(['ip -j addr show', 'nsenter --net=/proc/42/ns/net ip -j addr show'])
    // links are another list of the same namespace
    expect((await findLink(s.ctx, undefined, 'eth0', {snapshot: true}))?.ifname).to.equal('eth0')
    expect(s.runs).to.have.length(3)
  })

  it("an action's read is its own; a change through ip() drops the command's lists", async () => {
    const s = scripted()
    expect(await findAddress(s.ctx, undefined, '10.0.0.9', {snapshot: true})).to.equal(undefined)
    s.set({host: [link('eth0', ['10.0.0.9/24'])], ns: []}) // someone else added it meanwhile
    // the same command's status: its one picture
    expect(await findAddress(s.ctx, undefined, '10.0.0.9', {snapshot: true})).to.equal(undefined)
    // an action looks for itself
    expect((await findAddress(s.ctx, undefined, '10.0.0.9'))?.addr.local).to.equal('10.0.0.9')
    expect(s.runs).to.deep.equal(['ip -j addr show', 'ip -j addr show'])
    await ip(s.ctx, undefined, ['addr', 'add', '10.0.0.8/24', 'dev', 'eth0'])
    s.set({host: [link('eth0', ['10.0.0.8/24', '10.0.0.9/24'])], ns: []})
    expect((await findAddress(s.ctx, undefined, '10.0.0.8', {snapshot: true}))?.addr.local).to.equal('10.0.0.8')
    expect(s.runs).to.deep.equal([
      'ip -j addr show',
      'ip -j addr show',
      'ip addr add 10.0.0.8/24 dev eth0',
      'ip -j addr show',
    ])
  })

  it('a failed read is shared while pending, not kept: the next ask reads again', async () => {
    const s = scripted()
    s.fail(true)
    const failed = await Promise.all(
      [1, 2, 3].map(() =>
        listAddresses(s.ctx, undefined, {snapshot: true}).then(
          () => 'answered',
          (e: Error) => e.message,
        ),
      ),
    )
    expect(failed).to.deep.equal(Array(3).fill('ip -j addr show: exit code 1'))
    expect(s.runs).to.have.length(1)
    s.fail(false)
    expect(await listAddresses(s.ctx, undefined, {snapshot: true})).to.have.length(1)
    expect(s.runs).to.have.length(2)
  })
})
