// The app drivers through svcmgr's driver test harness (svcmgr/testing): manifests and dry-run
// descriptions, then real commands run in a temp folder (files written, processes held).
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {createDriverHarness, testHostKit} from 'svcmgr/testing'
import {registration} from '../../src/hooks/drivers.js'

const plugins = [{plugin: 'svcmgr-plugin-app', registration}]

const alive = (pid: number) => testHostKit().pidAlive(pid)

async function until(what: string, probe: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise(r => setTimeout(r, 50))
  }
}

describe('svcmgr-plugin-app', function () {
  this.timeout(30_000)
  let dir: string
  const held: number[] = []

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'svcmgr-app-'))
  })

  afterEach(() => {
    for (const pid of held.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    rmSync(dir, {recursive: true, force: true})
  })

  /** A daemon-like script: forks a sleeper that writes its pid, detached from the script's output. */
  function writeScripts(): {start: string; check: string; stop: string} {
    const start = path.join(dir, 'start.sh')
    const check = path.join(dir, 'check.sh')
    const stop = path.join(dir, 'stop.sh')
    writeFileSync(start, `#!/bin/sh\necho started >> "$1/events"\nsleep 300 >/dev/null 2>&1 &\necho $! > "$1/pid"\n`)
    writeFileSync(
      check,
      `#!/bin/sh\n[ -f "$1/pid" ] || exit 1\nkill -0 "$(cat "$1/pid")" 2>/dev/null || exit 1\nexit 0\n`,
    )
    writeFileSync(stop, `#!/bin/sh\nkill "$(cat "$1/pid")" && rm -f "$1/pid"\necho stopped >> "$1/events"\n`)
    for (const f of [start, check, stop]) chmodSync(f, 0o755)
    return {start, check, stop}
  }

  it('registers app.forking (the default type of [app#N]) and app.simple', () => {
    const h = createDriverHarness({
      root: dir,
      registrations: plugins,
      config: {'app#1': {start: '/bin/true'}, 'app#2': {type: 'simple', start: 'sleep 1'}},
    })
    expect(h.service.resource('app#1')!.type).to.equal('forking')
    expect(h.service.resource('app#2')!.type).to.equal('simple')
    expect(h.service.resource('app#1')!.kw.start).to.deep.equal(['/bin/true'])
  })

  it('rejects a bad keyword value with its section and keyword', () => {
    const make = (kw: object) => () =>
      createDriverHarness({root: dir, registrations: plugins, config: {'app#1': {start: '/bin/true', ...kw}}})
    expect(make({cwd: 'relative'})).to.throw('app#1.cwd: expected an absolute path')
    expect(make({start_timeout: 'soon'})).to.throw('app#1.start_timeout: expected a duration')
    expect(make({environment: 'A=1 oops'})).to.throw('app#1.environment: expected KEY=VALUE words')
    expect(make({limit_nofile: 'many'})).to.throw('app#1.limit_nofile: expected an integer')
    expect(make({bogus: 'x'})).to.throw('app#1.bogus: unknown keyword')
  })

  it('describes the argument vectors it will run (dry run), wrappers included', () => {
    const h = createDriverHarness({
      root: dir,
      registrations: plugins,
      config: {
        'app#1': {
          start: '/opt/app/bin/app start --fg "a b"',
          check: '/opt/app/bin/app status',
          user: 'www',
          cwd: '/opt/app',
          limit_nofile: '4096',
          environment: 'LANG=C',
        },
      },
    })
    const r = h.service.resource('app#1')!
    const lines = r.driver.describe('start', r, h.service)
    expect(lines).to.deep.equal([
      "check: LANG=C prlimit --nofile=4096 -- setpriv --reuid=www '--regid=<www'\\''s group>' --init-groups -- env -C /opt/app -- /opt/app/bin/app status (skip start when up)",
      "LANG=C prlimit --nofile=4096 -- setpriv --reuid=www '--regid=<www'\\''s group>' --init-groups -- env -C /opt/app -- /opt/app/bin/app start --fg 'a b'",
    ])
  })

  it('forking: start runs the command, check says up, start again is "unchanged", stop ends the process', async () => {
    const s = writeScripts()
    const h = createDriverHarness({
      root: dir,
      registrations: plugins,
      config: {'app#1': {start: `${s.start} ${dir}`, check: `${s.check} ${dir}`, stop: `${s.stop} ${dir}`}},
    })
    expect((await h.status('app#1')).status).to.equal('down')
    const first = await h.act('app#1', 'start')
    expect(first.change).to.equal('changed')
    expect(first.undo.map(u => u.description)).to.deep.equal([`${s.stop} ${dir}`])
    const pid = Number(readFileSync(path.join(dir, 'pid'), 'utf8'))
    held.push(pid)
    expect(alive(pid)).to.equal(true)
    expect((await h.status('app#1')).status).to.equal('up')
    expect((await h.act('app#1', 'start')).change).to.equal('unchanged')
    expect(readFileSync(path.join(dir, 'events'), 'utf8')).to.equal('started\n')
    expect((await h.act('app#1', 'stop')).change).to.equal('changed')
    await until('the sleeper to exit', () => !alive(pid))
    expect((await h.status('app#1')).status).to.equal('down')
    expect((await h.act('app#1', 'stop')).change).to.equal('unchanged')
    expect(readFileSync(path.join(dir, 'events'), 'utf8')).to.equal('started\nstopped\n')
  })

  it('check: exit 2 is warn with its output in the status log; no check is n/a', async () => {
    const h = createDriverHarness({
      root: dir,
      registrations: plugins,
      config: {
        'app#1': {check: '/bin/sh -c "echo disk almost full; exit 2"'},
        'app#2': {start: '/bin/true', info: '/bin/echo "version: 1.2"'},
      },
    })
    const warn = await h.status('app#1')
    expect(warn.status).to.equal('warn')
    expect(warn.log).to.deep.equal([{level: 'warn', message: 'check exited with code 2: disk almost full'}])
    const na = await h.status('app#2')
    expect(na.status).to.equal('n/a')
    expect(na.log).to.deep.equal([
      {level: 'info', message: 'no check command'},
      {level: 'info', message: 'version: 1.2'},
    ])
  })

  it('runs commands in cwd (default: the service var folder) with environment and limits, no shell', async () => {
    const out = path.join(dir, 'out')
    const h = createDriverHarness({
      root: dir,
      registrations: plugins,
      config: {
        'app#1': {
          start: `/bin/sh -c 'pwd > ${out}; echo "$GREETING" >> ${out}; ulimit -n >> ${out}'`,
          environment: '"GREETING=hello world"',
          limit_nofile: '123',
        },
        // a word with shell syntax stays one argument: no shell interprets it
        'app#2': {start: `/usr/bin/touch ${path.join(dir, '$(id)')}`},
      },
    })
    await h.act('app#1', 'start')
    expect(readFileSync(out, 'utf8')).to.equal(`${h.service.varDir}\nhello world\n123\n`)
    await h.act('app#2', 'start')
    expect(existsSync(path.join(dir, '$(id)'))).to.equal(true)
  })

  it('runs commands as `user` when svcmgr runs as root', async function () {
    if (process.getuid?.() !== 0) this.skip()
    let nobody: string
    try {
      nobody = execFileSync('getent', ['passwd', 'nobody'], {encoding: 'utf8'})
    } catch {
      return this.skip()
    }
    const uid = nobody.split(':')[2]
    chmodSync(dir, 0o777)
    const out = path.join(dir, 'id')
    const h = createDriverHarness({
      root: dir,
      registrations: plugins,
      config: {'app#1': {start: `/bin/sh -c 'id -u > ${out}; echo $HOME >> ${out}'`, user: 'nobody', cwd: dir}},
    })
    await h.act('app#1', 'start')
    expect(readFileSync(out, 'utf8').split('\n')[0]).to.equal(uid)
    const bad = createDriverHarness({
      root: dir,
      registrations: plugins,
      config: {'app#1': {start: '/bin/true', user: 'no_such_user_x'}},
    })
    let error: Error | undefined
    await bad.act('app#1', 'start').catch(e => (error = e))
    expect(error?.message).to.match(/user: no user "no_such_user_x"/)
  })

  it('a start that leaves a process holding its output fails at start_timeout, naming the cause', async () => {
    const h = createDriverHarness({
      root: dir,
      registrations: plugins,
      config: {'app#1': {start: `/bin/sh -c 'sleep 5 & echo $! > ${dir}/pid'`, start_timeout: '1s'}},
    })
    const t0 = Date.now()
    let error: Error | undefined
    await h.act('app#1', 'start').catch(e => (error = e))
    const daemon = Number(readFileSync(path.join(dir, 'pid'), 'utf8'))
    held.push(daemon)
    expect(error?.message).to.match(/the command ended \(exit code 0\), but a process it started held its output open/)
    expect(Date.now() - t0).to.be.below(4500)
    // ended with the command's process group: the failed start leaves nothing running
    let alive = true
    for (let i = 0; i < 60 && alive; i++) {
      const stat = (() => {
        try {
          return readFileSync(`/proc/${daemon}/stat`, 'utf8')
        } catch {
          return undefined
        }
      })()
      alive = stat !== undefined && stat[stat.lastIndexOf(')') + 2] !== 'Z'
      if (alive) await new Promise(r => setTimeout(r, 50))
    }
    expect(alive, `pid ${daemon} (sleep 5) still runs`).to.equal(false)
  })

  it('simple: runs the command detached, keeps its pid, stop signals its process group', async () => {
    const h = createDriverHarness({
      root: dir,
      registrations: plugins,
      config: {'app#1': {type: 'simple', start: '/bin/sh -c "echo up; exec sleep 300"'}},
    })
    expect((await h.status('app#1')).status).to.equal('down')
    expect((await h.act('app#1', 'start')).change).to.equal('changed')
    const pid = Number(readFileSync(path.join(h.service.varDir, 'app', '1.pid'), 'utf8').split(' ')[0])
    held.push(pid)
    expect(alive(pid)).to.equal(true)
    expect((await h.status('app#1')).status).to.equal('up')
    expect((await h.act('app#1', 'start')).change).to.equal('unchanged')
    expect((await h.act('app#1', 'stop')).change).to.equal('changed')
    expect(alive(pid)).to.equal(false)
    expect((await h.status('app#1')).status).to.equal('down')
    expect(readFileSync(path.join(h.service.varDir, 'app', '1.log'), 'utf8')).to.equal('up\n')
  })

  it('simple under umask 000: the app folder is 0700, pid and output files 0600; a link planted at the output is refused, one at the pid file replaced', async () => {
    const umask = process.umask(0)
    try {
      const config = {'app#1': {type: 'simple', start: '/bin/sh -c "echo up; exec sleep 300"'}}
      const h = createDriverHarness({root: dir, registrations: plugins, config})
      const appDir = path.join(h.service.varDir, 'app')
      const victim = path.join(dir, 'victim')
      writeFileSync(victim, 'precious\n')
      // a link at the output path: the start is refused and the link's target untouched
      mkdirSync(appDir, {recursive: true, mode: 0o700})
      symlinkSync(victim, path.join(appDir, '1.log'))
      const refused = await h.act('app#1', 'start').then(
        () => undefined,
        (e: Error) => e,
      )
      expect(refused?.message).to.equal(
        `${path.join(appDir, '1.log')} is a symbolic link: svcmgr does not write through links in its state root (remove it)`,
      )
      // made by the driver itself under umask 000: 0700 folders, 0600 files
      rmSync(h.service.varDir, {recursive: true})
      const fresh = createDriverHarness({root: dir, registrations: plugins, config})
      expect((await fresh.act('app#1', 'start')).change).to.equal('changed')
      const pid = Number(readFileSync(path.join(appDir, '1.pid'), 'utf8').split(' ')[0])
      held.push(pid)
      const mode = (p: string) => (statSync(p).mode & 0o777).toString(8)
      expect([
        mode(h.service.varDir),
        mode(appDir),
        mode(path.join(appDir, '1.pid')),
        mode(path.join(appDir, '1.log')),
      ]).to.deep.equal(['700', '700', '600', '600'])
      await fresh.act('app#1', 'stop')
      // a link at the pid path: replaced by the new pid file, its target untouched
      symlinkSync(victim, path.join(appDir, '1.pid'))
      expect((await fresh.act('app#1', 'start')).change).to.equal('changed')
      held.push(Number(readFileSync(path.join(appDir, '1.pid'), 'utf8').split(' ')[0]))
      expect(lstatSync(path.join(appDir, '1.pid')).isFile()).to.equal(true)
      expect(readFileSync(victim, 'utf8')).to.equal('precious\n')
      expect(mode(path.join(appDir, '1.pid'))).to.equal('600')
      await fresh.act('app#1', 'stop')
    } finally {
      process.umask(umask)
    }
  })

  it('simple: a pid file that cannot be read is unknown: status warn (never down), start and stop fail naming it', async () => {
    const h = createDriverHarness({
      root: dir,
      registrations: plugins,
      config: {'app#1': {type: 'simple', start: '/bin/sh -c "exec sleep 300"'}},
    })
    const pidPath = path.join(h.service.varDir, 'app', '1.pid')
    mkdirSync(pidPath, {recursive: true}) // read() of a folder fails with EISDIR, even as root
    const expected = `cannot read the pid file ${pidPath}: EISDIR: whether app#1 runs is unknown`
    expect(await h.status('app#1')).to.deep.include({status: 'warn', log: [{level: 'warn', message: expected}]})
    for (const action of ['stop', 'start'] as const) {
      const error = await h.act('app#1', action).then(
        () => undefined,
        (e: Error) => e,
      )
      expect(error?.message, action).to.equal(expected)
    }
  })

  it('forking: start_timeout at the duration bound (2^31-1 ms) plus the output grace does not fire at once', async () => {
    const h = createDriverHarness({
      root: dir,
      registrations: plugins,
      config: {'app#1': {start: '/bin/sh -c "sleep 0.3"', start_timeout: '24d20h31m23s647ms'}},
    })
    expect((await h.act('app#1', 'start')).change).to.equal('changed')
  })

  it('simple: a command that dies at once fails the start with its output', async () => {
    const h = createDriverHarness({
      root: dir,
      registrations: plugins,
      config: {'app#1': {type: 'simple', start: '/bin/sh -c "echo no config >&2; exit 3"'}},
    })
    let error: Error | undefined
    await h.act('app#1', 'start').catch(e => (error = e))
    expect(error?.message).to.match(/exited right after start \(3\); its last output:\n {2}no config/)
  })
})
