/**
 * Rids are <group>#<n>, n a decimal integer without leading zeros: a dotted or non-numeric
 * index (container#1.container.2) would give two services one container name. Refused at
 * create, set and validate with exit 2 naming the section; nothing written.
 */
import fs from 'node:fs'
import {expect} from 'chai'
import {CliSandbox, uniqueName} from './support/cli.js'

const BAD_RIDS = ['container#1.container.2', 'container#abc', 'container#-1', 'container#01']
const EXPECTED = 'expected a rid <group>#<n> with <n> a decimal integer without leading zeros'

describe('fault: malformed rids', function () {
  this.timeout(120_000)
  const svc = uniqueName('rids')
  const cli = new CliSandbox('rids')
  const configFile = () => `${cli.root}/etc/${svc}.conf`
  const valid = '[container#1]\ntype = docker\nimage = google/pause\n'

  before(async () => {
    await cli.ok(['-s', svc, 'create', '--config=-'], {input: valid})
  })
  after(() => cli.cleanup())

  for (const rid of BAD_RIDS) {
    it(`refuses [${rid}] at create (INI and JSON), nothing written`, async () => {
      const name = `${svc}x`
      const ini = await cli.run(['-s', name, 'create', '--config=-'], {
        input: `${valid}[${rid}]\ntype = docker\nimage = google/pause\n`,
      })
      expect(ini.exitCode).to.equal(2)
      expect(ini.stderr).to.include(`[${rid}]: ${EXPECTED}`)
      const json = await cli.run(['-s', name, 'create', '--config=-'], {
        input: JSON.stringify({
          'container#1': {type: 'docker', image: 'google/pause'},
          [rid]: {type: 'docker', image: 'google/pause'},
        }),
      })
      expect(json.exitCode).to.equal(2)
      expect(json.stderr).to.include(`[${rid}]: ${EXPECTED}`)
      expect(fs.existsSync(`${cli.root}/etc/${name}.conf`)).to.equal(false)
    })

    it(`refuses [${rid}] at set and at create --force: the stored config is byte-identical`, async () => {
      const before = fs.readFileSync(configFile())
      const set = await cli.run(['-s', svc, 'set', '--kw', `${rid}.type=docker`, '--kw', `${rid}.image=google/pause`])
      expect(set.exitCode).to.equal(2)
      expect(set.stderr).to.include(`[${rid}]: ${EXPECTED}`)
      const force = await cli.run(['-s', svc, 'create', '--force', '--config=-'], {
        input: `${valid}[${rid}]\ntype = docker\nimage = google/pause\n`,
      })
      expect(force.exitCode).to.equal(2)
      expect(fs.readFileSync(configFile()).equals(before)).to.equal(true)
    })

    it(`refuses [${rid}] at validate config`, async () => {
      const file = `${cli.root}/candidate.conf`
      fs.writeFileSync(file, `${valid}[${rid}]\ntype = docker\nimage = google/pause\n`)
      const r = await cli.run(['validate', 'config', '--config', file])
      expect(r.exitCode).to.equal(2)
      expect(r.stderr).to.include(`[${rid}]: ${EXPECTED}`)
    })
  }

  it('still accepts container#0 and a subset whose name starts with digits', async () => {
    const r = await cli.run(['validate', 'config', '--config=-'], {
      input:
        '[container#0]\ntype = docker\nimage = google/pause\nsubset = 01app\n[subset#container:01app]\nparallel = true\n',
    })
    expect(r.exitCode, r.stderr).to.equal(0)
  })
})
