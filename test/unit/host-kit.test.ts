// The driver kit's host helpers (src/drivers/host.ts), on real processes, files and devices:
// what every plugin now gets as ctx.host instead of its own copy.
import {spawn, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {apiVersionProblem} from '../../src/drivers/load.js'
import {formatWords} from '../../src/drivers/command-line.js'
import {pidAlive, processStartTime, which} from '../../src/drivers/host.js'
import {testHostKit} from '../../src/testing/harness.js'

const host = testHostKit()
const mode = (p: string) => (fs.statSync(p).mode & 0o777).toString(8)

describe('kit: formatCommandLine (the one quoting)', () => {
  it('leaves plain words bare and single-quotes the rest as a POSIX shell reads them back', () => {
    expect(formatWords(['docker', 'run', '--name=svc2.container.1', 'a b', '', "it's", '$HOME', 'x;y'])).to.equal(
      `docker run --name=svc2.container.1 'a b' '' 'it'\\''s' '$HOME' 'x;y'`,
    )
  })
  it('quotes # only where a shell would start a comment', () => {
    expect(formatWords(['--label', 'com.svcmgr.rid=container#1', '#1'])).to.equal(
      `--label com.svcmgr.rid=container#1 '#1'`,
    )
  })
  it('round-trips through sh for awkward words', () => {
    const words = ['a b', "q'uote", 'tab\there', '#x', 'back\\slash', '*', '~']
    const r = spawnSync('sh', ['-c', `for w in ${formatWords(words)}; do printf '%s\\n' "$w"; done`], {
      encoding: 'utf8',
    })
    expect(r.stdout.split('\n').slice(0, -1)).to.deep.equal(words)
  })
})

describe('kit: which', () => {
  let dir: string
  let PATH: string | undefined
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-which-'))
    PATH = process.env.PATH
  })
  afterEach(() => {
    process.env.PATH = PATH
    fs.rmSync(dir, {recursive: true, force: true})
  })

  it('finds an executable in PATH first; a file without the x bit is not a program', async () => {
    fs.writeFileSync(path.join(dir, 'kit-prog'), '#!/bin/sh\n', {mode: 0o755})
    fs.writeFileSync(path.join(dir, 'kit-data'), 'x', {mode: 0o644})
    process.env.PATH = `${dir}:${PATH ?? ''}`
    expect(await which('kit-prog')).to.equal(path.join(dir, 'kit-prog'))
    expect(await which('kit-data')).to.equal(undefined)
    expect(await which('no-such-program-svcmgr')).to.equal(undefined)
  })

  it('also looks in the sbin folders a non-root PATH misses', async () => {
    process.env.PATH = dir
    const found = await which('blkid')
    expect(found).to.be.oneOf(['/usr/local/sbin/blkid', '/usr/sbin/blkid', '/sbin/blkid'])
  })
})

describe('kit: pidAlive and processStartTime', () => {
  it('this process is alive, with its own start time and not with another', () => {
    const start = processStartTime(process.pid)
    expect(start).to.match(/^\d+$/)
    expect(pidAlive(process.pid)).to.equal(true)
    expect(pidAlive(process.pid, start)).to.equal(true)
    expect(pidAlive(process.pid, String(Number(start) + 1))).to.equal(false)
  })

  it('a process that exited (and was reaped) is not alive; nor are pids that cannot be', async () => {
    const child = spawn('true')
    const pid = child.pid!
    await new Promise(r => child.once('exit', r))
    await new Promise(r => setTimeout(r, 50))
    expect(pidAlive(pid)).to.equal(false)
    expect(pidAlive(0)).to.equal(false)
    expect(pidAlive(-1)).to.equal(false)
    expect(pidAlive(Number.NaN)).to.equal(false)
  })

  it('a zombie is not alive (its parent has not reaped it)', async function () {
    // sh starts a background child and execs a sleep that never waits for it: the child stays a zombie
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], {stdio: ['ignore', 'pipe', 'ignore']})
    try {
      const zombie = Number(
        await new Promise<string>(r => parent.stdout.once('data', (d: Buffer) => r(d.toString().trim()))),
      )
      const deadline = Date.now() + 10_000
      while (!/\) Z /.test(fs.readFileSync(`/proc/${zombie}/stat`, 'utf8')) && Date.now() < deadline)
        await new Promise(r => setTimeout(r, 20))
      expect(fs.readFileSync(`/proc/${zombie}/stat`, 'utf8')).to.match(/\) Z /)
      expect(pidAlive(zombie)).to.equal(false)
      expect(pidAlive(parent.pid!)).to.equal(true)
    } finally {
      parent.kill('SIGKILL')
    }
  })
})

describe('kit: deviceSignature (blkid -p)', () => {
  let dir: string
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-sig-'))))
  afterEach(() => fs.rmSync(dir, {recursive: true, force: true}))

  it('undefined for a blank device, its TYPE once it holds a filesystem', async function () {
    if (!fs.existsSync('/usr/sbin/blkid') && !fs.existsSync('/sbin/blkid')) return this.skip() // blkid not installed
    const image = path.join(dir, 'disk.img')
    fs.writeFileSync(image, Buffer.alloc(8 * 1024 * 1024))
    expect(await host.deviceSignature(image)).to.equal(undefined)
    const mkfs = spawnSync('mkfs.ext4', ['-q', '-F', image])
    if (mkfs.status !== 0) {
      console.log(
        `      skipped the ext4 half: mkfs.ext4 failed (${String(mkfs.stderr).trim() || mkfs.error?.message})`,
      )
    } else {
      expect(await host.deviceSignature(image)).to.equal('ext4')
    }
  })
})

describe('kit: private files under umask 000', () => {
  let dir: string
  let umask: number
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-kitfiles-'))
    umask = process.umask(0)
  })
  afterEach(() => {
    process.umask(umask)
    fs.rmSync(dir, {recursive: true, force: true})
  })

  it('ensurePrivateDir makes every level 0700', () => {
    host.ensurePrivateDir(path.join(dir, 'a', 'b'))
    expect([mode(path.join(dir, 'a')), mode(path.join(dir, 'a', 'b'))]).to.deep.equal(['700', '700'])
  })

  it('writePrivateFile replaces a link planted at the file instead of writing through it, 0600', () => {
    const victim = path.join(dir, 'victim')
    fs.writeFileSync(victim, 'precious\n')
    const file = path.join(dir, 'app', '1.pid')
    host.ensurePrivateDir(path.dirname(file))
    fs.symlinkSync(victim, file)
    host.writePrivateFile(file, '42 1\n')
    expect(fs.lstatSync(file).isSymbolicLink()).to.equal(false)
    expect([fs.readFileSync(file, 'utf8'), mode(file), fs.readFileSync(victim, 'utf8')]).to.deep.equal([
      '42 1\n',
      '600',
      'precious\n',
    ])
  })

  it('openPrivateAppend appends to a 0600 file (a looser one tightened) and refuses a link', () => {
    const log = path.join(dir, 'log', 'out.log')
    fs.writeSync(host.openPrivateAppend(log), 'one\n')
    fs.chmodSync(log, 0o644)
    const fd = host.openPrivateAppend(log)
    fs.writeSync(fd, 'two\n')
    fs.closeSync(fd)
    expect([fs.readFileSync(log, 'utf8'), mode(log)]).to.deep.equal(['one\ntwo\n', '600'])
    const link = path.join(dir, 'log', 'link.log')
    fs.symlinkSync(log, link)
    expect(() => host.openPrivateAppend(link)).to.throw(
      `${link} is a symbolic link: svcmgr does not write through links in its state root (remove it)`,
    )
  })
})

describe('kit: the driver API version a plugin declares', () => {
  it('is checked in one place: the current version (or none, read as 1) loads; another is named', () => {
    expect(apiVersionProblem({apiVersion: 1, drivers: []})).to.equal(undefined)
    expect(apiVersionProblem({drivers: []})).to.equal(undefined)
    expect(apiVersionProblem({apiVersion: 2, drivers: []})).to.equal(
      'it was written for the driver API version 2; this svcmgr speaks version 1: its drivers are not loaded (install a version of the plugin made for this svcmgr)',
    )
  })
})
