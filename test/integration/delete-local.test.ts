/**
 * `delete --local` (issue 11), accepted as the actions' --local is: on svcmgr's single node it
 * is delete. Checked on disk (the config file and the state folder are gone, `ls` no longer
 * lists the service) and on the engine (delete leaves the resources as they are: the started
 * container still runs afterwards, as after a plain delete).
 */
import fs from 'node:fs'
import path from 'node:path'
import {expect} from 'chai'
import {CliSandbox, inspectContainer, removeServiceContainers, requireEngine} from './support/cli.js'

describe('delete --local: the same as delete on this single node', function () {
  this.timeout(180_000)
  const cli = new CliSandbox('perfd-dl')
  const svc = `perfd${process.pid}dl`
  const conf = (name: string) => path.join(cli.root, 'etc', `${name}.conf`)
  const varDir = (name: string) => path.join(cli.root, 'var', name)
  const container = {type: 'docker', image: 'google/pause'}

  after(async () => {
    try {
      await removeServiceContainers(svc, `${svc}p`, `${svc}r`)
    } finally {
      cli.cleanup()
    }
  })

  it('removes the config file and the state folder; ls no longer lists the service', async () => {
    await cli.ok(['-s', svc, 'create', '--config=-'], {input: JSON.stringify({'container#1': container})})
    await cli.ok(['-s', svc, 'freeze']) // some state in var/<svc>
    expect(fs.existsSync(conf(svc))).to.equal(true)
    expect(fs.existsSync(varDir(svc))).to.equal(true)
    const r = await cli.ok(['-s', svc, 'delete', '--local'])
    expect(r.stdout).to.equal(`deleted ${svc}\n`)
    expect(fs.existsSync(conf(svc))).to.equal(false)
    expect(fs.existsSync(varDir(svc))).to.equal(false)
    expect((await cli.ok(['ls'])).stdout).to.not.include(svc)
    // nothing left to delete: refused as a plain delete is
    const again = await cli.run(['-s', svc, 'delete', '--local'])
    const plain = await cli.run(['-s', svc, 'delete'])
    expect(again.exitCode).to.not.equal(0)
    expect([again.exitCode, again.stderr]).to.deep.equal([plain.exitCode, plain.stderr])
  })

  it('with --rid: removes only those sections', async () => {
    const name = `${svc}r`
    await cli.ok(['-s', name, 'create', '--config=-'], {
      input: JSON.stringify({'container#1': container, 'container#2': container}),
    })
    await cli.ok(['-s', name, 'delete', '--local', '--rid', 'container#2'])
    const text = fs.readFileSync(conf(name), 'utf8')
    expect(text).to.include('[container#1]')
    expect(text).to.not.include('[container#2]')
  })

  it('leaves the resources as they are, as delete does: the started container still runs', async function () {
    requireEngine()
    const name = `${svc}p`
    await cli.ok(['-s', name, 'create', '--config=-'], {input: JSON.stringify({'container#1': container})})
    await cli.ok(['-s', name, 'start', '--local'])
    expect((await inspectContainer(`${name}.container.1`))?.running).to.equal(true)
    await cli.ok(['-s', name, 'delete', '--local'])
    expect(fs.existsSync(conf(name))).to.equal(false)
    expect((await inspectContainer(`${name}.container.1`))?.running).to.equal(true)
  })
})
