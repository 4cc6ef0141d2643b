/**
 * Locks: a lock left by a dead process reads as stale everywhere (status shows nothing in
 * progress, edits and delete proceed and clean it); config edits during a live action are
 * refused naming the holder, or wait with --waitlock, and leave no orphan container.
 */
import fs from 'node:fs'
import path from 'node:path'
import {execa} from 'execa'
import {expect} from 'chai'
import {CliSandbox, docker, inspectContainer, uniqueName, useStartedService} from './support/cli.js'

const BIN = new URL('../../bin/run.js', import.meta.url).pathname

describe('fault: stale locks and edits during an action', function () {
  this.timeout(180_000)
  const svc = uniqueName('stale')
  const cli = new CliSandbox('stale')
  const lockFile = () => path.join(cli.root, 'var', svc, 'lock')
  const configFile = () => path.join(cli.root, 'etc', `${svc}.conf`)
  // container#1 ignores TERM: its stop holds the lock for stop_timeout
  const config =
    '[container#1]\ntype = docker\nimage = svcmgr/slowstop\nstop_timeout = 5s\n\n[container#2]\ntype = docker\nimage = google/pause\n'
  const spawnAction = (action: string) =>
    execa(process.execPath, [BIN, '-s', svc, action], {env: {...cli.env(), CI: 'true'}, reject: false})
  const waitForLock = async () => {
    const deadline = Date.now() + 20_000
    while (!fs.existsSync(lockFile())) {
      if (Date.now() > deadline) throw new Error('the action never took the lock')
      await new Promise(r => setTimeout(r, 20))
    }
  }
  const deadPid = async () => {
    const child = execa('true')
    await child
    return child.pid!
  }
  const plantStaleLock = async (action = 'start') => {
    const pid = await deadPid()
    fs.writeFileSync(lockFile(), JSON.stringify({pid, starttime: '12345', action, since: '2026-01-01T00:00:00.000Z'}))
    return pid
  }
  /** The rids of every container the engine holds for this service, and the config's sections. */
  const orphans = async () => {
    const rids = (
      await docker([
        'ps',
        '-a',
        '--filter',
        `label=com.svcmgr.service=${svc}`,
        '--format',
        '{{.Label "com.svcmgr.rid"}}',
      ])
    )
      .split('\n')
      .filter(Boolean)
    const sections = Object.keys(JSON.parse((await cli.ok(['-s', svc, 'print', 'config', '--format', 'json'])).stdout))
    return rids.filter(r => !sections.includes(r))
  }

  useStartedService(cli, svc, config)

  it("status reads a dead holder's lock as stale: nothing in progress, a warning naming the pid", async () => {
    const pid = await plantStaleLock()
    const json = await cli.run(['-s', svc, 'print', 'status', '--format', 'json'])
    expect(json.exitCode).to.equal(0)
    expect(JSON.parse(json.stdout).running).to.equal(undefined)
    expect(json.stderr).to.include(`stale lock`)
    expect(json.stderr).to.include(`dead pid ${pid} (start`)
    const text = await cli.ok(['-s', svc, 'print', 'status'])
    expect(text.stdout).not.to.include('in progress')
    expect(text.stdout).to.match(/idle/)
  })

  it('an edit proceeds over a stale lock and cleans it', async () => {
    await plantStaleLock()
    await cli.ok(['-s', svc, 'set', '--kw', 'container#2.tags=fresh'])
    expect(fs.readFileSync(configFile(), 'utf8')).to.include('tags = fresh')
    expect(fs.existsSync(lockFile())).to.equal(false)
  })

  it('edits during a live action are refused naming the holder; nothing changes, no orphan', async () => {
    const restart = spawnAction('restart')
    await waitForLock()
    const before = fs.readFileSync(configFile())
    for (const args of [
      ['delete', '--rid', 'container#2'],
      ['set', '--kw', 'container#2.tags=during'],
      ['unset', '--kw', 'container#2.tags'],
      ['delete'],
    ]) {
      const r = await cli.run(['-s', svc, ...args])
      expect(r.exitCode, args.join(' ')).to.equal(1)
      expect(r.stderr).to.include(`is locked by pid ${restart.pid} (restart`)
    }
    expect(fs.readFileSync(configFile()).equals(before), 'the config changed during the action').to.equal(true)
    const done = await restart
    expect(done.exitCode, String(done.stderr)).to.equal(0)
    expect((await inspectContainer(`${svc}.container.2`))?.running).to.equal(true)
    expect(await orphans()).to.deep.equal([])
  })

  it('an edit with --waitlock waits for the action, then lands', async () => {
    const restart = spawnAction('restart')
    await waitForLock()
    // started while the restart holds the lock (without --waitlock it is refused: above)
    const [set, done] = await Promise.all([
      cli.run(['-s', svc, 'set', '--waitlock', '60s', '--kw', 'container#2.tags=after']),
      restart,
    ])
    expect(set.exitCode, set.stderr).to.equal(0)
    expect(done.exitCode, String(done.stderr)).to.equal(0)
    expect(fs.readFileSync(configFile(), 'utf8')).to.include('tags = after')
    expect(await orphans()).to.deep.equal([])
  })

  it('delete proceeds over a stale lock and removes config and state', async () => {
    await cli.ok(['-s', svc, 'stop'])
    await plantStaleLock('stop')
    const r = await cli.run(['-s', svc, 'delete'])
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(fs.existsSync(configFile())).to.equal(false)
    expect(fs.existsSync(path.join(cli.root, 'var', svc))).to.equal(false)
  })
})
