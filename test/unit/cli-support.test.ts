import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {spawn} from 'node:child_process'
import {expect} from 'chai'
import {moveLeadingServiceFlag} from '../../src/cli/argv.js'
import {parseKwAssignment} from '../../src/cli/base.js'
import {lockFile, acquireServiceLock} from '../../src/executor/lock.js'
import {aggregateStatus} from '../../src/status/aggregate.js'
import {LockError} from '../../src/errors.js'

describe('argv: the service may come first', () => {
  it('moves leading -s/--service after the command words', () => {
    expect(moveLeadingServiceFlag(['-s', 'svc2', 'print', 'config'])).to.deep.equal(['print', 'config', '-s', 'svc2'])
    expect(moveLeadingServiceFlag(['--service=svc2', 'start', '--rid', 'container#1'])).to.deep.equal([
      'start',
      '--rid',
      'container#1',
      '--service=svc2',
    ])
    expect(moveLeadingServiceFlag(['-s', 'svc2', 'docker', '--', 'ps', '-s'])).to.deep.equal([
      'docker',
      '-s',
      'svc2',
      '--',
      'ps',
      '-s',
    ])
    expect(moveLeadingServiceFlag(['-s', 'svc2', 'docker', 'ps', '-s'])).to.deep.equal([
      'docker',
      '-s',
      'svc2',
      'ps',
      '-s',
    ])
    expect(moveLeadingServiceFlag(['-s', 'svc2', 'print', 'config', '--', 'x'])).to.deep.equal([
      'print',
      'config',
      '-s',
      'svc2',
      '--',
      'x',
    ])
    expect(moveLeadingServiceFlag(['start', '-s', 'svc2'])).to.deep.equal(['start', '-s', 'svc2'])
  })

  it('parses --kw section.keyword=value, sections with dots included', () => {
    expect(parseKwAssignment('container#3.image=redis:3.0', true)).to.deep.equal({
      section: 'container#3',
      keyword: 'image',
      value: 'redis:3.0',
    })
    expect(parseKwAssignment('subset#container.docker:01app.parallel=true', true)).to.deep.equal({
      section: 'subset#container.docker:01app',
      keyword: 'parallel',
      value: 'true',
    })
    expect(parseKwAssignment('nodes=a b', true)).to.deep.equal({section: 'DEFAULT', keyword: 'nodes', value: 'a b'})
    expect(() => parseKwAssignment('container#3.image', true)).to.throw(/--kw: expected/)
  })
})

describe('status aggregation', () => {
  it('up+down is warn, n/a is neutral, standby counts as its value', () => {
    expect(aggregateStatus(['up', 'up'])).to.equal('up')
    expect(aggregateStatus(['up', 'down'])).to.equal('warn')
    expect(aggregateStatus(['up', 'n/a'])).to.equal('up')
    expect(aggregateStatus(['n/a'])).to.equal('n/a')
    expect(aggregateStatus(['stdby up', 'up'])).to.equal('up')
    expect(aggregateStatus(['down', 'stdby down'])).to.equal('down')
    expect(aggregateStatus(['up', 'warn'])).to.equal('warn')
  })

  it('an unknown state (warn) is never aggregated into down', () => {
    expect(aggregateStatus(['warn', 'warn', 'warn'])).to.equal('warn')
    expect(aggregateStatus(['down', 'warn', 'down'])).to.equal('warn')
    expect(aggregateStatus(['stdby down', 'warn', 'n/a'])).to.equal('warn')
  })
})

describe('service lock', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-lock-'))
  after(() => fs.rmSync(dir, {recursive: true, force: true}))

  it('refuses a second holder after --waitlock, naming the holder', async () => {
    const lock = await acquireServiceLock(dir, 's', 'start', 0)
    try {
      const t = Date.now()
      let error: unknown
      await acquireServiceLock(dir, 's', 'stop', 300).catch(e => (error = e))
      expect(error).to.be.instanceOf(LockError)
      expect((error as Error).message).to.match(new RegExp(`locked by pid ${process.pid} \\(start`))
      expect(Date.now() - t).to.be.at.least(250)
    } finally {
      lock.release()
    }
  })

  it('recovers a lock left by a killed process', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'])
    await new Promise(r => child.once('spawn', r))
    fs.writeFileSync(lockFile(dir), JSON.stringify({pid: child.pid, starttime: '1', action: 'start', since: 'then'}))
    child.kill('SIGKILL')
    await new Promise(r => child.once('exit', r))
    const lock = await acquireServiceLock(dir, 's', 'start', 0)
    lock.release()
    expect(fs.existsSync(lockFile(dir))).to.equal(false)
  })
})
