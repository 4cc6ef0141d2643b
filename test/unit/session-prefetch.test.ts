/** Session.prefetch: each driver with `prefetch` gets its sections of the stored config, raw, before the compile; nothing it does can fail the pass. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import type {Interfaces} from '@oclif/core'
import type {Driver, PrefetchRequest} from '../../src/drivers/api.js'
import {DriverRegistry} from '../../src/drivers/registry.js'
import {parseDocument} from '../../src/config/document.js'
import {PREFETCH_SEND_WAIT_MS, Session} from '../../src/services/session.js'
import {realRegistration} from './fixtures/fake-drivers.js'

const CONFIG = [
  '[DEFAULT]\nnodes = deb1\n',
  '[subset#container.docker:01par]\nparallel = true\n',
  '[container#1]\ntype = docker\nimage = redis\nsubset = 01par\n',
  '[container#2]\ntype = docker\nimage = nginx\n',
  '[ip#1]\ntype = netns\nnetns = container#1\nipdev = eth0\nipname = 203.0.113.10\nnetmask = 24\n',
].join('\n')

describe('session: the drivers prefetch before a read-only pass compiles', () => {
  let root: string
  let session: Session
  let requests: PrefetchRequest[]
  let behaviour: (r: PrefetchRequest) => Promise<void> | void
  const saved = process.env.SVCMGR_ROOT

  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-prefetch-'))
    process.env.SVCMGR_ROOT = root
    session = await Session.open({} as Interfaces.Config)
    requests = []
    behaviour = () => undefined
    const real = realRegistration().registration
    // the docker driver prefetches (recorded here); the ip driver has no prefetch
    const drivers = real.drivers.map(d =>
      d.group === 'container' && d.type === 'docker'
        ? ({
            ...d,
            prefetch: (r: PrefetchRequest) => {
              requests.push(r)
              return behaviour(r)
            },
          } as Driver)
        : ({...d, prefetch: undefined} as Driver),
    )
    const registry = new DriverRegistry()
    registry.add('real', {...real, drivers})
    session.registry = () => Promise.resolve(registry)
    session.store.write('web', parseDocument(CONFIG, 'web', 'web'))
  })
  afterEach(() => {
    if (saved === undefined) delete process.env.SVCMGR_ROOT
    else process.env.SVCMGR_ROOT = saved
    fs.rmSync(root, {recursive: true, force: true})
  })

  it("gives the docker driver its two sections and DEFAULT, raw, and the pass's cache; the load then reads nothing again", async () => {
    const reads: string[] = []
    const read = session.store.read.bind(session.store)
    session.store.read = name => {
      reads.push(name)
      return read(name)
    }
    const cache = await session.prefetch('web')
    expect(requests).to.have.length(1)
    const r = requests[0]
    expect(r.service).to.deep.equal({name: 'web', varDir: session.store.varDir('web')})
    expect(r.defaults).to.deep.equal({nodes: 'deb1'})
    expect(r.sections).to.deep.equal([
      {rid: 'container#1', group: 'container', index: '1', kw: {type: 'docker', image: 'redis', subset: '01par'}},
      {rid: 'container#2', group: 'container', index: '2', kw: {type: 'docker', image: 'nginx'}},
    ])
    expect(r.cache).to.equal(cache)
    await session.loadLenient('web')
    expect(reads, 'the stored config read once').to.deep.equal(['web'])
  })

  it('a missing service, a driver that throws, a request never sent: the pass goes on', async () => {
    expect((await session.prefetch('absent')).size).to.equal(0)
    expect(requests).to.have.length(0)
    behaviour = () => {
      throw new Error('boom')
    }
    expect(await session.prefetch('web')).to.be.instanceOf(Map)
    // never sent: not waited for beyond PREFETCH_SEND_WAIT_MS (else this test would not end)
    behaviour = () => new Promise(() => undefined)
    expect(await session.prefetch('web')).to.be.instanceOf(Map)
    expect(requests).to.have.length(2)
    expect(PREFETCH_SEND_WAIT_MS).to.be.within(1, 1000)
  })
})
