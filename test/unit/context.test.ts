import {expect} from 'chai'
import {createDriverContext} from '../../src/drivers/context.js'
import type {Service, ServiceResource} from '../../src/model/service.js'
import {CommandError} from '../../src/errors.js'

describe('driver context: ctx.run', () => {
  const service = {name: 's', nodename: 'n', resource: () => undefined} as unknown as Service
  const ctx = createDriverContext(
    {
      service,
      settings: {root: '/', nodename: 'n'},
      sink: {emit() {}},
      signal: new AbortController().signal,
      cache: new Map(),
    },
    {rid: 'app#1'} as ServiceResource,
  )

  it('ends the wait at the timeout even when a background process keeps the output pipes open', async function () {
    this.timeout(20_000)
    const started = Date.now()
    let error: unknown
    await ctx.run('sh', ['-c', 'sleep 60 & echo started; sleep 60'], {timeout: 500}).catch(e => (error = e))
    expect(error).to.be.instanceOf(CommandError)
    expect((error as Error).message).to.match(/timed out after 0.5s/)
    // the command and its background child would hold the pipes for 60 s
    expect(Date.now() - started).to.be.below(15_000)
  })

  it("a timeout past Node's longest timer (2^31-1 ms, a bounded duration plus a margin) is kept, not fired at once", async () => {
    expect((await ctx.run('sh', ['-c', 'sleep 0.3; echo finished'], {timeout: 2 ** 31 - 1 + 10_000})).stdout).to.equal(
      'finished',
    )
  })

  it('runs in cwd, as uid/gid, and reports a failing exit code with its stderr', async () => {
    expect((await ctx.run('pwd', [], {cwd: '/tmp'})).stdout).to.equal('/tmp')
    expect((await ctx.run('id', ['-u'], {uid: 65534, gid: 65534})).stdout).to.equal('65534')
    let error: unknown
    await ctx.run('sh', ['-c', 'echo boom >&2; exit 3']).catch(e => (error = e))
    expect((error as Error).message).to.equal("sh -c 'echo boom >&2; exit 3': exit code 3: boom")
  })
})

describe('driver context: its members', () => {
  const service = {name: 's', nodename: 'n', resource: () => undefined} as unknown as Service
  const base = {service, settings: {root: '/', nodename: 'n'}, sink: {emit() {}}, cache: new Map()}
  const resource = {rid: 'app#1'} as ServiceResource

  it('a fixed signal is a plain value; every member is a data property a spread copies', () => {
    const signal = new AbortController().signal
    const ctx = createDriverContext({...base, signal}, resource)
    expect(ctx.signal).to.equal(signal)
    const copy = {...ctx}
    for (const key of Object.keys(ctx)) {
      expect(Object.getOwnPropertyDescriptor(ctx, key)!.get, key).to.equal(undefined)
      expect(copy[key as keyof typeof copy], key).to.equal(ctx[key as keyof typeof ctx])
    }
    for (const key of ['log', 'host', 'probes', 'run', 'waitFor', 'peer', 'provider', 'observeFromStatus'])
      expect(copy, key).to.have.property(key)
  })

  it("a shared signal that changes (the executor's, for the rollback) is read at each use; a spread copies the one of that moment", () => {
    let current = new AbortController().signal
    const first = current
    const ctx = createDriverContext(
      {
        ...base,
        get signal() {
          return current
        },
      },
      resource,
    )
    const before = {...ctx}
    current = new AbortController().signal
    expect(ctx.signal).to.equal(current)
    expect(before.signal).to.equal(first)
    expect(Object.keys(ctx)).to.include('signal')
  })
})
