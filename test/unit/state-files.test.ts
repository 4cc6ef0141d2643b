/** State files: explicit modes whatever the umask, no write through a planted link. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {
  createStateFileExclusive,
  ensureStateDir,
  openStateLogForAppend,
  writeStateFileAtomic,
} from '../../src/config/state-files.js'

describe('state files', () => {
  let dir: string
  let umask: number
  const mode = (p: string) => fs.lstatSync(p).mode & 0o7777
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-statefiles-'))
    umask = process.umask(0)
  })
  afterEach(() => {
    process.umask(umask)
    fs.rmSync(dir, {recursive: true, force: true})
  })

  it('creates every missing directory level 0700 and files 0600 under umask 000', () => {
    writeStateFileAtomic(path.join(dir, 'root', 'etc', 'a.conf'), 'x\n')
    expect(mode(path.join(dir, 'root'))).to.equal(0o700)
    expect(mode(path.join(dir, 'root', 'etc'))).to.equal(0o700)
    expect(mode(path.join(dir, 'root', 'etc', 'a.conf'))).to.equal(0o600)
    const fd = openStateLogForAppend(path.join(dir, 'root', 'log', 'a.log'))
    fs.closeSync(fd)
    expect(mode(path.join(dir, 'root', 'log'))).to.equal(0o700)
    expect(mode(path.join(dir, 'root', 'log', 'a.log'))).to.equal(0o600)
    expect(fs.readdirSync(path.join(dir, 'root', 'etc'))).to.deep.equal(['a.conf'])
  })

  it('never loosens an existing directory, and removes group/other write', () => {
    const d = path.join(dir, 'etc')
    fs.mkdirSync(d, {mode: 0o777})
    ensureStateDir(d)
    expect(mode(d)).to.equal(0o755)
    fs.chmodSync(d, 0o700)
    ensureStateDir(d)
    expect(mode(d)).to.equal(0o700)
  })

  it('never changes the mode of what a linked state dir points to', () => {
    const elsewhere = path.join(dir, 'elsewhere')
    fs.mkdirSync(elsewhere, {mode: 0o777})
    fs.chmodSync(elsewhere, 0o1777)
    fs.symlinkSync(elsewhere, path.join(dir, 'log'))
    ensureStateDir(path.join(dir, 'log'))
    expect(mode(elsewhere)).to.equal(0o1777)
  })

  it('replaces a link at the target instead of writing through it', () => {
    const victim = path.join(dir, 'victim')
    fs.writeFileSync(victim, 'precious\n')
    const target = path.join(dir, 'etc', 'a.conf')
    fs.mkdirSync(path.dirname(target))
    fs.symlinkSync(victim, target)
    writeStateFileAtomic(target, 'new\n')
    expect(fs.readFileSync(victim, 'utf8')).to.equal('precious\n')
    expect(fs.lstatSync(target).isSymbolicLink()).to.equal(false)
    expect(fs.readFileSync(target, 'utf8')).to.equal('new\n')
  })

  it('refuses to open a log or a lock through a planted link', () => {
    const victim = path.join(dir, 'victim')
    fs.writeFileSync(victim, 'precious\n')
    fs.symlinkSync(victim, path.join(dir, 'a.log'))
    fs.symlinkSync(victim, path.join(dir, 'lock'))
    expect(() => openStateLogForAppend(path.join(dir, 'a.log'))).to.throw(/is a symbolic link/)
    expect(() => createStateFileExclusive(path.join(dir, 'lock'))).to.throw(/EEXIST/)
    expect(fs.readFileSync(victim, 'utf8')).to.equal('precious\n')
    expect(mode(victim)).to.equal(0o666)
  })
})
