/** Environment values (environment, run_args' -e) are secrets: masked in everything svcmgr writes, given as written to the container. */
import fs from 'node:fs'
import path from 'node:path'
import {expect} from 'chai'
import {CliSandbox, inspectContainer, removeServiceContainers, requireEngine, uniqueName} from './support/cli.js'

describe('secret keyword values, on a real engine', function () {
  this.timeout(120_000)
  const svc = uniqueName('secret')
  const cli = new CliSandbox('secret')
  const config = `[container#1]\ntype = docker\nimage = google/pause\nenvironment = DB_PASSWORD=hunter2-sig "OPTS=a b" LANG=C\nrun_args = -e API_KEY=run-args-sig --env=TOKEN=long-form-sig -l tier=web\n`

  before(async () => {
    requireEngine()
    await cli.ok(['-s', svc, 'create', '--config=-'], {input: config})
  })
  after(async () => {
    await removeServiceContainers(svc)
    cli.cleanup()
  })

  it('masks them in the log, the progress lines, the JSON events and the dry-run; print config shows the config as written', async () => {
    const dry = await cli.ok(['-s', svc, 'start', '--dry-run'])
    const dryJson = await cli.ok(['-s', svc, 'start', '--dry-run', '--format', 'json'])
    const start = await cli.ok(['-s', svc, 'start', '--format', 'json'])
    const stop = await cli.ok(['-s', svc, 'stop'])
    const log = fs.readFileSync(path.join(cli.root, 'log', `${svc}.log`), 'utf8')
    expect(dry.stdout).to.include('-e API_KEY=*** -e TOKEN=*** -e DB_PASSWORD=*** -e OPTS=*** -e LANG=***')
    expect(dry.stdout).to.include('--label=tier=web')
    expect(log).to.include('-e API_KEY=*** -e TOKEN=*** -e DB_PASSWORD=*** -e OPTS=***')
    for (const [what, out] of Object.entries({
      dry: dry.stdout,
      dryJson: dryJson.stdout,
      start: start.stdout,
      stop: stop.stdout,
      log,
    })) {
      expect(out, what).to.not.include('hunter2-sig')
      expect(out, what).to.not.include('a b')
      expect(out, what).to.not.include('run-args-sig')
      expect(out, what).to.not.include('long-form-sig')
    }
    const printed = (await cli.ok(['-s', svc, 'print', 'config'])).stdout
    expect(printed).to.include('DB_PASSWORD=hunter2-sig')
    expect(printed).to.include('--env=TOKEN=long-form-sig')
  })

  it('the container gets them as written', async () => {
    await cli.ok(['-s', svc, 'start'])
    expect((await inspectContainer(`${svc}.container.1`))!.env).to.include.members([
      'DB_PASSWORD=hunter2-sig',
      'OPTS=a b',
      'LANG=C',
      'API_KEY=run-args-sig',
      'TOKEN=long-form-sig',
    ])
  })
})
