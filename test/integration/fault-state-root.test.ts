/**
 * The state root under umask 000, with links planted where svcmgr writes: directories are
 * 0700, configs, logs, locks and the frozen flag 0600, and a link at a temporary or final
 * path never makes svcmgr (root) write to the file it points to.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {execa} from 'execa'
import {expect} from 'chai'
import {CliSandbox, inspectContainer, removeServiceContainers, requireEngine, uniqueName} from './support/cli.js'

const BIN = new URL('../../bin/run.js', import.meta.url).pathname

describe('fault: the state root under umask 000 with planted links', function () {
  this.timeout(180_000)
  const svc = uniqueName('root')
  const cli = new CliSandbox('root')
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-victim-'))
  const victim = path.join(outside, 'root-owned')
  const VICTIM_TEXT = 'precious root-owned content\n'
  const mode = (p: string) => fs.lstatSync(p).mode & 0o7777
  // a state root svcmgr creates itself (the sandbox's own folder is made 0700 by mkdtemp)
  const root = path.join(cli.root, 'state')
  const conf = () => path.join(root, 'etc', `${svc}.conf`)
  /** The real CLI through a shell that sets umask 000 and may plant links first (the shell's $$ becomes svcmgr's pid through exec). */
  const umask000 = (args: string[], options: {before?: string; input?: string; background?: boolean} = {}) => {
    const script = `${options.before ?? ''}\numask 000\nexec "${process.execPath}" "${BIN}" "$@"`
    return execa('sh', ['-c', script, 'sh', ...args], {
      env: {...cli.env(), SVCMGR_ROOT: root, CI: 'true', VICTIM: victim, CONF: conf()},
      input: options.input,
      reject: false,
    })
  }

  before(() => {
    requireEngine()
    fs.writeFileSync(victim, VICTIM_TEXT, {mode: 0o644})
  })
  afterEach(() => {
    // every test checks the victim; it must be intact whatever happened
    expect(fs.readFileSync(victim, 'utf8')).to.equal(VICTIM_TEXT)
    expect(mode(victim)).to.equal(0o644)
  })
  after(async () => {
    await removeServiceContainers(svc)
    cli.cleanup()
    fs.rmSync(outside, {recursive: true, force: true})
  })

  it('creates and starts with explicit modes: dirs 0700, config and log 0600', async () => {
    const created = await umask000(['-s', svc, 'create', '--config=-'], {
      input: '[container#1]\ntype = docker\nimage = svcmgr/slowstop\nstop_timeout = 3s\n',
    })
    expect(created.exitCode, created.stderr).to.equal(0)
    const started = await umask000(['-s', svc, 'start'])
    expect(started.exitCode, started.stderr).to.equal(0)
    expect((await inspectContainer(`${svc}.container.1`))?.running).to.equal(true)
    for (const d of ['', 'etc', 'var', `var/${svc}`, 'log'])
      expect(mode(path.join(root, d)), `${d || 'root'} mode`).to.equal(0o700)
    expect(mode(conf())).to.equal(0o600)
    expect(mode(path.join(root, 'log', `${svc}.log`))).to.equal(0o600)
    // no temporary file left behind
    expect(fs.readdirSync(path.join(root, 'etc'))).to.deep.equal([`${svc}.conf`])
  })

  it('the lock of a running action is 0600', async () => {
    const lock = path.join(root, 'var', svc, 'lock')
    const stop = umask000(['-s', svc, 'stop'])
    const deadline = Date.now() + 30_000
    let seen: number | undefined
    while (seen === undefined && Date.now() < deadline) {
      try {
        seen = mode(lock)
      } catch {
        await new Promise(r => setTimeout(r, 20))
      }
    }
    expect(seen, 'the stop never took the lock').to.equal(0o600)
    expect((await stop).exitCode).to.equal(0)
    expect((await inspectContainer(`${svc}.container.1`))?.running).to.equal(false)
  })

  it('a link planted at the temporary path a set used to write is not followed', async () => {
    // the old temporary name was <conf>.<pid>.tmp: the shell's pid is svcmgr's after exec
    const r = await umask000(['-s', svc, 'set', '--kw', 'container#1.stop_timeout=2s'], {
      before: 'ln -s "$VICTIM" "$CONF.$$.tmp"',
    })
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(fs.readFileSync(conf(), 'utf8')).to.include('stop_timeout = 2s')
    expect(mode(conf())).to.equal(0o600)
  })

  it('a link planted at the config path is replaced, not written through', async () => {
    // a link to a file outside the root holding a valid config (svcmgr reads through it; it must not write through it)
    const text = fs.readFileSync(conf(), 'utf8')
    const copy = path.join(outside, 'copy.conf')
    fs.writeFileSync(copy, text)
    fs.rmSync(conf())
    fs.symlinkSync(copy, conf())
    const r = await umask000(['-s', svc, 'set', '--kw', 'container#1.stop_timeout=1s'])
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(fs.lstatSync(conf()).isSymbolicLink()).to.equal(false)
    expect(mode(conf())).to.equal(0o600)
    expect(fs.readFileSync(conf(), 'utf8')).to.include('stop_timeout = 1s')
    expect(fs.readFileSync(copy, 'utf8')).to.equal(text)
  })

  it('a link planted at the frozen flag or the lock is not followed', async () => {
    const flag = path.join(root, 'var', svc, 'frozen')
    fs.symlinkSync(victim, flag)
    const frozen = await umask000(['-s', svc, 'freeze'])
    expect(frozen.exitCode, frozen.stderr).to.equal(0)
    expect(fs.lstatSync(flag).isSymbolicLink()).to.equal(false)
    expect(mode(flag)).to.equal(0o600)
    await cli.ok(['-s', svc, 'thaw'], {env: {SVCMGR_ROOT: root}})
    const lock = path.join(root, 'var', svc, 'lock')
    fs.symlinkSync(victim, lock)
    const r = await umask000(['-s', svc, 'set', '--kw', 'container#1.stop_timeout=3s'])
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(fs.existsSync(lock)).to.equal(false)
  })

  it('a link planted at the log is not appended through', async () => {
    const log = path.join(root, 'log', `${svc}.log`)
    fs.rmSync(log)
    fs.symlinkSync(victim, log)
    await umask000(['-s', svc, 'start'])
    expect(fs.lstatSync(log).isSymbolicLink()).to.equal(true)
  })

  it('tightens a state dir an older version left group/world-writable', async () => {
    fs.chmodSync(path.join(root, 'etc'), 0o777)
    const r = await umask000(['-s', svc, 'set', '--kw', 'container#1.stop_timeout=2s'])
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(mode(path.join(root, 'etc'))).to.equal(0o755)
  })
})
