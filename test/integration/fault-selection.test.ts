/**
 * Empty selections (`--rid ''`, `--rid ,`, `--tags ''`, `--subsets ''`: an unset shell
 * variable) are refused with exit 2 naming the flag, instead of selecting the whole service:
 * nothing planned, nothing stopped, nothing deleted.
 */
import fs from 'node:fs'
import {expect} from 'chai'
import {CliSandbox, inspectContainer, removeServiceContainers, requireEngine, uniqueName} from './support/cli.js'

describe('fault: empty selections', function () {
  this.timeout(180_000)
  const svc = uniqueName('sel')
  const cli = new CliSandbox('sel')
  const container = `${svc}.container.1`
  const configFile = () => `${cli.root}/etc/${svc}.conf`

  before(async () => {
    requireEngine()
    await cli.ok(['-s', svc, 'create', '--config=-'], {
      input: '[container#1]\ntype = docker\nimage = google/pause\ntags = web\n',
    })
    await cli.ok(['-s', svc, 'start'])
  })
  after(async () => {
    await removeServiceContainers(svc)
    cli.cleanup()
  })

  const EMPTY: Array<[string, string, string]> = [
    ['--rid', '', '--rid: expected a comma list of rids, groups or group.types, got an empty value ""'],
    ['--rid', ',', '--rid: expected a comma list of rids, groups or group.types, got an empty value ","'],
    ['--rid', ' , ', '--rid: expected a comma list of rids, groups or group.types, got an empty value'],
    [
      '--rid',
      'container#1,',
      '--rid: expected a comma list of rids, groups or group.types, got an empty item in "container#1,"',
    ],
    ['--tags', '', '--tags: expected a comma list of tags, got an empty value ""'],
    ['--subsets', '', '--subsets: expected a comma list of subset names, got an empty value ""'],
  ]

  for (const [flag, value, message] of EMPTY) {
    it(`stop ${flag} ${JSON.stringify(value)}: exit 2 naming the flag, the container still runs`, async () => {
      const before = await inspectContainer(container)
      expect(before?.running).to.equal(true)
      for (const args of [
        ['stop', flag, value],
        ['stop', `${flag}=${value}`],
        ['stop', '--dry-run', flag, value],
      ]) {
        const r = await cli.run(['-s', svc, ...args])
        expect(r.exitCode, args.join(' ')).to.equal(2)
        expect(r.stderr).to.include(message)
        expect(r.stdout, 'a plan was printed').to.equal('')
      }
      const after = await inspectContainer(container)
      expect(after?.running).to.equal(true)
      expect(after?.startedAt).to.equal(before!.startedAt)
    })
  }

  it('restart and unprovision refuse an empty --rid too, changing nothing', async () => {
    const before = await inspectContainer(container)
    for (const action of ['restart', 'unprovision', 'start']) {
      const r = await cli.run(['-s', svc, action, '--rid', ''])
      expect(r.exitCode, action).to.equal(2)
    }
    const after = await inspectContainer(container)
    expect(after?.id).to.equal(before!.id)
    expect(after?.startedAt).to.equal(before!.startedAt)
  })

  it("delete --rid '' refuses instead of deleting the whole service", async () => {
    const config = fs.readFileSync(configFile())
    const r = await cli.run(['-s', svc, 'delete', '--rid', ''])
    expect(r.exitCode).to.equal(2)
    expect(r.stderr).to.include('--rid: expected a comma list of section names (container#3), got an empty value')
    expect(fs.readFileSync(configFile()).equals(config)).to.equal(true)
  })

  it('a real selection still works', async () => {
    await cli.ok(['-s', svc, 'stop', '--tags', 'web'])
    expect((await inspectContainer(container))?.running).to.equal(false)
  })
})
