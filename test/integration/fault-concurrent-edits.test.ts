/**
 * Concurrent config edits: many real `set` processes on different sections at once. Each
 * takes the service lock for its read-modify-write, so every edit is kept or refused (exit ≠ 0,
 * naming why), never silently lost. A signal to an edit waiting for the lock, or holding it,
 * ends it with 128+n and leaves no lock of its own behind (and another's untouched).
 */
import fs from 'node:fs'
import {execa, type ResultPromise} from 'execa'
import {expect} from 'chai'
import {CliSandbox, uniqueName} from './support/cli.js'

const BIN = new URL('../../bin/run.js', import.meta.url).pathname
const DIST = new URL('../../dist/', import.meta.url).pathname
const SIGNALS = [
  ['SIGTERM', 143],
  ['SIGINT', 130],
  ['SIGHUP', 129],
] as const

/** A real process holding the service lock through svcmgr's own lock code (and, like bin/run.js, its signal handlers): prints "held" once it has it. */
function lockHolder(varDir: string, svc: string, action: string, edit: boolean): ResultPromise {
  const script = [
    `import {installInterruptHandlers} from ${JSON.stringify(`${DIST}services/interrupts.js`)}`,
    `import {acquireServiceLock} from ${JSON.stringify(`${DIST}executor/lock.js`)}`,
    'installInterruptHandlers()',
    `await acquireServiceLock(${JSON.stringify(varDir)}, ${JSON.stringify(svc)}, ${JSON.stringify(action)}, {waitMs: 0, edit: ${edit}})`,
    "process.stdout.write('held\\n')",
    'setInterval(() => undefined, 1000)',
  ].join('\n')
  return execa(process.execPath, ['--input-type=module', '-e', script], {
    reject: false,
    stdin: 'ignore',
    timeout: 120_000,
  })
}

/** Resolves once the child's stream has printed something matching `re`. */
function printed(stream: NodeJS.ReadableStream | null, re: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = ''
    const timer = setTimeout(() => reject(new Error(`never printed ${re}: ${text}`)), 60_000)
    stream?.on('data', (c: Buffer) => {
      text += c.toString()
      if (re.test(text)) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
}
const N = 12

describe('fault: concurrent edits', function () {
  this.timeout(180_000)
  const svc = uniqueName('edits')
  const cli = new CliSandbox('edits')
  const run = (args: string[]) =>
    execa(process.execPath, [BIN, '-s', svc, ...args], {
      env: {...cli.env(), CI: 'true'},
      reject: false,
      timeout: 120_000,
    })
  const stored = async () =>
    JSON.parse((await cli.ok(['-s', svc, 'print', 'config', '--format', 'json'])).stdout) as Record<
      string,
      Record<string, string>
    >

  before(async () => {
    let config = ''
    for (let i = 1; i <= N; i++) config += `[container#${i}]\ntype = docker\nimage = google/pause\n`
    await cli.ok(['-s', svc, 'create', '--config=-'], {input: config})
  })
  after(() => cli.cleanup())

  it(`${N} concurrent sets on different sections: each is kept or explicitly refused`, async () => {
    const results = await Promise.all(
      Array.from({length: N}, (_, k) => run(['set', '--kw', `container#${k + 1}.tags=edit${k + 1}`])),
    )
    const config = await stored()
    for (let i = 1; i <= N; i++) {
      const r = results[i - 1]
      const kept = config[`container#${i}`].tags === `edit${i}`
      if (r.exitCode === 0) expect(kept, `set ${i} exited 0 but its edit is lost`).to.equal(true)
      else expect(String(r.stderr), `set ${i} refused without saying why`).to.match(/locked by/)
    }
    // edits are short: queued, not refused
    expect(results.map(r => r.exitCode)).to.deep.equal(Array(N).fill(0))
    expect(fs.existsSync(`${cli.root}/var/${svc}/lock`), 'a lock was left behind').to.equal(false)
    expect(fs.readdirSync(`${cli.root}/etc`)).to.deep.equal([`${svc}.conf`])
  })

  it('concurrent set, unset and delete --rid all land', async () => {
    const results = await Promise.all([
      run(['unset', '--kw', 'container#1.tags']),
      run(['delete', '--rid', 'container#2']),
      run(['set', '--kw', 'container#3.rm=true']),
      run(['set', '--kw', 'container#13.type=docker', '--kw', 'container#13.image=google/pause']),
      run(['delete', '--rid', 'container#4,container#5']),
      run(['set', '--kw', 'container#6.tags=again']),
    ])
    expect(
      results.map(r => r.exitCode),
      results.map(r => r.stderr).join('\n'),
    ).to.deep.equal([0, 0, 0, 0, 0, 0])
    const config = await stored()
    expect(config['container#1'].tags).to.equal(undefined)
    expect(config['container#2']).to.equal(undefined)
    expect(config['container#3'].rm).to.equal('true')
    expect(config['container#13']).to.deep.equal({type: 'docker', image: 'google/pause'})
    expect(config['container#4']).to.equal(undefined)
    expect(config['container#5']).to.equal(undefined)
    expect(config['container#6'].tags).to.equal('again')
    expect(config['container#7'].tags).to.equal('edit7')
  })

  const lockFile = () => `${cli.root}/var/${svc}/lock`

  for (const [signal, code] of SIGNALS) {
    it(`${signal} to a set waiting on --waitlock for another process's lock: exit ${code}, that lock untouched, the config unchanged`, async () => {
      const holder = lockHolder(`${cli.root}/var/${svc}`, svc, 'start', false)
      try {
        await printed(holder.stdout, /held/)
        const config = fs.readFileSync(`${cli.root}/etc/${svc}.conf`, 'utf8')
        const waiter = run(['set', '--kw', 'container#7.tags=waited', '--waitlock', '30s'])
        // it says it waits (it is in the lock wait, not still loading)
        await printed(
          waiter.stderr,
          new RegExp(`service ${svc} is locked by pid ${holder.pid} \\(start, since [^)]*\\): waiting up to 30s`),
        )
        waiter.kill(signal)
        const w = await waiter
        expect(w.exitCode, String(w.stderr)).to.equal(code)
        expect(String(w.stderr)).to.include(`interrupted by ${signal} (no action in progress)`)
        expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8'))).to.deep.include({pid: holder.pid, action: 'start'})
        expect(fs.readFileSync(`${cli.root}/etc/${svc}.conf`, 'utf8')).to.equal(config)
      } finally {
        holder.kill('SIGKILL')
        await holder
        fs.rmSync(lockFile(), {force: true})
      }
    })

    it(`${signal} while an edit holds the lock (svcmgr's lock and signal handlers in a real process): exit ${code}, the lock released`, async () => {
      const holder = lockHolder(`${cli.root}/var/${svc}`, svc, 'set', true)
      await printed(holder.stdout, /held/)
      expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8'))).to.deep.include({pid: holder.pid, edit: true})
      holder.kill(signal)
      const h = await holder
      expect(h.exitCode, String(h.stderr)).to.equal(code)
      expect(fs.existsSync(lockFile()), 'the lock was left behind').to.equal(false)
    })
  }
})
