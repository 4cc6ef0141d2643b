/**
 * `print status` without oclif (src/cli/lean-status.ts) answers exactly as the oclif command
 * does: each case runs the real CLI twice, as it starts by default and with SVCMGR_LEAN=0
 * (oclif always), and compares exit code, stdout and stderr. The cases cover what the lean
 * path answers (text, JSON, leading or trailing -s, a config with warnings, a stale lock, a
 * missing service) and what it must leave to oclif (help, bad flags, a user-installed plugin).
 */
import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {parse} from 'acorn'
import {expect} from 'chai'
import {processStartTime} from '../../src/drivers/host.js'
import {CliSandbox, inspectContainer, removeServiceContainers, requireEngine, uniqueName} from './support/cli.js'

describe('print status: the lean path answers as oclif does', function () {
  this.timeout(180_000)
  const svc = uniqueName('lean')
  const cli = new CliSandbox('lean')
  const data = path.join(cli.root, 'oclif-data')

  before(async () => {
    requireEngine()
    // one container that is never created: its status (down) still asks the engine
    await cli.ok(['-s', svc, 'create', '--config=-', '--local'], {
      input: JSON.stringify({'container#1': {type: 'docker', image: 'google/pause'}}),
    })
    // a stored config with a problem status warns about (an unknown keyword)
    fs.writeFileSync(
      path.join(cli.root, 'etc', `${svc}w.conf`),
      '[DEFAULT]\nid = 7c7f1c4e-35a5-4c1f-9e53-1b8d3a3c1d11\n\n[container#1]\ntype = docker\nimage = redis\nbogus = 1\n',
    )
  })
  after(async () => {
    await removeServiceContainers(svc, `${svc}w`)
    cli.cleanup()
  })

  async function same(args: string[], env: Record<string, string> = {}) {
    const lean = await cli.run(args, {env: {SVCMGR_DATA_DIR: data, ...env}})
    const oclif = await cli.run(args, {env: {SVCMGR_DATA_DIR: data, ...env, SVCMGR_LEAN: '0'}})
    expect({exitCode: lean.exitCode, stdout: lean.stdout, stderr: lean.stderr}, args.join(' ')).to.deep.equal({
      exitCode: oclif.exitCode,
      stdout: oclif.stdout,
      stderr: oclif.stderr,
    })
    return lean
  }

  it('the status tree, with -s before or after the command', async () => {
    const r = await same(['-s', svc, 'print', 'status'])
    expect(r.exitCode).to.equal(0)
    expect(r.stdout).to.match(new RegExp(`^${svc} +down\n`))
    await same(['print', 'status', `--service=${svc}`])
    await same(['print', 'status', `-s${svc}`, '--format', 'text'])
  })

  it('the JSON report', async () => {
    const r = await same(['-s', svc, 'print', 'status', '--format', 'json'])
    expect(JSON.parse(r.stdout)).to.include({service: svc, avail: 'down'})
    await same(['print', 'status', '--format=json', '--service', svc])
  })

  it("a stored config's warnings and a stale lock's, on stderr", async () => {
    const r = await same(['-s', `${svc}w`, 'print', 'status'])
    expect(r.stderr).to.include('bogus')
    const lock = path.join(cli.root, 'var', svc, 'lock')
    fs.mkdirSync(path.dirname(lock), {recursive: true})
    fs.writeFileSync(
      lock,
      JSON.stringify({pid: 2 ** 22 + 1, starttime: '1', action: 'start', since: '2026-01-01T00:00:00Z'}),
    )
    try {
      const s = await same(['-s', svc, 'print', 'status'])
      expect(s.stderr).to.include('stale lock')
    } finally {
      fs.rmSync(lock, {force: true})
    }
  })

  it("the agent's monitor view (issue 14): a failed instance, a live agent, text and JSON", async () => {
    const varDir = path.join(cli.root, 'var', svc)
    const agentDir = path.join(cli.root, 'agent')
    fs.mkdirSync(varDir, {recursive: true})
    fs.mkdirSync(agentDir, {recursive: true})
    // 400 days and 30 minutes ago: its age reads "400d0h" for the next half hour, in both runs
    const lastCheck = new Date(Date.now() - (400 * 86_400 + 1800) * 1000).toISOString()
    fs.writeFileSync(
      path.join(varDir, 'monitor.json'),
      JSON.stringify({
        version: 1,
        state: 'failed',
        reason: 'container#1 stayed down',
        restarts: {'container#1': 3},
        last_check: lastCheck,
      }),
    )
    const agent = spawn('sleep', ['120'])
    fs.writeFileSync(path.join(agentDir, 'agent.pid'), `${agent.pid} ${processStartTime(agent.pid!)}\n`)
    fs.writeFileSync(
      path.join(agentDir, 'agent.json'),
      JSON.stringify({
        version: 1,
        pid: agent.pid,
        startTime: processStartTime(agent.pid!),
        startedAt: new Date().toISOString(),
        heartbeat: new Date().toISOString(),
        watched: [svc],
      }),
    )
    try {
      const text = await same(['-s', svc, 'print', 'status'])
      expect(text.stdout.split('\n')[1]).to.match(
        /^\|- monitor +failed +container#1 stayed down; agent running; last check 400d0h ago; restarts container#1=3$/,
      )
      const json = await same(['-s', svc, 'print', 'status', '--format', 'json'])
      expect(JSON.parse(json.stdout).monitor).to.deep.equal({
        agent: 'running',
        last_check: lastCheck,
        restarts: {'container#1': 3},
        state: 'failed',
        reason: 'container#1 stayed down',
      })
    } finally {
      agent.kill('SIGKILL')
      fs.rmSync(path.join(varDir, 'monitor.json'), {force: true})
      fs.rmSync(path.join(agentDir, 'agent.json'), {force: true})
      fs.rmSync(path.join(agentDir, 'agent.pid'), {force: true})
    }
  })

  it('a service that does not exist: the same message and exit code 2', async () => {
    const r = await same(['-s', `${svc}none`, 'print', 'status'])
    expect(r.exitCode).to.equal(2)
    expect(r.stderr).to.include('no service named')
  })

  it('what it leaves to oclif: help, a missing, repeated or unknown flag, a bad value', async () => {
    for (const args of [
      ['print', 'status'],
      ['-s', svc, 'print', 'status', '-s', svc],
      ['-s', svc, 'print', 'status', '--bogus'],
      ['-s', svc, 'print', 'status', '--format', 'yaml'],
      ['-s', svc, 'print', 'status', 'extra'],
    ]) {
      const r = await same(args)
      expect(r.exitCode, args.join(' ')).to.not.equal(0, `${args.join(' ')}: ${r.stdout}${r.stderr}`)
    }
    expect((await same(['print', 'status', '--help'])).exitCode).to.equal(0)
  })

  function writePlugin(name: string, hook: string, serves?: object): string {
    const dir = path.join(cli.root, 'plugins-src', name)
    fs.mkdirSync(dir, {recursive: true})
    fs.writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({
        name,
        version: '0.0.1',
        type: 'module',
        oclif: {hooks: {'svcmgr:drivers': './hook.js'}},
        ...(serves ? {svcmgrPlugin: {serves}} : {}),
      }),
    )
    fs.writeFileSync(path.join(dir, 'hook.js'), hook + '\n')
    return dir
  }
  const nullDriver = (group: string) =>
    `{group: '${group}', type: 'null', description: 'does nothing', keywords: [], label: () => 'null', describe: () => [], status: async () => ({status: 'n/a'}), start: async () => 'unchanged', stop: async () => 'unchanged'}`

  it('with a linked plugin (oclif runs): the same answer', async () => {
    const linked = path.join(cli.root, 'oclif-data-linked')
    const dir = writePlugin(
      'svcmgr-lean-linked',
      `export default async function () { return {drivers: [${nullDriver('leanlinked')}]} }`,
    )
    await cli.ok(['plugins', 'link', '--no-install', dir], {env: {SVCMGR_DATA_DIR: linked}})
    const r = await same(['-s', svc, 'print', 'status'], {SVCMGR_DATA_DIR: linked})
    expect(r.exitCode).to.equal(0)
    expect((await cli.ok(['drivers'], {env: {SVCMGR_DATA_DIR: linked}})).stdout).to.include('leanlinked.null')
  })

  it('with installed plugins, working and broken (the lean path runs their hooks): the same answers', async () => {
    const installed = path.join(cli.root, 'oclif-data-installed')
    const dirs = [
      writePlugin('svcmgr-lean-ok', `export default async function () { return {drivers: [${nullDriver('leanok')}]} }`),
      writePlugin(
        'svcmgr-lean-throws',
        "export default async function () { throw new Error('cannot load libfoo.so.1') }",
      ),
      writePlugin('svcmgr-lean-error', "export default async function () { this.error('this plugin needs svcmgr 2') }"),
      writePlugin(
        'svcmgr-lean-warns',
        `export default async function () { this.warn('careful'); return {drivers: [${nullDriver('leanwarns')}]} }`,
      ),
      writePlugin(
        'svcmgr-lean-import',
        "import 'svcmgr-no-such-module'\nexport default async function () { return {drivers: []} }",
      ),
      writePlugin('svcmgr-lean-empty', 'export default async function () {}'),
      writePlugin(
        'svcmgr-lean-api',
        `export default async function () { return {apiVersion: 99, drivers: [${nullDriver('leanapi')}]} }`,
      ),
    ]
    await cli.ok(['plugins', 'install', ...dirs], {env: {SVCMGR_DATA_DIR: installed}})
    const r = await same(['-s', svc, 'print', 'status'], {SVCMGR_DATA_DIR: installed})
    expect(r.exitCode).to.equal(0)
    for (const name of ['throws', 'error', 'import', 'empty', 'api']) expect(r.stderr).to.include(`svcmgr-lean-${name}`)
    expect(r.stderr).to.include('careful')
    await same(['-s', svc, 'print', 'status', '--format', 'json'], {SVCMGR_DATA_DIR: installed})
  })

  it('with installed plugins declaring what they serve: left out on both paths when the service cannot need them', async () => {
    const declared = path.join(cli.root, 'oclif-data-declared')
    const serves = (group: string) => ({sectionGroups: [group], types: [`${group}.null`], defaultKeywords: []})
    const dirs = [
      // its warning shows whenever its hook runs: not for this docker-only service
      writePlugin(
        'svcmgr-lean-declared',
        `export default async function () { this.warn('declared plugin loaded'); return {drivers: [${nullDriver('leandeclared')}]} }`,
        serves('leandeclared'),
      ),
      // a declaration that is not what its hook registers
      writePlugin(
        'svcmgr-lean-wrong',
        `export default async function () { return {drivers: [${nullDriver('leanwrong')}, ${nullDriver('leanextra')}]} }`,
        serves('leanwrong'),
      ),
      writePlugin(
        'svcmgr-lean-plain',
        `export default async function () { this.warn('plain plugin loaded'); return {drivers: [${nullDriver('leanplain')}]} }`,
      ),
    ]
    await cli.ok(['plugins', 'install', ...dirs], {env: {SVCMGR_DATA_DIR: declared}})
    for (const format of ['text', 'json']) {
      const r = await same(['-s', svc, 'print', 'status', '--format', format], {SVCMGR_DATA_DIR: declared})
      expect(r.exitCode).to.equal(0)
      expect(r.stderr, 'a plugin declaring nothing always runs').to.include('plain plugin loaded')
      expect(r.stderr).to.not.include('declared plugin loaded')
      expect(r.stderr).to.not.include('svcmgr-lean-wrong')
    }
    // a dry-run of an action, on both paths: the same
    const dry = await same(['-s', svc, 'start', '--dry-run'], {SVCMGR_DATA_DIR: declared})
    expect(dry.stderr).to.not.include('declared plugin loaded')
    // a command for every driver runs them all: the warning, and the wrong declaration named
    const drivers = await cli.ok(['drivers'], {env: {SVCMGR_DATA_DIR: declared}})
    expect(drivers.stdout).to.include('leandeclared.null').and.include('leanextra.null')
    expect(drivers.stderr).to.include('declared plugin loaded')
    expect(drivers.stderr).to.match(
      /plugin svcmgr-lean-wrong: its package\.json svcmgrPlugin\.serves says section groups \[leanwrong\], types \[leanwrong\.null\].*but its drivers serve section groups \[leanextra, leanwrong\]/,
    )
    // a service using the declared plugin's group loads it, on both paths
    const usesIt = uniqueName('leandecl')
    await cli.ok(['-s', usesIt, 'create', '--config=-', '--local'], {
      input: JSON.stringify({'leandeclared#1': {type: 'null'}}),
      env: {SVCMGR_DATA_DIR: declared},
    })
    // two hooks warn now, concurrently: their lines may come in either order, on either path
    const env = {SVCMGR_DATA_DIR: declared}
    const lean = await cli.run(['-s', usesIt, 'print', 'status'], {env})
    const oclif = await cli.run(['-s', usesIt, 'print', 'status'], {env: {...env, SVCMGR_LEAN: '0'}})
    const lines = (text: string) => text.split('\n').sort()
    expect({exitCode: lean.exitCode, stdout: lean.stdout, stderr: lines(lean.stderr)}).to.deep.equal({
      exitCode: oclif.exitCode,
      stdout: oclif.stdout,
      stderr: lines(oclif.stderr),
    })
    expect(lean.exitCode, lean.stdout + lean.stderr).to.equal(0)
    expect(lean.stderr).to.include('declared plugin loaded')
    expect(lean.stdout).to.include('leandeclared#1')
  })

  it('its script bundles run with a code cache: written by a first run, taken by the next, replaced when refused', async () => {
    const bundles = new URL('../../dist/bundle', import.meta.url).pathname
    for (const name of ['lean', 'lean-actions']) {
      // what the cache's name vouches for: the header is the content's hash, every import() rewritten
      const text = fs.readFileSync(path.join(bundles, `${name}.script.js`), 'utf8')
      const [, hash] = /^\/\/ svcmgr script ([0-9a-f]{16})\n/.exec(text) ?? []
      expect(hash, name).to.be.a('string')
      const body = text.slice(text.indexOf('\n') + 1, -1)
      expect(createHash('sha256').update(body).digest('hex').slice(0, 16), name).to.equal(hash)
      const imports: number[] = []
      const visit = (node: unknown): void => {
        if (Array.isArray(node)) node.forEach(visit)
        else if (node && typeof node === 'object' && typeof (node as {type?: unknown}).type === 'string') {
          if ((node as {type: string}).type === 'ImportExpression') imports.push((node as {start: number}).start)
          for (const value of Object.values(node)) if (typeof value === 'object') visit(value)
        }
      }
      visit(parse(body, {ecmaVersion: 'latest', sourceType: 'script'}))
      expect(imports, `${name}: import() left in a script bundle`).to.deep.equal([])
    }
    const cacheBase = path.join(cli.root, 'cache')
    const env = {SVCMGR_DATA_DIR: data, SVCMGR_CACHE_DIR: cacheBase}
    const cacheDir = path.join(cacheBase, 'script-cache')
    const cacheOf = (name: string) => {
      const files = fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter(f => f.startsWith(`${name}.script-`)) : []
      expect(files, name).to.have.length(1)
      return path.join(cacheDir, files[0])
    }
    const first = await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'], {env})
    const cache = cacheOf('lean')
    const written = fs.statSync(cache)
    const second = await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'], {env})
    expect(second.stdout).to.equal(first.stdout)
    const taken = fs.statSync(cache)
    expect({ino: taken.ino, mtime: taken.mtimeMs}, 'a cache taken is not written again').to.deep.equal({
      ino: written.ino,
      mtime: written.mtimeMs,
    })
    fs.writeFileSync(cache, 'not bytecode')
    const third = await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'], {env})
    expect(third.stdout).to.equal(first.stdout)
    expect(fs.readFileSync(cache, 'utf8')).to.not.equal('not bytecode')
    // the actions' bundle: its own cache beside
    const dry = await cli.ok(['-s', svc, 'start', '--dry-run'], {env})
    expect(fs.statSync(cacheOf('lean-actions')).size).to.be.greaterThan(0)
    expect((await cli.ok(['-s', svc, 'start', '--dry-run'], {env})).stdout).to.equal(dry.stdout)
    // turned off: nothing written
    const off = path.join(cli.root, 'cache-off')
    const uncached = await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'], {
      env: {...env, SVCMGR_CACHE_DIR: off, SVCMGR_CODE_CACHE: '0'},
    })
    expect(uncached.stdout).to.equal(first.stdout)
    expect(fs.existsSync(path.join(off, 'script-cache'))).to.equal(false)
  })
})

describe('a plain action: the lean path (src/cli/lean-action.ts) runs it as oclif does', function () {
  this.timeout(180_000)
  const svc = uniqueName('leana')
  const failing = `${svc}f`
  const cli = new CliSandbox('leana')
  const data = path.join(cli.root, 'oclif-data')
  // the lines view stamps each line and a created container's id is new each run
  const normal = (s: string) =>
    s
      .replace(/^\d\d:\d\d:\d\d\.\d{3} /gm, 'T ')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z/g, 'TIME')
      .replace(/\b[0-9a-f]{64}\b/g, 'ID')
  const run = (args: string[], lean: boolean) =>
    cli.run(args, {env: {SVCMGR_DATA_DIR: data, ...(lean ? {} : {SVCMGR_LEAN: '0'})}})
  async function same(args: string[], between?: () => Promise<void>) {
    const lean = await run(args, true)
    await between?.()
    const oclif = await run(args, false)
    expect(
      {exitCode: lean.exitCode, stdout: normal(lean.stdout), stderr: normal(lean.stderr)},
      args.join(' '),
    ).to.deep.equal({exitCode: oclif.exitCode, stdout: normal(oclif.stdout), stderr: normal(oclif.stderr)})
    return lean
  }

  before(async () => {
    requireEngine()
    await cli.ok(['-s', svc, 'create', '--config=-'], {
      input: JSON.stringify({'container#1': {type: 'docker', image: 'google/pause'}}),
    })
    await cli.ok(['-s', failing, 'create', '--config=-'], {
      // container#2 cannot start at all (no such entrypoint: the engine refuses the start), so
      // the start fails on each path whatever the load; container#1, started first, is rolled
      // back (svcmgr/failing's exit may reach the engine after the check one round trip later)
      input: JSON.stringify({
        'container#1': {type: 'docker', image: 'google/pause'},
        'container#2': {type: 'docker', image: 'google/pause', entrypoint: '/nonexistent-svcmgr-entrypoint'},
      }),
    })
  })
  after(async () => {
    await removeServiceContainers(svc, failing)
    cli.cleanup()
  })

  it('start and stop: the same lines and exit code, the container really started and stopped each time', async () => {
    const up = async () => (await inspectContainer(`${svc}.container.1`))?.running
    // the container made once, stopped: both paths then start the same existing container
    await cli.ok(['-s', svc, 'start'])
    await cli.ok(['-s', svc, 'stop'])
    // each path starts from the container stopped, and stops it from running
    const start = await same(['-s', svc, 'start'], async () => {
      expect(await up(), 'started by the lean path').to.equal(true)
      await cli.ok(['-s', svc, 'stop'])
    })
    expect(start.exitCode).to.equal(0)
    expect(await up(), 'started by oclif').to.equal(true)
    const stop = await same(['-s', svc, 'stop', '--format', 'json'], async () => {
      expect(await up(), 'stopped by the lean path').to.equal(false)
      await cli.ok(['-s', svc, 'start'])
    })
    expect(JSON.parse(stop.stdout)).to.include({ok: true, exitCode: 0})
    expect(await up(), 'stopped by oclif').to.equal(false)
  })

  it('a failing start: exit 1, the same report, rolled back on both paths', async () => {
    const r = await same(['-s', failing, 'start'])
    expect(r.exitCode).to.equal(1)
    expect(r.stderr).to.include('container#2').and.include('Rolled back: container#1')
    for (const n of [1, 2])
      expect((await inspectContainer(`${failing}.container.${n}`))?.running ?? false, `container ${n}`).to.equal(false)
  })

  it('a missing service: exit 2, the same message', async () => {
    const r = await same(['-s', `${svc}none`, 'start'])
    expect(r.exitCode).to.equal(2)
    expect(r.stderr).to.include('no service named')
  })
})

describe('apply: the lean path (src/cli/lean-apply.ts) runs it as oclif does', function () {
  this.timeout(180_000)
  const svc = uniqueName('leanp')
  const cli = new CliSandbox('leanp')
  const data = path.join(cli.root, 'oclif-data')
  const one = {
    DEFAULT: {id: '5b0f3f8e-8a4e-4a57-9d3c-2f1d6c1a7e01'},
    'container#1': {type: 'docker', image: 'google/pause'},
  }
  const two = {...one, 'container#2': {type: 'docker', image: 'google/pause'}}
  const file = (name: string, config: object) => {
    const f = path.join(cli.root, name)
    fs.writeFileSync(f, JSON.stringify(config))
    return f
  }
  const oneFile = file('one.json', one)
  const twoFile = file('two.json', two)
  // the lines view stamps each line, a created container's id and a run's are new each run
  const normal = (s: string) =>
    s
      .replace(/^\d\d:\d\d:\d\d\.\d{3} /gm, 'T ')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z/g, 'TIME')
      .replace(/(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])/g, 'ID')
      .replace(/"run":"[0-9a-f-]{36}"/g, '"run":"RUN"')
      .replace(/"duration_ms":\d+/g, '"duration_ms":0')
  const run = (args: string[], lean: boolean, input?: string) =>
    cli.run(args, {input, env: {SVCMGR_DATA_DIR: data, ...(lean ? {} : {SVCMGR_LEAN: '0'})}})
  async function same(args: string[], options: {input?: string; between?: () => Promise<void>} = {}) {
    const lean = await run(args, true, options.input)
    await options.between?.()
    const oclif = await run(args, false, options.input)
    expect(
      {exitCode: lean.exitCode, stdout: normal(lean.stdout), stderr: normal(lean.stderr)},
      args.join(' '),
    ).to.deep.equal({exitCode: oclif.exitCode, stdout: normal(oclif.stdout), stderr: normal(oclif.stderr)})
    return lean
  }
  const state = async (n: number) => (await inspectContainer(`${svc}.container.${n}`))?.running

  before(async () => {
    requireEngine()
  })
  after(async () => {
    await removeServiceContainers(svc)
    cli.cleanup()
  })

  it('a new service, then a section added and removed: the same lines, the engine changed by each path', async () => {
    const created = await same(['-s', svc, 'apply', '--config', oneFile], {
      between: async () => {
        expect(await state(1), 'created by the lean path').to.equal(true)
        await cli.ok(['-s', svc, 'unprovision'])
        await cli.ok(['-s', svc, 'delete'])
        expect(await state(1), 'removed between the runs').to.equal(undefined)
      },
    })
    expect(created.exitCode).to.equal(0)
    expect(created.stdout).to.include(`config of ${svc}: new service`)
    expect(await state(1), 'created by oclif').to.equal(true)
    const added = await same(['-s', svc, 'apply', `--config=${twoFile}`, '--format', 'json'], {
      between: async () => {
        expect(await state(2), 'added by the lean path').to.equal(true)
        await cli.ok(['-s', svc, 'apply', '--config', oneFile], {env: {SVCMGR_LEAN: '0'}})
        expect(await state(2), 'removed between the runs').to.equal(undefined)
      },
    })
    expect(JSON.parse(added.stdout)).to.include({ok: true, exitCode: 0})
    expect(await state(2), 'added by oclif').to.equal(true)
    const removed = await same(['-s', svc, 'apply', '--config=-'], {
      input: JSON.stringify(one),
      between: async () => {
        expect(await state(2), 'removed by the lean path').to.equal(undefined)
        await cli.ok(['-s', svc, 'apply', '--config', twoFile], {env: {SVCMGR_LEAN: '0'}})
        expect(await state(2), 'added back between the runs').to.equal(true)
      },
    })
    expect(removed.exitCode).to.equal(0)
    expect(await state(2), 'removed by oclif').to.equal(undefined)
    expect(await state(1)).to.equal(true)
  })

  it('in sync: no changes, dry-runs and saved plans, the same answers; nothing changed', async () => {
    const r = await same(['-s', svc, 'apply', '--config', oneFile])
    expect(r.stdout).to.equal(`apply ${svc}: no changes\n`)
    await same(['apply', '--config', '-', `--service=${svc}`, '--format=json'], {input: JSON.stringify(one)})
    const dry = await same(['-s', svc, 'apply', '--config', twoFile, '--dry-run'])
    expect(dry.stdout).to.include('container#2')
    await same(['-s', svc, 'apply', '--dry-run', '--config', twoFile, '--format', 'json'])
    expect(await state(2), 'a dry-run creates nothing').to.equal(undefined)
    // a driver the stored config does not use (the lean path loads its plugin for the new config)
    const withFs = file('fs.json', {
      ...one,
      'fs#1': {type: 'ext4', dev: '/dev/svcmgr-none', mnt: path.join(cli.root, 'm')},
    })
    expect((await same(['-s', svc, 'apply', '--config', withFs, '--dry-run'])).stdout).to.include('+ fs#1.type = ext4')
    const plan = path.join(cli.root, 'plan.json')
    await cli.ok(['-s', svc, 'apply', '--config', oneFile, '--dry-run', '--out', plan])
    await same(['apply', plan, '--dry-run'])
    expect((await same(['apply', plan])).stdout).to.equal(`apply ${svc}: no changes\n`)
    expect((await same(['-s', `${svc}x`, 'apply', plan])).exitCode).to.equal(2)
    expect(await state(1)).to.equal(true)
  })

  it('errors and what the lean path leaves to oclif: the same messages and exit codes', async () => {
    const bad = file('bad.json', {'container#1': {type: 'docker', image: 'google/pause', bogus: '1'}})
    expect((await same(['-s', svc, 'apply', '--config', bad])).exitCode).to.not.equal(0)
    expect((await same(['-s', svc, 'apply', '--config', path.join(cli.root, 'none.json')])).exitCode).to.equal(2)
    expect((await same(['-s', svc, 'apply'])).exitCode).to.equal(2)
    expect((await same(['apply', '--config', oneFile])).exitCode).to.equal(2)
    expect((await same(['-s', svc, 'apply', '--config', oneFile, 'extra'])).exitCode).to.equal(2)
    await same(['-s', svc, 'apply', '--config', oneFile, '--format', 'jsonl'])
    await same(['-s', svc, 'apply', '--config', oneFile, '--dry-run', '--detailed-exitcode'])
    expect(await state(1)).to.equal(true)
  })
})

describe('validate: the lean path (src/cli/lean-validate.ts) runs it as oclif does', function () {
  this.timeout(180_000)
  const svc = uniqueName('leanv')
  const cli = new CliSandbox('leanv')
  const data = path.join(cli.root, 'oclif-data')
  const file = (name: string, text: string) => {
    const f = path.join(cli.root, name)
    fs.writeFileSync(f, text)
    return f
  }
  const good = file('good.conf', '[container#1]\ntype = docker\nimage = google/pause\n')
  const bad = file('bad.conf', '[container#1]\ntype = docker\nimage = google/pause\nbogus = 1\n')
  const unknown = file('unknown.conf', '[nosuch#1]\ntype = x\n')
  const run = (args: string[], lean: boolean, input?: string) =>
    cli.run(args, {input, env: {SVCMGR_DATA_DIR: data, ...(lean ? {} : {SVCMGR_LEAN: '0'})}})
  async function same(args: string[], input?: string) {
    const lean = await run(args, true, input)
    const oclif = await run(args, false, input)
    expect({exitCode: lean.exitCode, stdout: lean.stdout, stderr: lean.stderr}, args.join(' ')).to.deep.equal({
      exitCode: oclif.exitCode,
      stdout: oclif.stdout,
      stderr: oclif.stderr,
    })
    return lean
  }

  before(async () => {
    await cli.ok(['-s', svc, 'create', '--config', good])
  })
  after(() => cli.cleanup())

  it('a valid stored config or file, text and JSON, from a file or standard input: the same answer', async () => {
    const stored = await same(['-s', svc, 'validate', 'config'])
    expect(stored.exitCode).to.equal(0)
    expect(stored.stdout).to.equal(`${svc}: config is valid (1 resources)\n`)
    const json = await same(['validate', '--config', good, '--format', 'json'])
    expect(JSON.parse(json.stdout)).to.deep.equal({valid: true, service: 'good', resources: ['container#1']})
    const stdin = await same(['validate', 'config', '--config', '-'], fs.readFileSync(good, 'utf8'))
    expect(stdin.stdout).to.equal('svc: config is valid (1 resources)\n')
    expect((await same(['-s', svc, 'validate', '--config', good])).stdout).to.include(`${svc}: config is valid`)
  })

  it('errors: a bad keyword, a group no driver serves, a missing service, no flag: the same messages and exit 2; nothing written', async () => {
    const before = fs.readdirSync(path.join(cli.root, 'etc')).sort()
    const r = await same(['validate', '--config', bad])
    expect(r.exitCode).to.equal(2)
    expect(r.stderr).to.include('container#1.bogus')
    const u = await same(['validate', '--config', unknown])
    expect(u.exitCode).to.equal(2)
    expect(u.stderr).to.include('nosuch')
    const missing = await same(['-s', `${svc}none`, 'validate'])
    expect(missing.exitCode).to.equal(2)
    expect(missing.stderr).to.include('no service named')
    expect((await same(['validate', 'config'])).exitCode).to.equal(2)
    expect(fs.readdirSync(path.join(cli.root, 'etc')).sort()).to.deep.equal(before)
  })
})
