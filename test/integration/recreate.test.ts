/**
 * A recreate on the real engine (a drifted container): the old container is stopped with its
 * stop_timeout's grace, as a stop does, before it is removed (it was killed by `docker rm -f`:
 * a database got no chance to shut down); a rollback that removes the new container says the
 * one it replaced is not restored. The container's own trap proves the TERM: it writes to a
 * bind-mounted folder, which a KILL never lets it do.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {CliSandbox, inspectContainer, uniqueName, useStartedService} from './support/cli.js'

describe('recreate of a running container (real engine)', function () {
  this.timeout(180_000)
  const svc = uniqueName('recr')
  const cli = new CliSandbox('recr')
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-recreate-'))
  const name = (n: number) => `${svc}.container.${n}`
  const stops = path.join(out, 'stops')
  // sh as pid 1 with a TERM trap: the line reaches the host's folder only on a graceful stop
  const config = [
    '[container#1]',
    'type = docker',
    'image = opensvc/busybox:date',
    'entrypoint = /bin/sh -c',
    `run_command = "trap 'echo \\"graceful $MODE\\" >> /out/stops; exit 0' TERM; while :; do sleep 1; done"`,
    `volume_mounts = ${out}:/out`,
    'environment = MODE=first',
    '',
    '[container#2]',
    'type = docker',
    'image = svcmgr/failing',
    'disable = true',
    '',
  ].join('\n')

  useStartedService(cli, svc, config)
  after(() => fs.rmSync(out, {recursive: true, force: true}))

  it('stops the old container with its grace (its TERM trap runs), then removes it and runs the new one', async () => {
    const old = (await inspectContainer(name(1)))!
    expect(old.running).to.equal(true)
    await cli.ok(['-s', svc, 'set', '--kw', 'container#1.environment=MODE=second'])
    const plan = (await cli.ok(['-s', svc, 'start', '--dry-run'])).stdout
    expect(plan).to.include('container#1  recreate: environment')
    expect(plan).to.include(`docker stop -t 10 ${name(1)}  (when it runs)\n          docker rm -f ${name(1)}\n`)
    await cli.ok(['-s', svc, 'start'])
    const now = (await inspectContainer(name(1)))!
    expect(now.id).to.not.equal(old.id)
    expect([now.running, now.env.includes('MODE=second')]).to.deep.equal([true, true])
    // the old one ran its trap: a TERM, not the KILL of a forced removal
    expect(fs.readFileSync(stops, 'utf8')).to.equal('graceful first\n')
    const log = fs.readFileSync(path.join(cli.root, 'log', `${svc}.log`), 'utf8')
    expect(log).to.include(`docker stop ${old.id}`)
    expect(log.indexOf(`docker stop ${old.id}`)).to.be.below(log.indexOf(`docker rm -f ${name(1)}`))
  })

  it('a rollback removes the new container and says the replaced one is not restored', async () => {
    const before = (await inspectContainer(name(1)))!
    await cli.ok(['-s', svc, 'set', '--kw', 'container#1.environment=MODE=third', '--kw', 'container#2.disable=false'])
    const r = await cli.run(['-s', svc, 'start', '--format', 'json'])
    expect(r.exitCode, r.stdout + r.stderr).to.equal(1)
    const result = JSON.parse(r.stdout) as {rollback: Array<{rid: string; description: string; ok: boolean}>}
    const undo = result.rollback.find(u => u.rid === 'container#1')
    expect(undo?.description).to.equal(`stop and remove ${name(1)} (the container it replaced is not restored)`)
    // what it says is what is there: neither the replaced container nor the new one
    expect(await inspectContainer(name(1))).to.equal(undefined)
    // the recreate stopped the second gracefully, and so did the rollback the third
    expect(fs.readFileSync(stops, 'utf8')).to.equal('graceful first\ngraceful second\ngraceful third\n')
    expect(before.env).to.include('MODE=second')
  })
})
