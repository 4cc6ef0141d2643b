/**
 * `svcmgr apply` on the real engine: create, idempotence (nothing touched on the engine), a
 * keyword change (one recreate), a removed section (its container removed), saved plans
 * (applied; refused with exit 3 after `docker rm -f` behind svcmgr's back and after a config
 * edit), --detailed-exitcode, a failure (rolled back, the config stored), usage errors.
 * Every exit code comes from the real CLI; every claim is checked on the engine or the store.
 */
import fs from 'node:fs'
import path from 'node:path'
import {expect} from 'chai'
import {CliSandbox, docker, inspectContainer, removeServiceContainers, requireEngine} from './support/cli.js'

const config = (image3 = 'redis', extra = '') => `[container#1]
type = docker
image = google/pause

[container#2]
type = docker
image = nginx
netns = container#1

[container#3]
type = docker
image = ${image3}
netns = container#1
${extra}`

describe('svcmgr apply, on a real engine', function () {
  this.timeout(180_000)
  const svc = `ap${process.pid}a`
  const cli = new CliSandbox('ap')
  const file = path.join(cli.root, 'svc.conf')
  const planFile = path.join(cli.root, 'plan.json')
  const name = (n: number) => `${svc}.container.${n}`
  const state = async (n: number) => inspectContainer(name(n))
  const snapshot = async () =>
    Promise.all([1, 2, 3].map(async n => (c => c && `${c.id} ${c.startedAt} ${c.running}`)(await state(n))))

  // a second tag of the engine's redis, made and removed here (nothing is pulled)
  before(async () => {
    requireEngine()
    await docker(['tag', 'redis:latest', 'ap-redis:3.0'])
  })
  after(async () => {
    await removeServiceContainers(svc, `${svc}f`)
    await docker(['rmi', 'ap-redis:3.0']).catch(() => undefined)
    cli.cleanup()
  })

  it('--dry-run on an absent service: the config diff, the plan, exit 4 with --detailed-exitcode; nothing made', async () => {
    fs.writeFileSync(file, config())
    const r = await cli.run(['-s', svc, 'apply', '--config', file, '--dry-run', '--detailed-exitcode'])
    expect(r.exitCode, r.stderr).to.equal(4)
    expect(r.stdout).to.include(`config of ${svc}: new service`)
    expect(r.stdout).to.include('+ container#3.image = redis')
    expect(r.stdout).to.match(/plan digest sha256:[0-9a-f]{64}/)
    expect(fs.existsSync(path.join(cli.root, 'etc', `${svc}.conf`))).to.equal(false)
    expect(await state(1)).to.equal(undefined)
    // without --detailed-exitcode a plan with changes is exit 0
    expect((await cli.run(['-s', svc, 'apply', '--config', file, '--dry-run'])).exitCode).to.equal(0)
  })

  it('creates the service from standard input and starts its containers', async () => {
    const r = await cli.run(['-s', svc, 'apply', '--config=-'], {input: config()})
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.include('+ container#2.netns = container#1')
    for (const n of [1, 2, 3]) expect((await state(n))?.running, name(n)).to.equal(true)
    const stored = await cli.ok(['-s', svc, 'print', 'config'])
    expect(stored.stdout).to.include('image = redis')
  })

  it('run again: `no changes`, exit 0, the containers untouched (same ids, same StartedAt)', async () => {
    const before = await snapshot()
    const r = await cli.run(['-s', svc, 'apply', '--config', file])
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(r.stdout).to.include('no changes')
    expect(await snapshot()).to.deep.equal(before)
    const dry = await cli.run(['-s', svc, 'apply', '--config', file, '--dry-run', '--detailed-exitcode'])
    expect(dry.exitCode, dry.stdout + dry.stderr).to.equal(0)
    expect(dry.stdout).to.include('no changes')
  })

  it("an action's --dry-run --detailed-exitcode: 0 when nothing would change, 4 when something would", async () => {
    const before = await snapshot()
    expect((await cli.run(['-s', svc, 'start', '--dry-run', '--detailed-exitcode'])).exitCode).to.equal(0)
    expect((await cli.run(['-s', svc, 'stop', '--dry-run', '--detailed-exitcode'])).exitCode).to.equal(4)
    expect((await cli.run(['-s', svc, 'stop', '--detailed-exitcode'])).exitCode).to.equal(2)
    expect(await snapshot()).to.deep.equal(before)
  })

  it('a keyword change: the diff line, one recreate, the others untouched', async () => {
    const before = await snapshot()
    fs.writeFileSync(file, config('ap-redis:3.0'))
    const dry = await cli.run(['-s', svc, 'apply', '--config', file, '--dry-run'])
    expect(dry.stdout).to.include('~ container#3.image: redis → ap-redis:3.0')
    expect(dry.stdout).to.match(/1 to recreate/)
    // the dry run changed nothing: the stored config, the containers
    expect((await cli.ok(['-s', svc, 'print', 'config'])).stdout).to.include('image = redis\n')
    expect(await snapshot()).to.deep.equal(before)
    const eventsFile = path.join(cli.root, 'apply-events.jsonl')
    const r = await cli.run(['-s', svc, 'apply', '--config', file, '--events-file', eventsFile])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    const after = await snapshot()
    expect(after.slice(0, 2)).to.deep.equal(before.slice(0, 2))
    const c3 = await state(3)
    expect(c3!.running).to.equal(true)
    expect(c3!.image).to.equal('ap-redis:3.0')
    expect(c3!.id).to.not.equal(before[2]!.split(' ')[0])
    // the event stream of the apply, beside the live view: the recreate, then one summary
    const events = fs
      .readFileSync(eventsFile, 'utf8')
      .trim()
      .split('\n')
      .map(l => JSON.parse(l))
    expect(events.every(e => e.action === 'apply' && e.service === svc)).to.equal(true)
    const c3events = events.filter(e => e.kind === 'task' && e.rid === 'container#3')
    expect(c3events.map(e => e.phase)).to.include.members(['planned', 'started', 'changed'])
    expect(c3events.find(e => e.phase === 'planned').change).to.equal('recreate')
    expect(events.at(-1)).to.include({kind: 'summary', ok: true, exit_code: 0})
  })

  it('--format jsonl of an in-sync apply: one summary line, nothing touched', async () => {
    const before = await snapshot()
    const r = await cli.run(['-s', svc, 'apply', '--config', file, '--format', 'jsonl'])
    expect(r.exitCode, r.stderr).to.equal(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines).to.have.length(1)
    expect(JSON.parse(lines[0])).to.include({kind: 'summary', action: 'apply', ok: true, exit_code: 0})
    expect(await snapshot()).to.deep.equal(before)
    const dry = await cli.run(['-s', svc, 'apply', '--config', file, '--dry-run', '--format', 'jsonl'])
    expect(dry.exitCode).to.equal(2)
    expect(dry.stderr).to.include('--format jsonl')
  })

  it('a removed section: `- container#3`, its container stopped and removed from the engine', async () => {
    fs.writeFileSync(file, config('ap-redis:3.0').replace(/\[container#3\][\s\S]*$/, ''))
    const r = await cli.run(['-s', svc, 'apply', '--config', file])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0)
    expect(r.stdout).to.include('- container#3')
    expect(await state(3)).to.equal(undefined)
    expect((await state(1))!.running).to.equal(true)
    expect((await cli.ok(['-s', svc, 'print', 'config'])).stdout).to.not.include('container#3')
  })

  it('a saved plan: --out writes it (deterministic, 0600), `svcmgr apply FILE` runs it', async () => {
    fs.writeFileSync(file, config('redis'))
    const r = await cli.run(['-s', svc, 'apply', '--config', file, '--dry-run', '--out', planFile])
    expect(r.exitCode, r.stderr).to.equal(0)
    const digest = /plan digest (sha256:[0-9a-f]{64})/.exec(r.stdout)![1]
    const saved = JSON.parse(fs.readFileSync(planFile, 'utf8'))
    expect(saved).to.include({format: 'svcmgr.apply-plan', version: 1, service: svc, digest})
    expect(fs.statSync(planFile).mode & 0o777).to.equal(0o600)
    // the same inputs make the same file
    const again = path.join(cli.root, 'plan2.json')
    await cli.ok(['-s', svc, 'apply', '--config', file, '--dry-run', '--out', again])
    expect(fs.readFileSync(again, 'utf8')).to.equal(fs.readFileSync(planFile, 'utf8'))
    expect(await state(3)).to.equal(undefined)
    const run = await cli.run(['apply', planFile])
    expect(run.exitCode, run.stdout + run.stderr).to.equal(0)
    expect((await state(3))!.running).to.equal(true)
    expect((await state(3))!.image).to.equal('redis')
  })

  it('a saved plan is refused with exit 3 after `docker rm -f` behind its back, naming the container', async () => {
    fs.writeFileSync(file, config('ap-redis:3.0'))
    await cli.ok(['-s', svc, 'apply', '--config', file, '--dry-run', '--out', planFile])
    const c2 = (await state(2))!.id
    await docker(['rm', '-f', name(2)])
    const r = await cli.run(['apply', planFile])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(3)
    expect(r.stderr).to.match(/stale plan: .*container#2/)
    // nothing done: container#3 not recreated, the config not stored, container#2 not made again
    expect((await state(3))!.image).to.equal('redis')
    expect((await cli.ok(['-s', svc, 'print', 'config'])).stdout).to.include('image = redis\n')
    expect(await state(2)).to.equal(undefined)
    expect(c2).to.be.a('string')
    // the dry run of the saved plan says the same
    expect((await cli.run(['apply', planFile, '--dry-run'])).exitCode).to.equal(3)
  })

  it('a saved plan is refused with exit 3 after a config edit, naming the keyword', async () => {
    await cli.ok(['-s', svc, 'apply', '--config', file])
    await cli.ok(['-s', svc, 'apply', '--config', file, '--dry-run', '--out', planFile])
    await cli.ok(['-s', svc, 'set', '--kw', 'container#2.image=nginx:1'])
    const r = await cli.run(['apply', planFile])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(3)
    expect(r.stderr).to.include('~ container#2.image: nginx → nginx:1')
    expect((await cli.ok(['-s', svc, 'print', 'config'])).stdout).to.include('image = nginx:1')
  })

  it('a failing apply exits 1 and rolls back what it started; the new config stays stored', async () => {
    const f = `${svc}f`
    const failing = `[container#1]\ntype = docker\nimage = google/pause\n\n[container#2]\ntype = docker\nimage = svcmgr/failing\nreadiness_probe = tcp:9\n`
    const r = await cli.run(['-s', f, 'apply', '--config=-'], {input: failing})
    expect(r.exitCode, r.stdout + r.stderr).to.equal(1)
    expect(r.stderr).to.match(/apply \S+ failed: container#2/)
    expect((await inspectContainer(`${f}.container.1`))?.running ?? false).to.equal(false)
    expect((await cli.ok(['-s', f, 'print', 'config'])).stdout).to.include('svcmgr/failing')
  })

  it('secret values: masked in the diff and the JSON plan on stdout, kept in the 0600 plan file', async () => {
    fs.writeFileSync(file, config('redis', 'environment = TOKEN=ap-s3cr3t-value\n'))
    for (const format of ['text', 'json']) {
      const r = await cli.run([
        '-s',
        svc,
        'apply',
        '--config',
        file,
        '--dry-run',
        '--format',
        format,
        '--out',
        planFile,
      ])
      expect(r.exitCode, r.stderr).to.equal(0)
      expect(r.stdout, format).to.not.include('ap-s3cr3t-value')
      expect(r.stdout, format).to.include('TOKEN=***')
      expect(fs.readFileSync(planFile, 'utf8')).to.include('TOKEN=ap-s3cr3t-value')
    }
  })

  it('usage errors exit 2 and change nothing', async () => {
    const cases: string[][] = [
      ['-s', svc, 'apply'],
      ['apply', '--config', file],
      ['-s', svc, 'apply', '--config', file, '--out', planFile],
      ['-s', svc, 'apply', '--config', file, '--detailed-exitcode'],
      ['-s', svc, 'apply', '--config', path.join(cli.root, 'missing.conf')],
    ]
    for (const args of cases) expect((await cli.run(args)).exitCode, args.join(' ')).to.equal(2)
    // a saved plan names its service: another -s is refused
    const other = await cli.run(['-s', `${svc}x`, 'apply', planFile])
    expect(other.exitCode).to.equal(2)
    expect(other.stderr).to.include(`the plan ${planFile} is for ${svc}`)
    const bad = await cli.run(['-s', svc, 'apply', '--config=-'], {input: '[container#1]\ntype = docker\n'})
    expect(bad.exitCode).to.equal(2)
    expect(bad.stderr).to.include('container#1.image')
    fs.writeFileSync(planFile, fs.readFileSync(planFile, 'utf8').replace('"nginx"', '"nginx:2"'))
    const edited = await cli.run(['apply', planFile])
    expect(edited.exitCode).to.equal(2)
    expect(edited.stderr).to.include('digest')
  })
})
