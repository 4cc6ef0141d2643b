/**
 * Fault: an engine that cannot be reached (issue 9, item 1). Through the real CLI, for a
 * socket that is missing, one that refuses connections, and one the user may not open
 * (the CLI runs as nobody): print status says warn with the precise reason (never down, and
 * the instance does not read as down; an ip.netns in a container's namespace is warn too), stop
 * exits 1 naming the reason (also a stop of the ip.netns alone), start fails. An absent engine
 * fails at once: never "not answering after ..." (the wait given to a slow one).
 */
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {execa} from 'execa'
import {CliSandbox, type CliResult, seedSvc2Containers, uniqueName} from './support/cli.js'

const BIN = new URL('../../bin/run.js', import.meta.url).pathname
const NOBODY = 65534
// the seed's svc2 with its ip#1 on a host interface that does not exist, at a test address
// (nothing may touch the real eth0): an ip.netns asks its holder container for the namespace
const IP1 = {
  type: 'netns',
  mode: 'macvlan',
  netns: 'container#1',
  ipdev: `nx${process.pid}`.slice(0, 15),
  ipname: '198.51.100.77',
  netmask: '24',
}
const seed: Record<string, Record<string, string>> = {...seedSvc2Containers(), 'ip#1': IP1}

interface Case {
  title: string
  /** Prepares the socket; returns its path. */
  socket(dir: string): Promise<string>
  reason(sock: string): string
  asNobody?: boolean
}

let listener: net.Server | undefined

const cases: Case[] = [
  {
    title: 'socket missing',
    socket: async dir => path.join(dir, 'absent.sock'),
    reason: sock => `docker daemon socket ${sock} missing`,
  },
  {
    title: 'connection refused (a socket file nobody listens on)',
    socket: async dir => {
      const sock = path.join(dir, 'refused.sock')
      // bound, never listened on, closed: the file stays and connections are refused
      execFileSync('python3', [
        '-c',
        'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()',
        sock,
      ])
      return sock
    },
    reason: sock => `connection refused on ${sock}`,
  },
  {
    title: 'permission denied (the CLI runs as nobody; the socket is root-only)',
    asNobody: true,
    socket: async dir => {
      const sock = path.join(dir, 'denied.sock')
      listener = net.createServer(s => s.destroy())
      await new Promise<void>(r => listener!.listen(sock, r))
      fs.chmodSync(sock, 0o600)
      return sock
    },
    reason: sock => `permission denied on ${sock}`,
  },
]

describe('fault: an unreachable engine', function () {
  this.timeout(120_000)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-unreach-'))
  fs.chmodSync(dir, 0o755)

  after(() => {
    listener?.close()
    fs.rmSync(dir, {recursive: true, force: true})
  })

  for (const c of cases) {
    describe(c.title, () => {
      const svc = uniqueName(`unreach${cases.indexOf(c)}`)
      const svcIp = `${svc}ip`
      const cli = new CliSandbox(`unreach${cases.indexOf(c)}`)
      let sock = ''

      /** The CLI with DOCKER_HOST at the broken socket, as root or as nobody. */
      async function run(args: string[]): Promise<CliResult> {
        const env = {
          ...cli.env({DOCKER_HOST: `unix://${sock}`, HOME: cli.root}),
          CI: 'true',
          PATH: process.env.PATH ?? '',
        }
        const [file, argv] = c.asNobody
          ? ['setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, BIN, ...args]]
          : [process.execPath, [BIN, ...args]]
        const r = await execa(file, argv, {env, extendEnv: false, reject: false, stdin: 'ignore', timeout: 60_000})
        return {exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr)}
      }

      before(async function () {
        if (c.asNobody && process.getuid?.() !== 0) {
          console.log(`      skipped: ${c.title} needs root to run the CLI as nobody (setpriv)`)
          this.skip()
        }
        sock = await c.socket(dir)
        await cli.ok(['-s', svc, 'create', '--config=-', '--local'], {input: JSON.stringify(seed)})
        await cli.ok(['-s', svcIp, 'create', '--config=-', '--local'], {
          input: JSON.stringify({'container#1': seed['container#1'], 'ip#1': IP1}),
        })
        if (c.asNobody) execFileSync('chown', ['-R', `${NOBODY}:${NOBODY}`, cli.root])
      })
      after(() => cli.cleanup())

      it('print status: every container and the ip.netns warn with the reason, none down; the instance is warn', async () => {
        const tree = await run(['-s', svc, 'print', 'status'])
        expect(tree.exitCode, tree.stderr).to.equal(0)
        expect(tree.stdout).to.not.match(/\bdown\b/)
        expect(tree.stdout).to.include(c.reason(sock))
        expect(tree.stdout).to.not.include('not answering')
        const r = await run(['-s', svc, 'print', 'status', '--format', 'json'])
        const status = JSON.parse(r.stdout)
        for (const rid of ['container#1', 'container#2', 'container#3', 'ip#1']) {
          expect(status.resources[rid].status, rid).to.equal('warn')
          expect(status.resources[rid].log.map((l: {message: string}) => l.message).join('\n'), rid).to.include(
            c.reason(sock),
          )
        }
        expect(status.avail).to.equal('warn')
        expect(status.overall).to.equal('warn')
      })

      it('stop exits 1 naming the reason; it does not say done', async () => {
        const r = await run(['-s', svc, 'stop'])
        expect(r.exitCode, r.stdout + r.stderr).to.equal(1)
        expect(r.stdout + r.stderr).to.include(c.reason(sock))
        expect(r.stdout + r.stderr).to.not.include('not answering')
        expect(r.stdout).to.not.match(/stop done|nothing to stop/)
      })

      it('stop of an ip.netns whose holder is unknown exits 1: ip#1 fails naming the reason, nothing reads as done', async () => {
        // container#1 and ip#1 only: the address stops first, before its holder
        const r = await run(['-s', svcIp, 'stop', '--format', 'json'])
        expect(r.exitCode, r.stdout + r.stderr).to.equal(1)
        const result = JSON.parse(r.stdout)
        const states = result.tasks.map((t: {rid: string; state: string}) => `${t.rid} ${t.state}`)
        expect(states[0]).to.equal('ip#1 failed')
        expect(states.join(', ')).to.not.match(/ (done|unchanged)\b/)
        expect(result.tasks[0].message).to.include(c.reason(sock))
      })

      it('start fails naming the reason', async () => {
        const r = await run(['-s', svc, 'start'])
        expect(r.exitCode, r.stdout + r.stderr).to.equal(1)
        expect(r.stdout + r.stderr).to.include(c.reason(sock))
        expect(r.stdout + r.stderr).to.not.include('not answering')
      })
    })
  }
})
