// The files a private dockerd gets under the state root (its folders, its output log): 0700
// folders and a 0600 log whatever the umask, and a link planted at the log refused, not followed.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {DaemonError, serviceDaemonSpec, startDaemon} from '../../src/engine/daemon.js'
import {testHostKit} from 'svcmgr/testing'

const HOST = testHostKit()

const mode = (p: string) => (fs.statSync(p).mode & 0o777).toString(8)

describe('private daemon files under umask 000', () => {
  let dir: string
  let umask: number
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-dfiles-'))
    umask = process.umask(0)
  })
  afterEach(() => {
    process.umask(umask)
    fs.rmSync(dir, {recursive: true, force: true})
  })

  it('folders are made 0700 at every level, the log 0600; an older looser log is tightened', async () => {
    HOST.ensurePrivateDir(path.join(dir, 'var', 'svc', 'docker'))
    expect([
      mode(path.join(dir, 'var')),
      mode(path.join(dir, 'var', 'svc')),
      mode(path.join(dir, 'var', 'svc', 'docker')),
    ]).to.deep.equal(['700', '700', '700'])
    const log = path.join(dir, 'var', 'svc', 'docker', 'dockerd.log')
    fs.closeSync(HOST.openPrivateAppend(log))
    expect(mode(log)).to.equal('600')
    fs.chmodSync(log, 0o644)
    fs.closeSync(HOST.openPrivateAppend(log))
    expect(mode(log)).to.equal('600')
  })

  it('startDaemon refuses a link planted at its log before spawning anything; the target is untouched', async () => {
    const spec = serviceDaemonSpec({
      name: 'svc',
      kw: {docker_daemon_private: true},
      varDir: path.join(dir, 'var', 'svc'),
    })!
    const victim = path.join(dir, 'victim')
    fs.writeFileSync(victim, 'precious\n')
    fs.mkdirSync(path.dirname(spec.logFile), {recursive: true, mode: 0o700})
    fs.symlinkSync(victim, spec.logFile)
    // a stand-in dockerd first in PATH (it only exits): should this check ever regress, no real engine starts from a unit test
    const bin = path.join(dir, 'bin')
    fs.mkdirSync(bin)
    fs.writeFileSync(path.join(bin, 'dockerd'), '#!/bin/sh\nexit 1\n', {mode: 0o755})
    const PATH = process.env.PATH
    process.env.PATH = `${bin}:${PATH ?? ''}`
    try {
      const error = await startDaemon(HOST, spec, {timeoutMs: 5000}).then(
        () => undefined,
        (e: Error) => e,
      )
      expect(error).to.be.instanceOf(DaemonError)
      expect(error?.message).to.equal(
        `docker daemon of service svc: ${spec.logFile} is a symbolic link: svcmgr does not write through links in its state root (remove it)`,
      )
    } finally {
      process.env.PATH = PATH
    }
    expect(fs.readFileSync(victim, 'utf8')).to.equal('precious\n')
    expect([mode(spec.dataRoot), mode(spec.execRoot), mode(path.dirname(spec.socket))]).to.deep.equal([
      '700',
      '700',
      '700',
    ])
  })
})
