/**
 * Concurrent config edits: many real `set` processes on different sections at once. Each
 * takes the service lock for its read-modify-write, so every edit is kept or refused (exit ≠ 0,
 * naming why), never silently lost.
 */
import fs from 'node:fs'
import {execa} from 'execa'
import {expect} from 'chai'
import {CliSandbox, uniqueName} from './support/cli.js'

const BIN = new URL('../../bin/run.js', import.meta.url).pathname
const N = 12

describe('fault: concurrent edits', function () {
  this.timeout(180_000)
  const svc = uniqueName('edits')
  const cli = new CliSandbox('edits')
  const run = (args: string[]) => execa(process.execPath, [BIN, '-s', svc, ...args], {env: {...cli.env(), CI: 'true'}, reject: false, timeout: 120_000})
  const stored = async () => JSON.parse((await cli.ok(['-s', svc, 'print', 'config', '--format', 'json'])).stdout) as Record<string, Record<string, string>>

  before(async () => {
    let config = ''
    for (let i = 1; i <= N; i++) config += `[container#${i}]\ntype = docker\nimage = google/pause\n`
    await cli.ok(['-s', svc, 'create', '--config=-'], {input: config})
  })
  after(() => cli.cleanup())

  it(`${N} concurrent sets on different sections: each is kept or explicitly refused`, async () => {
    const results = await Promise.all(Array.from({length: N}, (_, k) => run(['set', '--kw', `container#${k + 1}.tags=edit${k + 1}`])))
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
    expect(results.map(r => r.exitCode), results.map(r => r.stderr).join('\n')).to.deep.equal([0, 0, 0, 0, 0, 0])
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
})
