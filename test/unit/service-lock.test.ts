/** The service lock: stale holders, and config edits sharing it with actions. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {lockFile, acquireServiceLock, lockState} from '../../src/executor/lock.js'
import {LockError} from '../../src/errors.js'

describe('lock state', () => {
  let dir: string
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-lockstate-'))
  })
  afterEach(() => fs.rmSync(dir, {recursive: true, force: true}))

  it('is free without a file, held by a live process, stale for a dead pid', async () => {
    const file = lockFile(dir)
    expect(lockState(file)).to.deep.equal({state: 'free'})
    fs.writeFileSync(
      file,
      JSON.stringify({
        pid: process.pid,
        starttime: fs.readFileSync(`/proc/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ')[19],
        action: 'start',
        since: 'x',
      }),
    )
    expect(lockState(file).state).to.equal('held')
    // a pid that existed and is gone
    const {execa} = await import('execa')
    const child = execa('true')
    await child
    expect(child.pid).to.be.a('number')
    fs.writeFileSync(file, JSON.stringify({pid: child.pid, starttime: '1', action: 'start', since: 'x'}))
    expect(lockState(file)).to.deep.include({state: 'stale'})
    // our pid with another start time: a reused pid is not the holder
    fs.writeFileSync(file, JSON.stringify({pid: process.pid, starttime: '1', action: 'start', since: 'x'}))
    expect(lockState(file).state).to.equal('stale')
  })
})

describe('the service lock shared by actions and config edits', () => {
  let dir: string
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-editlock-'))
  })
  afterEach(() => fs.rmSync(dir, {recursive: true, force: true}))

  it('an edit holding the lock is waited for, even with no --waitlock', async () => {
    const edit = await acquireServiceLock(dir, 's', 'set', {waitMs: 0, edit: true})
    expect(JSON.parse(fs.readFileSync(lockFile(dir), 'utf8'))).to.include({action: 'set', edit: true, pid: process.pid})
    setTimeout(() => edit.release(), 100)
    const next = await acquireServiceLock(dir, 's', 'unset', {waitMs: 0, edit: true, editWaitMs: 60_000})
    expect(JSON.parse(fs.readFileSync(lockFile(dir), 'utf8')).action).to.equal('unset')
    next.release()
    expect(fs.existsSync(lockFile(dir))).to.equal(false)
  })

  it('a lock still being written (created, its owner not yet readable) is waited for, not refused', async () => {
    // what another taker's lock looks like between its O_EXCL create and its write
    fs.writeFileSync(lockFile(dir), '')
    setTimeout(() => fs.rmSync(lockFile(dir), {force: true}), 100)
    const lock = await acquireServiceLock(dir, 's', 'set', {waitMs: 0, edit: true})
    expect(JSON.parse(fs.readFileSync(lockFile(dir), 'utf8')).action).to.equal('set')
    lock.release()
  })

  it('an action holding the lock refuses an edit at once, naming the holder pid and action', async () => {
    const action = await acquireServiceLock(dir, 's', 'start', 0)
    try {
      let error: unknown
      await acquireServiceLock(dir, 's', 'delete', {waitMs: 0, edit: true}).catch(e => (error = e))
      expect(error).to.be.instanceOf(LockError)
      expect((error as Error).message).to.include(`locked by pid ${process.pid} (start`)
    } finally {
      action.release()
    }
  })
})
