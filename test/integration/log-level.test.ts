/**
 * The logLevel setting (settings file or SVCMGR_LOG_LEVEL) sets the lowest level of the progress
 * lines an action prints; --verbose prints debug lines whatever it says; the service log file
 * keeps every level. On a real engine: a pause container started and stopped.
 */
import fs from 'node:fs'
import path from 'node:path'
import {expect} from 'chai'
import {CliSandbox, inspectContainer, removeServiceContainers, requireEngine, uniqueName} from './support/cli.js'

describe('logLevel: the verbosity of the progress lines', function () {
  this.timeout(120_000)
  const svc = uniqueName('loglevel')
  const cli = new CliSandbox('loglevel')
  const settingsFile = () => path.join(cli.root, 'settings.json')
  const logFile = () => path.join(cli.root, 'log', `${svc}.log`)
  const levels = (out: string) =>
    [
      ...new Set(
        out
          .split('\n')
          .map(l => / (DEBUG|INFO|WARN|ERROR) /.exec(l)?.[1])
          .filter(Boolean),
      ),
    ].sort()

  before(async () => {
    requireEngine()
    await cli.ok(['-s', svc, 'create', '--config=-'], {input: '[container#1]\ntype = docker\nimage = google/pause\n'})
  })
  after(async () => {
    await removeServiceContainers(svc)
    cli.cleanup()
  })

  it('warn prints no info line (the work is still done and logged); debug and --verbose print the debug ones', async () => {
    fs.writeFileSync(settingsFile(), JSON.stringify({logLevel: 'warn'}))
    const quiet = await cli.ok(['-s', svc, 'start'], {env: {SVCMGR_CONFIG: settingsFile()}})
    expect(quiet.stdout, quiet.stdout).to.equal('')
    expect((await inspectContainer(`${svc}.container.1`))?.running).to.equal(true)
    expect(levels(fs.readFileSync(logFile(), 'utf8'))).to.deep.equal(['DEBUG', 'INFO'])

    const normal = await cli.ok(['-s', svc, 'stop'])
    expect(levels(normal.stdout)).to.deep.equal(['INFO'])
    expect(normal.stdout).to.match(/INFO .*container#1 +docker stop/)

    // the environment wins over the file, and --verbose over both
    const debug = await cli.ok(['-s', svc, 'start'], {env: {SVCMGR_CONFIG: settingsFile(), SVCMGR_LOG_LEVEL: 'debug'}})
    expect(levels(debug.stdout)).to.deep.equal(['DEBUG', 'INFO'])
    expect(debug.stdout).to.match(/DEBUG .* start begins \(1 task\(s\)\)/)
    const verbose = await cli.ok(['-s', svc, 'stop', '--verbose'], {env: {SVCMGR_CONFIG: settingsFile()}})
    expect(levels(verbose.stdout)).to.deep.equal(['DEBUG', 'INFO'])
    expect((await inspectContainer(`${svc}.container.1`))?.running).to.equal(false)
  })

  it('a bad logLevel is refused with exit 2 naming the file and the setting, before anything is done', async () => {
    fs.writeFileSync(settingsFile(), JSON.stringify({logLevel: 'loud'}))
    const r = await cli.run(['-s', svc, 'start'], {env: {SVCMGR_CONFIG: settingsFile()}})
    expect(r.exitCode).to.equal(2)
    expect(r.stderr).to.equal(
      `svcmgr: ${settingsFile()}: logLevel: expected one of debug, info, warn, error, got "loud"\n`,
    )
    expect((await inspectContainer(`${svc}.container.1`))?.running).to.equal(false)
  })
})
