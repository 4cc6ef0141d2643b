/**
 * Dry runs touch nothing; bad input is refused with the keyword named, exit 2, nothing written;
 * an unreachable engine is reported as data by status and fails a start fast.
 */
import fs from 'node:fs'
import {expect} from 'chai'
import {
  CliSandbox,
  docker,
  engineEvents,
  removeServiceContainers,
  requireEngine,
  seedSvc2Containers,
  uniqueName,
} from './support/cli.js'

const seed = seedSvc2Containers()

describe('safety: dry runs, bad input, unreachable engine', function () {
  this.timeout(180_000)
  const svc = uniqueName('safe')
  const cli = new CliSandbox('safe')
  const configFile = () => `${cli.root}/etc/${svc}.conf`
  // what this service could touch on the shared engine (other tests run beside it): every container
  // labelled for it or named like its containers, with identity and state times, and the images
  // its config names; all sorted, nothing relative to now
  const images = [
    ...new Set(
      Object.values(seed)
        .map(s => s.image)
        .filter(Boolean),
    ),
  ].sort()
  const engineSnapshot = async () => {
    const labelled = (await docker(['ps', '-aq', '--no-trunc', '--filter', `label=com.svcmgr.service=${svc}`]))
      .split('\n')
      .filter(Boolean)
    const named = (await docker(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}}']))
      .split('\n')
      .filter(l => l.split(' ')[1]?.startsWith(`${svc}.`))
      .map(l => l.split(' ')[0])
    const ids = [...new Set([...labelled, ...named])]
    const containers =
      ids.length === 0
        ? ''
        : await docker([
            'inspect',
            '--format',
            '{{.Id}} {{.Name}} {{.State.Status}} {{.State.StartedAt}} {{.State.FinishedAt}} {{.Image}}',
            ...ids,
          ])
    const imageIds = await Promise.all(
      images.map(
        async i => `${i} ${await docker(['image', 'inspect', '--format', '{{.Id}}', i]).catch(() => 'absent')}`,
      ),
    )
    return {containers: containers.split('\n').filter(Boolean).sort(), images: imageIds}
  }

  before(async () => {
    requireEngine()
    await cli.ok(['-s', svc, 'create', '--config=-'], {input: JSON.stringify(seed)})
  })
  after(async () => {
    await removeServiceContainers(svc)
    cli.cleanup()
  })

  it('--dry-run of every action changes nothing on the engine or on disk and prints the plan', async () => {
    const before = await engineSnapshot()
    const since = new Date()
    const files = fs.readdirSync(cli.root, {recursive: true}).sort()
    for (const action of ['provision', 'start', 'stop', 'restart', 'unprovision']) {
      const r = await cli.ok(['-s', svc, action, '--dry-run'])
      expect(r.stdout).to.match(new RegExp(`^${action} ${svc}\\n`))
    }
    const start = await cli.ok(['-s', svc, 'start', '--dry-run'])
    expect(start.stdout).to.include('[1] container#1  create (absent)')
    expect(start.stdout).to.match(/\[3\] container#3  create \(absent\)  after \[2\]/)
    const plan = JSON.parse((await cli.ok(['-s', svc, 'start', '--dry-run', '--format', 'json'])).stdout)
    expect(plan.version).to.equal(2)
    expect(plan.summary).to.deep.equal({create: 3})
    expect(plan.tasks.map((t: {rid: string}) => t.rid)).to.deep.equal(['container#1', 'container#2', 'container#3'])
    expect(await engineSnapshot()).to.deep.equal(before)
    // not even a container made and removed again in between: the engine saw no event for one of this service's names
    expect(await engineEvents(since, new Date(), `${svc}.`)).to.deep.equal([])
    expect(fs.readdirSync(cli.root, {recursive: true}).sort()).to.deep.equal(files)
  })

  it("the state-aware dry-run's probes of a running, drifted service change nothing either", async () => {
    // the probes read what exists: containers that run, one of them drifted (a recreate planned)
    await cli.ok(['-s', svc, 'start'])
    const before = await engineSnapshot()
    const since = new Date()
    await cli.ok(['-s', svc, 'set', '--kw', 'container#1.environment=PLSAFE=1'])
    const files = fs
      .readdirSync(cli.root, {recursive: true})
      .map(String)
      .filter(f => !f.startsWith('log'))
      .sort()
    const conf = fs.readFileSync(configFile())
    for (const action of ['provision', 'start', 'stop', 'restart', 'unprovision']) {
      const r = await cli.ok(['-s', svc, action, '--dry-run'])
      expect(r.stdout).to.match(/summary: /)
    }
    const start = await cli.ok(['-s', svc, 'start', '--dry-run'])
    expect(start.stdout).to.include('[1] container#1  recreate: environment')
    expect(start.stdout).to.include('summary: 3 to recreate')
    expect(await engineSnapshot()).to.deep.equal(before)
    // the engine saw no event for this service's containers beyond reads (inspects make none)
    expect(await engineEvents(since, new Date(), `${svc}.`)).to.deep.equal([])
    expect(
      fs
        .readdirSync(cli.root, {recursive: true})
        .map(String)
        .filter(f => !f.startsWith('log'))
        .sort(),
    ).to.deep.equal(files)
    expect(fs.readFileSync(configFile()).equals(conf)).to.equal(true)
    // back to the config the later tests expect, stopped
    await cli.ok(['-s', svc, 'unset', '--kw', 'container#1.environment'])
    await cli.ok(['-s', svc, 'stop'])
  })

  it('refuses a bad keyword at create: exit 2, section.keyword named, nothing written', async () => {
    const bad = {...seed, 'container#2': {...seed['container#2'], rm: 'perhaps'}}
    const r = await cli.run(['-s', `${svc}b`, 'create', '--config=-'], {input: JSON.stringify(bad)})
    expect(r.exitCode).to.equal(2)
    expect(r.stderr).to.include('container#2.rm: expected true or false, got "perhaps"')
    expect(fs.existsSync(`${cli.root}/etc/${svc}b.conf`)).to.equal(false)
  })

  it('refuses a bad set atomically: the config file is byte-identical', async () => {
    const before = fs.readFileSync(configFile())
    const r = await cli.run([
      '-s',
      svc,
      'set',
      '--kw',
      'container#3.image=redis:3.0',
      '--kw',
      'container#3.stop_timeout=later',
    ])
    expect(r.exitCode).to.equal(2)
    expect(r.stderr).to.match(/container#3.stop_timeout: expected a duration/)
    expect(fs.readFileSync(configFile()).equals(before)).to.equal(true)
  })

  it('refuses usage errors with exit 2 naming the flag', async () => {
    const unknownRid = await cli.run(['-s', svc, 'start', '--rid', 'container#9'])
    expect(unknownRid.exitCode).to.equal(2)
    expect(unknownRid.stderr).to.include('--rid: container#9 matches no resource')
    const exists = await cli.run(['-s', svc, 'create', '--config=-'], {input: JSON.stringify(seed)})
    expect(exists.exitCode).to.equal(2)
    expect(exists.stderr).to.match(/already exists.*--force/)
    const noService = await cli.run(['-s', 'nosuch', 'print', 'status'])
    expect(noService.exitCode).to.equal(2)
    expect(noService.stderr).to.include('no service named "nosuch"')
    const badWait = await cli.run(['-s', svc, 'start', '--waitlock', 'soon'])
    expect(badWait.exitCode).to.equal(2)
    expect(badWait.stderr).to.include('--waitlock: expected a duration')
  })

  it('reports an unreachable engine in status (unknown: warn, never down) and fails a start fast', async () => {
    const env = {DOCKER_HOST: 'unix:///nonexistent/docker.sock'}
    const status = JSON.parse((await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'], {env})).stdout)
    expect(status.resources['container#1'].status).to.equal('warn')
    expect(status.resources['container#1'].log.map((l: {message: string}) => l.message).join(' ')).to.include(
      'docker daemon socket /nonexistent/docker.sock missing',
    )
    const tree = (await cli.ok(['-s', svc, 'print', 'status'], {env})).stdout
    expect(tree).to.include('# docker daemon socket /nonexistent/docker.sock missing')
    const t = Date.now()
    const r = await cli.run(['-s', svc, 'start'], {env})
    expect(r.exitCode).to.equal(1)
    expect(r.stderr).to.include('docker daemon socket /nonexistent/docker.sock missing')
    expect(Date.now() - t).to.be.below(15_000)
  })
})
