/**
 * The log file cannot be written (a full disk under the log folder, a log path that cannot be
 * opened): the action still does its work and tells the truth about it (exit code, rollback),
 * with one warning about the log on stderr.
 */
import fs from 'node:fs'
import path from 'node:path'
import {execa} from 'execa'
import {expect} from 'chai'
import {CliSandbox, inspectContainer, removeServiceContainers, requireEngine, uniqueName} from './support/cli.js'

const config = `[container#1]
type = docker
image = google/pause

[container#2]
type = docker
image = opensvc/busybox:date
`

const warnings = (stderr: string) => stderr.split('\n').filter(l => /cannot write the log file/.test(l))

describe('fault: the log file cannot be written, on a real engine', function () {
  this.timeout(180_000)
  const svc = uniqueName('logfull')
  const failing = uniqueName('logfail')
  const cli = new CliSandbox('logfull')
  const logDir = path.join(cli.root, 'log')
  let mounted = false
  const running = async (s: string, n: number) => (await inspectContainer(`${s}.container.${n}`))?.running ?? false

  before(async function () {
    requireEngine()
    await cli.ok(['-s', svc, 'create', '--config=-'], {input: config})
    await cli.ok(['-s', failing, 'create', '--config=-'], {
      input: `${config}\n[container#3]\ntype = docker\nimage = svcmgr/failing\n`,
    })
    fs.mkdirSync(logDir, {recursive: true})
    const m = await execa('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', logDir], {reject: false})
    if (m.exitCode !== 0) throw new Error(`cannot mount a tmpfs on ${logDir} (the fault needs root): ${m.stderr}`)
    mounted = true
    // fill it: the log file of the first event already fails
    const fill = await execa('dd', ['if=/dev/zero', `of=${path.join(logDir, 'fill')}`, 'bs=4k'], {reject: false})
    expect(String(fill.stderr)).to.match(/No space left on device/)
  })
  after(async () => {
    await removeServiceContainers(svc, failing)
    if (mounted) await execa('umount', [logDir], {reject: false})
    cli.cleanup()
  })

  it('a start on a full disk completes, exits 0, and warns once about the log', async () => {
    const r = await cli.run(['-s', svc, 'start'])
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(warnings(r.stderr), r.stderr).to.have.length(1)
    expect(warnings(r.stderr)[0]).to.match(
      new RegExp(`^svcmgr: cannot write the log file ${logDir}/${svc}\\.log: ENOSPC .*; continuing without it$`),
    )
    expect([await running(svc, 1), await running(svc, 2)]).to.deep.equal([true, true])
    // the progress lines still reach the terminal
    expect(r.stdout).to.match(/docker run .*google\/pause/)
  })

  it('a failing start on a full disk still rolls back and exits 1, with one warning', async () => {
    const r = await cli.run(['-s', failing, 'start'])
    expect(r.exitCode, r.stderr).to.equal(1)
    expect(warnings(r.stderr)).to.have.length(1)
    expect(r.stderr).to.match(/Rolled back: container#3 [\s\S]*container#2 [\s\S]*container#1/)
    expect([await running(failing, 1), await running(failing, 2), await running(failing, 3)]).to.deep.equal([
      false,
      false,
      false,
    ])
  })

  it('a log path that cannot be opened: the stop completes, exits 0, one warning', async () => {
    fs.rmSync(path.join(logDir, 'fill'))
    fs.rmSync(path.join(logDir, `${svc}.log`), {force: true})
    fs.mkdirSync(path.join(logDir, `${svc}.log`))
    const r = await cli.run(['-s', svc, 'stop'])
    expect(r.exitCode, r.stderr).to.equal(0)
    expect(warnings(r.stderr), r.stderr).to.have.length(1)
    expect(warnings(r.stderr)[0]).to.match(/: EISDIR /)
    expect([await running(svc, 1), await running(svc, 2)]).to.deep.equal([false, false])
  })
})
