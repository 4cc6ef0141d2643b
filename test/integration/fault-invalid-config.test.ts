/**
 * A stored config made invalid by hand while the service runs: `print status` and `stop` work
 * on what can be understood (unknown keywords and bad values ignored with a warning naming
 * section.keyword); a section that cannot be compiled is reported warn/unknown and never
 * counted as stopped; start, provision and restart refuse with exit 2.
 */
import fs from 'node:fs'
import {expect} from 'chai'
import {CliSandbox, inspectContainer, removeServiceContainers, requireEngine, uniqueName} from './support/cli.js'

describe('fault: a stored config that no longer validates', function () {
  this.timeout(180_000)
  const svc = uniqueName('inval')
  const cli = new CliSandbox('inval')
  const name = (n: number) => `${svc}.container.${n}`
  const configFile = () => `${cli.root}/etc/${svc}.conf`
  let valid = ''
  const running = async () => [(await inspectContainer(name(1)))?.running, (await inspectContainer(name(2)))?.running]
  const status = async () => {
    const r = await cli.run(['-s', svc, 'print', 'status', '--format', 'json'])
    expect(r.exitCode, r.stderr).to.equal(0)
    return {report: JSON.parse(r.stdout), stderr: r.stderr}
  }
  /** Replaces a line of the stored config, as an operator's editor would. */
  const handEdit = (edit: (text: string) => string) => fs.writeFileSync(configFile(), edit(valid))

  before(async () => {
    requireEngine()
    await cli.ok(['-s', svc, 'create', '--config=-'], {
      input:
        '[container#1]\ntype = docker\nimage = google/pause\n\n[container#2]\ntype = docker\nimage = google/pause\nnetns = container#1\n',
    })
    valid = fs.readFileSync(configFile(), 'utf8')
  })
  beforeEach(async () => {
    fs.writeFileSync(configFile(), valid)
    await cli.ok(['-s', svc, 'start'])
    expect(await running()).to.deep.equal([true, true])
  })
  after(async () => {
    await removeServiceContainers(svc)
    cli.cleanup()
  })

  it('an unknown keyword: status shows the truth with a warning, start/provision/restart refuse, stop stops', async () => {
    handEdit(t => t.replace('[container#2]\ntype = docker\n', '[container#2]\ntype = docker\ncolour = blue\n'))
    const {report, stderr} = await status()
    expect(stderr).to.include('container#2.colour: unknown keyword')
    expect(report.resources['container#1'].status).to.equal('up')
    expect(report.resources['container#2'].status).to.equal('up')
    expect(report.resources['container#2'].log.map((l: {message: string}) => l.message).join('\n')).to.include(
      'container#2.colour: unknown keyword',
    )
    const text = await cli.run(['-s', svc, 'print', 'status'])
    expect(text.exitCode).to.equal(0)
    expect(text.stdout).to.match(/container#2 +\S+ up /)
    for (const action of ['start', 'provision', 'restart']) {
      const r = await cli.run(['-s', svc, action])
      expect(r.exitCode, action).to.equal(2)
      expect(r.stderr).to.include('container#2.colour: unknown keyword')
    }
    expect(await running(), 'a refused action changed the engine').to.deep.equal([true, true])
    const stop = await cli.run(['-s', svc, 'stop'])
    expect(stop.exitCode, stop.stderr).to.equal(0)
    expect(stop.stderr).to.include('container#2.colour: unknown keyword')
    expect(await running()).to.deep.equal([false, false])
  })

  it('a bad value: ignored with a warning naming it, stop stops', async () => {
    handEdit(t =>
      t.replace(
        '[container#1]\ntype = docker\n',
        '[container#1]\ntype = docker\nstop_timeout = soonish\nrm = perhaps\n',
      ),
    )
    const {report, stderr} = await status()
    expect(stderr).to.include('container#1.stop_timeout: expected a duration')
    expect(stderr).to.include('container#1.rm: expected true or false, got "perhaps"')
    expect([report.resources['container#1'].status, report.resources['container#2'].status]).to.deep.equal(['up', 'up'])
    expect((await cli.run(['-s', svc, 'start'])).exitCode).to.equal(2)
    const stop = await cli.run(['-s', svc, 'stop'])
    expect(stop.exitCode, stop.stderr).to.equal(0)
    expect(await running()).to.deep.equal([false, false])
  })

  it('a section that cannot be compiled: status warn (not down), stop fails naming it and stops the rest', async () => {
    handEdit(t => t.replace('[container#2]\ntype = docker\n', '[container#2]\ntype = dokker\n'))
    const {report, stderr} = await status()
    expect(stderr).to.include('container#2.type: expected one of docker, got "dokker"')
    expect(report.resources['container#1'].status).to.equal('up')
    expect(report.resources['container#2'].status).to.equal('warn')
    expect(report.resources['container#2'].label).to.include('state unknown')
    expect(report.avail).to.equal('warn')
    const stop = await cli.run(['-s', svc, 'stop'])
    expect(stop.exitCode).to.equal(1)
    expect(stop.stderr).to.include('not stopped, state unknown')
    expect(stop.stderr).to.include('container#2')
    expect(stop.stdout + stop.stderr).not.to.match(/stop done/)
    // the truth on the engine: container#1 stopped, container#2 untouched
    expect(await running()).to.deep.equal([false, true])
    const only = await cli.run(['-s', svc, 'stop', '--rid', 'container#2'])
    expect(only.exitCode).to.equal(1)
    expect(only.stderr).to.include('not stopped, state unknown: container#2')
    expect(await running()).to.deep.equal([false, true])
    const start = await cli.run(['-s', svc, 'start'])
    expect(start.exitCode).to.equal(2)
    expect(await running()).to.deep.equal([false, true])
  })

  it('a section others depend on cannot be compiled: its dependents are stopped, it is named as not stopped', async () => {
    handEdit(t => t.replace('[container#1]\ntype = docker\n', '[container#1]\ntype = dokker\n'))
    const {report} = await status()
    expect(report.resources['container#1'].status).to.equal('warn')
    expect(report.resources['container#2'].status).to.equal('up')
    const stop = await cli.run(['-s', svc, 'stop'])
    expect(stop.exitCode).to.equal(1)
    expect(stop.stderr).to.include('not stopped, state unknown (config section cannot be used): container#1')
    expect(await running()).to.deep.equal([true, false])
  })

  it('a config that does not parse: status says so with exit 2, nothing touched', async () => {
    handEdit(t => t.replace('[container#2]', '[container#2'))
    const r = await cli.run(['-s', svc, 'print', 'status'])
    expect(r.exitCode).to.equal(2)
    expect(r.stderr).to.match(/line \d+/)
    expect((await cli.run(['-s', svc, 'stop'])).exitCode).to.equal(2)
    expect(await running()).to.deep.equal([true, true])
  })
})
