/**
 * The CI event stream (--format jsonl, --events-file) and the plan pictures (--format
 * mermaid|dot|svg) of the built CLI, on the real engine: each stream parsed line by line and
 * checked against the engine's state and the process' exit code.
 */
import fs from 'node:fs'
import path from 'node:path'
import {expect} from 'chai'
import {SaxesParser} from 'saxes'
import {execa} from 'execa'
import {acquireServiceLock} from '../../src/executor/lock.js'
import {CliSandbox, inspectContainer, removeServiceContainers, requireEngine, uniqueName} from './support/cli.js'

const BIN = new URL('../../bin/run.js', import.meta.url).pathname

interface StreamEvent {
  v: number
  seq: number
  ts: string
  run: string
  plan: string | null
  kind: string
  phase?: string
  rid?: string
  change?: string
  exit_code?: number
  result?: string
  error?: {message: string; type?: string}
  [key: string]: unknown
}

/** Every line one JSON object; the stream's invariants: one run, the version, seq increasing, a summary last and only there. */
function parseStream(text: string): StreamEvent[] {
  expect(text.endsWith('\n'), 'the stream ends with a newline').to.equal(true)
  const events = text
    .slice(0, -1)
    .split('\n')
    .map(l => JSON.parse(l) as StreamEvent)
  for (const [i, e] of events.entries()) {
    expect(e.v).to.equal(1)
    expect(e.run).to.equal(events[0].run)
    if (i > 0) expect(e.seq).to.be.greaterThan(events[i - 1].seq)
  }
  expect(events.filter(e => e.kind === 'summary')).to.have.length(1)
  expect(events.at(-1)!.kind).to.equal('summary')
  return events
}

const phases = (events: StreamEvent[], rid: string) =>
  events.filter(e => e.kind === 'task' && e.rid === rid).map(e => e.phase)

describe('event stream and plan pictures, on a real engine', function () {
  this.timeout(180_000)
  const svc = uniqueName('rnev')
  const bad = uniqueName('rnevbad')
  const cli = new CliSandbox('rnev')
  const running = async (s: string, n: number) => (await inspectContainer(`${s}.container.${n}`))?.running ?? false

  before(async () => {
    requireEngine()
    await cli.ok(['-s', svc, 'create', '--config=-'], {
      input:
        '[container#1]\ntype = docker\nimage = google/pause\n\n[container#2]\ntype = docker\nimage = opensvc/busybox:date\n',
    })
    // container#2 exits at once: its readiness probe fails for certain (see rollback.test.ts)
    await cli.ok(['-s', bad, 'create', '--config=-'], {
      input:
        '[container#1]\ntype = docker\nimage = google/pause\n\n[container#2]\ntype = docker\nimage = svcmgr/failing\nreadiness_probe = tcp:9\n',
    })
  })
  after(async () => {
    await removeServiceContainers(svc, bad)
    cli.cleanup()
  })

  it('start --format jsonl: every rid planned, started, changed; a summary whose exit code is the process exit code; the containers run', async () => {
    const r = await cli.run(['-s', svc, 'start', '--format', 'jsonl'])
    const events = parseStream(r.stdout)
    expect(r.exitCode).to.equal(0)
    expect(events.at(-1)).to.include({exit_code: r.exitCode, result: 'done', ok: true})
    for (const rid of ['container#1', 'container#2']) {
      expect(phases(events, rid)).to.deep.equal(['planned', 'started', 'changed'])
      expect(events.find(e => e.kind === 'task' && e.rid === rid)).to.include({change: 'create', cause: 'absent'})
    }
    // the plan digest is on every event from the plan on
    const digest = events.find(e => e.kind === 'run' && e.phase === 'planned')!.plan
    expect(digest).to.match(/^[0-9a-f]{64}$/)
    for (const e of events) expect(e.plan).to.equal(digest)
    expect([await running(svc, 1), await running(svc, 2)]).to.deep.equal([true, true])
  })

  it('a second start (--out FILE): every task planned none and unchanged, exit 0, nothing restarted', async () => {
    const before = await inspectContainer(`${svc}.container.2`)
    // --out: the stream goes to the file, stdout stays empty
    const file = path.join(cli.root, 'second.jsonl')
    const r = await cli.run(['-s', svc, 'start', '--format', 'jsonl', '--out', file])
    expect(r.stdout).to.equal('')
    const events = parseStream(fs.readFileSync(file, 'utf8'))
    expect(r.exitCode).to.equal(0)
    for (const rid of ['container#1', 'container#2']) {
      expect(phases(events, rid)).to.deep.equal(['planned', 'started', 'unchanged'])
      expect(events.find(e => e.kind === 'task' && e.rid === rid)).to.include({change: 'none'})
    }
    expect(events.at(-1)).to.include({exit_code: 0, result: 'done'})
    expect((await inspectContainer(`${svc}.container.2`))!.startedAt).to.equal(before!.startedAt)
  })

  it('a failing start: the failed task with its error, the rollback step, a failed summary with exit 1; nothing left running', async () => {
    const r = await cli.run(['-s', bad, 'start', '--format', 'jsonl'])
    const events = parseStream(r.stdout)
    expect(r.exitCode).to.equal(1)
    expect(phases(events, 'container#2')).to.deep.equal(['planned', 'started', 'failed'])
    const failed = events.find(e => e.kind === 'task' && e.phase === 'failed')!
    expect(failed.error!.message).to.match(/exit|not ready/i)
    const rolledBack = events.filter(e => e.kind === 'rollback' && e.phase === 'rolled-back').map(e => e.rid)
    expect(rolledBack).to.include('container#1')
    expect(events.at(-1)).to.include({exit_code: 1, result: 'failed', ok: false})
    expect([await running(bad, 1), await running(bad, 2)]).to.deep.equal([false, false])
  })

  it('--events-file writes the same stream while the terminal shows the line view', async () => {
    const file = path.join(cli.root, 'events.jsonl')
    const r = await cli.run(['-s', svc, 'stop', '--events-file', file])
    expect(r.exitCode).to.equal(0)
    // the line view (CI: not a TTY): timestamped lines naming node.service.rid
    expect(r.stdout).to.match(/^\d\d:\d\d:\d\d\.\d{3} INFO +deb1\.\S+\.container#2 /m)
    expect(r.stdout).not.to.include('"kind"')
    const events = parseStream(fs.readFileSync(file, 'utf8'))
    expect(phases(events, 'container#2')).to.deep.equal(['planned', 'started', 'changed'])
    expect(events.at(-1)).to.include({exit_code: 0, result: 'done'})
    // each log line of the view is a log event of the stream
    for (const e of events.filter(e => e.kind === 'log')) expect(r.stdout).to.include(String(e.message).split('\n')[0])
    expect([await running(svc, 1), await running(svc, 2)]).to.deep.equal([false, false])
  })

  it('--events-file beside the TTY tree (a real pty through script(1)): the tree drawn, the same stream in the file', async function () {
    const which = await execa('which', ['script'], {reject: false})
    if (which.exitCode !== 0) {
      console.log('      skipped: script(1) (util-linux) is not installed: no pty to draw the tree on')
      this.skip()
    }
    const file = path.join(cli.root, 'tty.jsonl')
    // CI unset and a pty with a width: the TTY tree, not the line view
    const env: Record<string, string> = {...(process.env as Record<string, string>), ...cli.env()}
    delete env.CI
    const command = `stty cols 120 rows 40; exec ${process.execPath} ${BIN} -s ${bad} start --events-file ${file}`
    const r = await execa('script', ['-qec', command, '/dev/null'], {
      env,
      extendEnv: false,
      stdin: 'ignore',
      reject: false,
    })
    expect(r.exitCode).to.equal(1)
    const screen = String(r.stdout).replaceAll(new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[a-zA-Z]`, 'g'), '')
    expect(screen).to.include('container#1 start')
    // after the tree, the rollback prints as lines
    expect(screen).to.match(/INFO +deb1\.\S+\.container#1 +rolled back: /)
    const events = parseStream(fs.readFileSync(file, 'utf8'))
    expect(phases(events, 'container#2')).to.deep.equal(['planned', 'started', 'failed'])
    expect(events.filter(e => e.kind === 'rollback').map(e => e.rid)).to.include('container#1')
    expect(events.at(-1)).to.include({exit_code: 1, result: 'failed'})
    expect([await running(bad, 1), await running(bad, 2)]).to.deep.equal([false, false])
  })

  it('errors are events too: a service that does not exist ends its stream with an error and a summary of exit 2', async () => {
    const file = path.join(cli.root, 'error.jsonl')
    const r = await cli.run(['-s', uniqueName('rnnone'), 'start', '--format', 'jsonl', '--events-file', file])
    expect(r.exitCode).to.equal(2)
    for (const text of [r.stdout, fs.readFileSync(file, 'utf8')]) {
      const events = parseStream(text)
      expect(events[0]).to.include({kind: 'error', plan: null})
      expect(events.at(-1)).to.include({exit_code: 2, result: 'error'})
    }
  })

  it('a lock refused is an event, and the summary says exit 1; the holder is left alone', async () => {
    // this test's process holds the service lock, as a running action would
    const lock = await acquireServiceLock(path.join(cli.root, 'var', svc), svc, 'start', 0)
    try {
      const r = await cli.run(['-s', svc, 'start', '--format', 'jsonl'])
      expect(r.exitCode).to.equal(1)
      const events = parseStream(r.stdout)
      expect(events.find(e => e.kind === 'error')!.error).to.include({type: 'LockError'})
      expect(events.at(-1)).to.include({exit_code: 1, result: 'error'})
      expect(fs.existsSync(path.join(cli.root, 'var', svc, 'lock'))).to.equal(true)
      expect([await running(svc, 1), await running(svc, 2)]).to.deep.equal([false, false])
    } finally {
      lock.release()
    }
  })

  it('an interrupted start (SIGINT while a readiness wait runs): an interrupted event, the rollback, a summary with exit 130', async () => {
    const slow = uniqueName('rnevint')
    await cli.ok(['-s', slow, 'create', '--config=-'], {
      // nothing listens on port 9: the wait lasts until its timeout, or the signal
      input: '[container#1]\ntype = docker\nimage = google/pause\nreadiness_probe = tcp:9\nreadiness_timeout = 90s\n',
    })
    try {
      const child = execa(process.execPath, [BIN, '-s', slow, 'start', '--format', 'jsonl'], {
        env: {...cli.env(), CI: 'true'},
        stdin: 'ignore',
        reject: false,
        stripFinalNewline: false,
      })
      let out = ''
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += String(chunk)
          // the container is created and started: its undo is journaled, the readiness wait runs
          if (out.includes('"message":"wait for readiness: tcp:9')) resolve()
        })
        child.once('exit', () => reject(new Error(`ended before its task started:\n${out}`)))
      })
      child.kill('SIGINT')
      const r = await child
      expect(r.exitCode).to.equal(130)
      const events = parseStream(String(r.stdout))
      expect(events.find(e => e.kind === 'interrupted')).to.include({message: 'interrupted by SIGINT'})
      expect(phases(events, 'container#1')).to.deep.equal(['planned', 'started', 'failed'])
      expect(events.filter(e => e.kind === 'rollback').map(e => e.phase)).to.include('rolled-back')
      expect(events.at(-1)).to.include({exit_code: 130, result: 'interrupted', signal: 'SIGINT'})
      expect(await running(slow, 1)).to.equal(false)
    } finally {
      await removeServiceContainers(slow)
    }
  })

  it('a signal outside the action (while waiting for the lock): the process exits at once, its stream still ends with a summary', async () => {
    const lock = await acquireServiceLock(path.join(cli.root, 'var', svc), svc, 'start', 0)
    try {
      const child = execa(process.execPath, [BIN, '-s', svc, 'start', '--format', 'jsonl', '--waitlock', '60s'], {
        env: {...cli.env(), CI: 'true'},
        stdin: 'ignore',
        reject: false,
        stripFinalNewline: false,
      })
      let err = ''
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (chunk: Buffer) => {
          err += String(chunk)
          if (err.includes('waiting up to')) resolve()
        })
        child.once('exit', () => reject(new Error(`ended before waiting:\n${err}`)))
      })
      child.kill('SIGTERM')
      const r = await child
      expect(r.exitCode).to.equal(143)
      const events = parseStream(String(r.stdout))
      expect(events.at(-1)).to.include({kind: 'summary', exit_code: 143, result: 'interrupted', signal: 'SIGTERM'})
      expect([await running(svc, 1), await running(svc, 2)]).to.deep.equal([false, false])
    } finally {
      lock.release()
    }
  })

  it('plan pictures: mermaid and dot print the plan, svg --out writes well-formed SVG with every rid; pictures need --dry-run', async () => {
    const mermaid = await cli.ok(['-s', svc, 'start', '--dry-run', '--format', 'mermaid'])
    expect(mermaid.stdout).to.match(/^---\ntitle: "start \S+ · plan [0-9a-f]{12}"\n---\nflowchart TB\n/)
    const dot = await cli.ok(['-s', svc, 'start', '--dry-run', '--format', 'dot'])
    expect(dot.stdout).to.match(/^digraph plan \{\n[\s\S]*subgraph cluster_s1 \{[\s\S]*\}\n$/)
    const file = path.join(cli.root, 'plan.svg')
    await cli.ok(['-s', svc, 'start', '--dry-run', '--format', 'svg', '--out', file])
    const texts: string[] = []
    const parser = new SaxesParser()
    parser.on('text', t => texts.push(t))
    parser.on('error', e => {
      throw e
    })
    parser.write(fs.readFileSync(file, 'utf8')).close()
    for (const rid of ['container#1', 'container#2'])
      expect(
        texts.some(t => t.includes(rid)),
        rid,
      ).to.equal(true)

    const noDry = await cli.run(['-s', svc, 'start', '--format', 'mermaid'])
    expect(noDry.exitCode).to.equal(2)
    expect(noDry.stderr).to.include('--format mermaid')
    const noOut = await cli.run(['-s', svc, 'start', '--dry-run', '--format', 'svg'])
    expect(noOut.exitCode).to.equal(2)
    expect(noOut.stderr).to.include('--out')
    // a usage error changed nothing
    expect([await running(svc, 1), await running(svc, 2)]).to.deep.equal([false, false])
  })
})
