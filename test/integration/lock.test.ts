/** One action at a time per service, across real processes; a killed action's lock is recovered. */
import fs from 'node:fs'
import path from 'node:path'
import {execa} from 'execa'
import {expect} from 'chai'
import {CliSandbox, inspectContainer, uniqueName, useStartedService} from './support/cli.js'

const BIN = new URL('../../bin/run.js', import.meta.url).pathname

describe('service lock across processes, on a real engine', function () {
  this.timeout(180_000)
  const svc = uniqueName('lock')
  const cli = new CliSandbox('lock')
  const lockFile = () => path.join(cli.root, 'var', svc, 'lock')
  // a container that ignores TERM: its stop holds the lock for stop_timeout
  const config = `[container#1]\ntype = docker\nimage = svcmgr/slowstop\nstop_timeout = 4s\n`

  const spawnAction = (action: string) =>
    execa(process.execPath, [BIN, '-s', svc, action], {env: {...cli.env(), CI: 'true'}, reject: false})
  const waitForLock = async () => {
    const deadline = Date.now() + 20_000
    while (!fs.existsSync(lockFile())) {
      if (Date.now() > deadline) throw new Error('the action never took the lock')
      await new Promise(r => setTimeout(r, 50))
    }
  }

  useStartedService(cli, svc, config)

  it('refuses a second action at once, naming the holder pid and action; status shows it in progress', async () => {
    const stop = spawnAction('stop')
    await waitForLock()
    const r = await cli.run(['-s', svc, 'start'])
    expect(r.exitCode).to.equal(1)
    expect(r.stderr).to.include(`is locked by pid ${stop.pid} (stop`)
    const status = JSON.parse((await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'])).stdout)
    expect(status.running).to.equal('stop')
    expect((await stop).exitCode).to.equal(0)
    expect(fs.existsSync(lockFile())).to.equal(false)
  })

  it('--waitlock waits for the holder to finish, then runs', async () => {
    await cli.ok(['-s', svc, 'start'])
    const stop = spawnAction('stop')
    await waitForLock()
    await cli.ok(['-s', svc, 'start', '--waitlock', '60s'])
    expect((await stop).exitCode).to.equal(0)
    expect((await inspectContainer(`${svc}.container.1`))!.running).to.equal(true)
  })

  it('recovers the lock of a killed action', async () => {
    const stop = spawnAction('stop')
    await waitForLock()
    stop.kill('SIGKILL')
    await stop
    expect(fs.existsSync(lockFile()), 'the killed process left its lock').to.equal(true)
    await cli.ok(['-s', svc, 'start'])
    expect((await inspectContainer(`${svc}.container.1`))!.running).to.equal(true)
  })
})
