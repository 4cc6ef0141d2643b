// Smoke test of the integration environment that scripts/testenv.sh sets up: the engine,
// the busybox stand-in images and the local registry. Run with the env eval'd:
//   eval "$(bash scripts/testenv.sh env)"; npx mocha --timeout 60000 test/integration/testenv.test.ts
import {expect} from 'chai'
import {execa} from 'execa'

const DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///run/svcmgr-testenv/docker.sock'
const REGISTRY = process.env.SVCMGR_TEST_REGISTRY ?? '127.0.0.1:5000'
const env = {...process.env, DOCKER_HOST}

async function docker(...args: string[]): Promise<string> {
  const r = await execa('docker', args, {env, timeout: 60_000})
  return r.stdout.trim()
}

async function dockerOk(...args: string[]): Promise<boolean> {
  const r = await execa('docker', args, {env, timeout: 60_000, reject: false})
  return r.exitCode === 0
}

type State = {Status: string; ExitCode: number; StartedAt: string; FinishedAt: string}

async function state(name: string): Promise<State> {
  return JSON.parse(await docker('inspect', '--format', '{{json .State}}', name)) as State
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

describe('test environment (scripts/testenv.sh)', function () {
  this.timeout(60_000)
  const prefix = `svcmgr-testenv-${process.pid}-`
  const created: string[] = []

  async function run(suffix: string, ...args: string[]): Promise<string> {
    const name = prefix + suffix
    created.push(name)
    await docker('run', '-d', '--name', name, '--network', 'none', ...args)
    return name
  }

  afterEach(async function () {
    const names = created.splice(0)
    if (names.length > 0) await execa('docker', ['rm', '-f', ...names], {env, reject: false})
  })

  after(async function () {
    // Anything left by an interrupted run of this file.
    const left = await execa('docker', ['ps', '-aq', '--filter', `name=${prefix}`], {env, reject: false})
    const ids = left.stdout.split('\n').filter(Boolean)
    if (ids.length > 0) await execa('docker', ['rm', '-f', ...ids], {env, reject: false})
  })

  it('has an engine answering at DOCKER_HOST', async function () {
    const version = await docker('version', '--format', '{{.Server.Version}}')
    expect(version).to.match(/^\d+\.\d+/)
  })

  it('has every stand-in image, labelled as such', async function () {
    for (const image of [
      'google/pause:latest',
      'nginx:latest',
      'redis:latest',
      'opensvc/busybox:date',
      'svcmgr/failing:latest',
      'svcmgr/slowstop:latest',
    ]) {
      const label = await docker('image', 'inspect', '--format', '{{index .Config.Labels "svcmgr.standin"}}', image)
      expect(label, image).to.equal('true')
    }
  })

  it('nginx:latest serves the stand-in page on port 80', async function () {
    const c = await run('nginx', 'nginx:latest')
    let body = ''
    await waitFor('httpd to answer', async () => {
      const r = await execa('docker', ['exec', c, 'wget', '-qO-', 'http://127.0.0.1/'], {env, reject: false})
      body = r.stdout
      return r.exitCode === 0
    })
    expect(body).to.contain('svcmgr nginx stand-in')
  })

  it('google/pause:latest stops at once on docker stop, with extra args', async function () {
    const c = await run('pause', 'google/pause:latest', '/bin/sh')
    expect((await state(c)).Status).to.equal('running')
    await docker('stop', '-t', '5', c)
    const s = await state(c)
    expect(s.Status).to.equal('exited')
    expect(s.ExitCode).to.equal(0)
    const ran = Date.parse(s.FinishedAt) - Date.parse(s.StartedAt)
    expect(ran).to.be.lessThan(5000)
  })

  it('redis:latest answers PING with +PONG on 6379 and says it is version 7', async function () {
    const c = await run('redis', 'redis:latest')
    let out = ''
    await waitFor('nc to listen', async () => {
      const r = await execa('docker', ['exec', c, 'sh', '-c', 'printf "PING\\r\\n" | nc 127.0.0.1 6379'], {
        env,
        reject: false,
      })
      out = r.stdout
      return r.exitCode === 0 && out.includes('+PONG')
    })
    expect(out).to.contain('+PONG')
    expect(await docker('exec', c, 'sh', '-c', 'echo $REDIS_VERSION')).to.equal('7')
  })

  it('opensvc/busybox:date prints the date every second', async function () {
    const c = await run('date', 'opensvc/busybox:date')
    await waitFor('two dates in the log', async () => (await docker('logs', c)).split('\n').length >= 2)
    await docker('stop', '-t', '5', c)
    expect((await state(c)).ExitCode).to.equal(0)
  })

  it('svcmgr/failing:latest exits 1', async function () {
    const c = await run('failing', 'svcmgr/failing:latest')
    await waitFor('the container to exit', async () => (await state(c)).Status === 'exited')
    expect((await state(c)).ExitCode).to.equal(1)
  })

  it('svcmgr/slowstop:latest ignores TERM until killed', async function () {
    const c = await run('slowstop', 'svcmgr/slowstop:latest')
    await docker('stop', '-t', '1', c)
    const s = await state(c)
    expect(s.ExitCode).to.equal(137) // SIGKILL after the timeout
    expect(Date.parse(s.FinishedAt) - Date.parse(s.StartedAt)).to.be.at.least(900)
  })

  it(`the registry ${REGISTRY} serves redis:3.0 (a real pull)`, async function () {
    const ref = `${REGISTRY}/redis:3.0`
    // testenv.sh up leaves no local copy; drop one a previous test may have pulled.
    await execa('docker', ['rmi', ref], {env, reject: false})
    expect(await dockerOk('image', 'inspect', ref)).to.equal(false)
    try {
      await docker('pull', ref)
      const envs = await docker('image', 'inspect', '--format', '{{json .Config.Env}}', ref)
      expect(JSON.parse(envs)).to.include('REDIS_VERSION=3.0')
    } finally {
      await execa('docker', ['rmi', ref], {env, reject: false})
    }
  })
})
