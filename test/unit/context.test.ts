import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {spawnSync} from 'node:child_process'
import {pathToFileURL} from 'node:url'
import {expect} from 'chai'
import {createDriverContext} from '../../src/drivers/context.js'
import type {Service, ServiceResource} from '../../src/model/service.js'
import {CommandError} from '../../src/errors.js'

describe('driver context: ctx.run', () => {
  const service = {name: 's', nodename: 'n', resource: () => undefined} as unknown as Service
  const ctx = createDriverContext(
    {
      service,
      settings: {root: '/', nodename: 'n'},
      sink: {emit() {}},
      signal: new AbortController().signal,
      cache: new Map(),
    },
    {rid: 'app#1'} as ServiceResource,
  )

  it('ends the wait at the timeout even when a background process keeps the output pipes open', async function () {
    this.timeout(20_000)
    const started = Date.now()
    let error: unknown
    await ctx.run('sh', ['-c', 'sleep 60 & echo started; sleep 60'], {timeout: 500}).catch(e => (error = e))
    expect(error).to.be.instanceOf(CommandError)
    expect((error as Error).message).to.match(/timed out after 0.5s/)
    // the command and its background child would hold the pipes for 60 s
    expect(Date.now() - started).to.be.below(15_000)
  })

  describe('what a command started', () => {
    const started: number[] = []
    /** Running: a zombie (killed, not reaped yet by init, which some containers' init never does) is not. */
    const alive = (pid: number) => {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
        return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
      } catch {
        return false
      }
    }
    /** Whether `pid` is gone within 3 s. */
    const goneSoon = async (pid: number) => {
      for (let i = 0; i < 60 && alive(pid); i++) await new Promise(r => setTimeout(r, 50))
      return !alive(pid)
    }
    const dirs: string[] = []
    const pidFile = () => {
      dirs.push(fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-run-')))
      return path.join(dirs.at(-1)!, 'pid')
    }
    const readPid = async (file: string) => {
      for (let i = 0; i < 100 && !fs.existsSync(file); i++) await new Promise(r => setTimeout(r, 20))
      const pid = Number(fs.readFileSync(file, 'utf8').trim())
      started.push(pid)
      return pid
    }
    afterEach(() => {
      for (const pid of started.splice(0))
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // gone, as it should be
        }
      for (const dir of dirs.splice(0)) fs.rmSync(dir, {recursive: true, force: true})
    })

    it("is killed with it at its timeout: a `sh -c` command's children are not left running", async function () {
      this.timeout(20_000)
      const file = pidFile()
      let error: unknown
      await ctx.run('sh', ['-c', `sleep 300 & echo $! > ${file}; wait`], {timeout: 500}).catch(e => (error = e))
      expect((error as Error).message).to.match(/timed out after 0.5s/)
      const child = await readPid(file)
      expect(await goneSoon(child), `pid ${child} (sleep 300) still runs`).to.equal(true)
    })

    it('is killed with it when the signal aborts (an interrupted action)', async function () {
      this.timeout(20_000)
      const controller = new AbortController()
      const aborting = createDriverContext(
        {
          service,
          settings: {root: '/', nodename: 'n'},
          sink: {emit() {}},
          signal: controller.signal,
          cache: new Map(),
        },
        {rid: 'app#1'} as ServiceResource,
      )
      const file = pidFile()
      const running = aborting.run('sh', ['-c', `sleep 300 & echo $! > ${file}; wait`]).catch(e => e as Error)
      const child = await readPid(file)
      controller.abort()
      expect(await running).to.be.instanceOf(CommandError)
      expect(await goneSoon(child), `pid ${child} (sleep 300) still runs`).to.equal(true)
    })

    it('is killed when svcmgr exits while it runs (an interrupt that does not wait for it)', async function () {
      this.timeout(30_000)
      const file = pidFile()
      const script = path.join(path.dirname(file), 'exits.mts')
      const contextModule = pathToFileURL(path.resolve('src/drivers/context.ts')).href
      fs.writeFileSync(
        script,
        [
          `import fs from 'node:fs'`,
          `import {commandRunner} from ${JSON.stringify(contextModule)}`,
          `const run = commandRunner({debug() {}, info() {}, warn() {}, error() {}}, () => new AbortController().signal)`,
          `void run('sh', ['-c', ${JSON.stringify(`sleep 300 & echo $! > ${file}; wait`)}])`,
          // exits as a signal handler does, the command still running
          `setInterval(() => fs.existsSync(${JSON.stringify(file)}) && process.exit(0), 20)`,
        ].join('\n'),
      )
      const exited = spawnSync(process.execPath, ['--import', 'tsx', script], {encoding: 'utf8', timeout: 20_000})
      expect(exited.status, exited.stderr).to.equal(0)
      const child = await readPid(file)
      expect(await goneSoon(child), `pid ${child} (sleep 300) still runs`).to.equal(true)
    })

    it('is left running when the command ends by itself (a script that starts a daemon)', async () => {
      const r = await ctx.run('sh', ['-c', 'sleep 300 >/dev/null 2>&1 & echo $!'])
      const daemon = Number(r.stdout.trim())
      started.push(daemon)
      await new Promise(resolve => setTimeout(resolve, 200))
      expect(alive(daemon), `pid ${daemon} (sleep 300)`).to.equal(true)
    })
  })

  it("a timeout past Node's longest timer (2^31-1 ms, a bounded duration plus a margin) is kept, not fired at once", async () => {
    expect((await ctx.run('sh', ['-c', 'sleep 0.3; echo finished'], {timeout: 2 ** 31 - 1 + 10_000})).stdout).to.equal(
      'finished',
    )
  })

  it('runs in cwd, as uid/gid, and reports a failing exit code with its stderr', async () => {
    expect((await ctx.run('pwd', [], {cwd: '/tmp'})).stdout).to.equal('/tmp')
    expect((await ctx.run('id', ['-u'], {uid: 65534, gid: 65534})).stdout).to.equal('65534')
    let error: unknown
    await ctx.run('sh', ['-c', 'echo boom >&2; exit 3']).catch(e => (error = e))
    expect((error as Error).message).to.equal("sh -c 'echo boom >&2; exit 3': exit code 3: boom")
  })
})

describe('driver context: its members', () => {
  const service = {name: 's', nodename: 'n', resource: () => undefined} as unknown as Service
  const base = {service, settings: {root: '/', nodename: 'n'}, sink: {emit() {}}, cache: new Map()}
  const resource = {rid: 'app#1'} as ServiceResource

  it('a fixed signal is a plain value; every member is a data property a spread copies', () => {
    const signal = new AbortController().signal
    const ctx = createDriverContext({...base, signal}, resource)
    expect(ctx.signal).to.equal(signal)
    const copy = {...ctx}
    for (const key of Object.keys(ctx)) {
      expect(Object.getOwnPropertyDescriptor(ctx, key)!.get, key).to.equal(undefined)
      expect(copy[key as keyof typeof copy], key).to.equal(ctx[key as keyof typeof ctx])
    }
    for (const key of ['log', 'host', 'probes', 'run', 'waitFor', 'peer', 'provider', 'observeFromStatus'])
      expect(copy, key).to.have.property(key)
  })

  it("a shared signal that changes (the executor's, for the rollback) is read at each use; a spread copies the one of that moment", () => {
    let current = new AbortController().signal
    const first = current
    const ctx = createDriverContext(
      {
        ...base,
        get signal() {
          return current
        },
      },
      resource,
    )
    const before = {...ctx}
    current = new AbortController().signal
    expect(ctx.signal).to.equal(current)
    expect(before.signal).to.equal(first)
    expect(Object.keys(ctx)).to.include('signal')
  })
})
