/** Session.readAhead: the lean path's reading of a stored config is the command's load, once; every later load reads the file. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import type {Interfaces} from '@oclif/core'
import {parseDocument} from '../../src/config/document.js'
import {Session} from '../../src/services/session.js'
import {fixture, realRegistry} from './fixtures/services.js'

describe('session: a stored config read ahead', () => {
  let root: string
  let session: Session
  let reads: string[]
  const saved = process.env.SVCMGR_ROOT

  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-read-ahead-'))
    process.env.SVCMGR_ROOT = root
    session = await Session.open({} as Interfaces.Config)
    const registry = realRegistry()
    session.registry = () => Promise.resolve(registry)
    for (const name of ['svc2', 'other']) session.store.write(name, parseDocument(fixture('svc2.json'), name, name))
    reads = []
    const read = session.store.read.bind(session.store)
    session.store.read = name => {
      reads.push(name)
      return read(name)
    }
  })
  afterEach(() => {
    if (saved === undefined) delete process.env.SVCMGR_ROOT
    else process.env.SVCMGR_ROOT = saved
    fs.rmSync(root, {recursive: true, force: true})
  })

  it('the next load of that service uses the reading: the file is read once', async () => {
    const doc = session.readAhead('svc2')
    const {doc: loaded, service} = await session.load('svc2')
    expect(loaded).to.equal(doc)
    expect(service.resources.map(r => r.rid)).to.include('container#1')
    expect(reads).to.deep.equal(['svc2'])
  })

  it('only once: a later load reads the file as it is then (an edit in between shows)', async () => {
    session.readAhead('svc2')
    await session.load('svc2')
    session.store.write('svc2', parseDocument('[container#9]\ntype = docker\nimage = redis\n', 'svc2', 'svc2'))
    const {service} = await session.loadLenient('svc2')
    expect(service.resources.map(r => r.rid)).to.deep.equal(['container#9'])
    expect(reads).to.deep.equal(['svc2', 'svc2'])
  })

  it("a load of another service reads that one's file, and the reading ahead is dropped", async () => {
    session.readAhead('svc2')
    expect((await session.load('other')).service.name).to.equal('other')
    await session.loadLenient('svc2')
    expect(reads).to.deep.equal(['svc2', 'other', 'svc2'])
  })

  it('the lenient load takes it too (print status, stop)', async () => {
    const doc = session.readAhead('svc2')
    expect((await session.loadLenient('svc2')).doc).to.equal(doc)
    expect(reads).to.deep.equal(['svc2'])
  })
})
