// What a start loads, through the real CLI (node bin/run.js) on the engine of scripts/testenv.sh:
// a start whose images are present talks to the engine over node:http only (inspect, image
// inspect, create, start, the netns owner's inspect, the state checks) and never loads
// dockerode, docker-modem nor ssh2; an image pull (its progress stream) loads dockerode then.
// A module resolve hook (module.register, in the CLI process through NODE_OPTIONS) notes every
// module URL under node_modules/dockerode, docker-modem or ssh2 in a file.
//   npx mocha --timeout 180000 test/integration/docker-start-modules.test.ts
import fs from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import {expect} from 'chai'
import {CliSandbox, docker, inspectContainer, removeServiceContainers} from './support/cli.js'

const ID = '7a0f3c4e-52d1-4b8e-9f6a-2c1d0e9b8a73'
const REGISTRY = process.env.SVCMGR_TEST_REGISTRY ?? '127.0.0.1:5000'

const HOOKS = `import {appendFileSync} from 'node:fs'
const LOG = process.env.PERFG_MODULE_LOG
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context)
  if (LOG && /\\/node_modules\\/(dockerode|docker-modem|ssh2)\\//.test(r.url)) appendFileSync(LOG, r.url + '\\n')
  return r
}
`

describe('what a docker start loads (the real CLI, a resolve hook noting dockerode)', function () {
  this.timeout(180_000)
  const svc = `perfgmod${process.pid}`
  const cli = new CliSandbox('perfg-modules')
  const log = path.join(cli.root, 'modules.log')
  const hooks = path.join(cli.root, 'hooks.mjs')
  const register = path.join(cli.root, 'register.mjs')
  const env = {NODE_OPTIONS: `--import=${pathToFileURL(register).href}`, PERFG_MODULE_LOG: log}
  const loaded = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : [])
  const name = (n: number) => `${svc}.container.${n}`
  let pulledImage: string | undefined

  before(() => {
    if (!process.env.DOCKER_HOST) throw new Error('DOCKER_HOST unset: eval "$(bash scripts/testenv.sh env)"')
    fs.writeFileSync(hooks, HOOKS)
    fs.writeFileSync(
      register,
      `import {register} from 'node:module'\nregister(${JSON.stringify(pathToFileURL(hooks).href)})\n`,
    )
  })
  beforeEach(() => fs.rmSync(log, {force: true}))
  after(async () => {
    await removeServiceContainers(svc)
    if (pulledImage) await docker(['rmi', pulledImage]).catch(() => undefined)
    cli.cleanup()
  })

  it('start with the images present (create, start, a netns member): no dockerode, docker-modem nor ssh2', async () => {
    const config = {
      DEFAULT: {id: ID},
      'container#1': {type: 'docker', image: 'google/pause'},
      'container#2': {type: 'docker', image: 'nginx', netns: 'container#1'},
    }
    await cli.ok(['-s', svc, 'create', '--config=-', '--local'], {input: JSON.stringify(config)})
    await cli.ok(['-s', svc, 'start'], {env})
    const [c1, c2] = [await inspectContainer(name(1)), await inspectContainer(name(2))]
    expect([c1?.running, c2?.running]).to.deep.equal([true, true])
    expect(c2!.networkMode).to.equal(`container:${c1!.id}`)
    expect(loaded()).to.deep.equal([])
    // the containers exist, stopped: docker start
    await cli.ok(['-s', svc, 'stop'])
    await cli.ok(['-s', svc, 'start'], {env})
    expect([(await inspectContainer(name(1)))?.running, (await inspectContainer(name(2)))?.running]).to.deep.equal([
      true,
      true,
    ])
    expect(loaded()).to.deep.equal([])
  })

  it('a pull (image_pull_policy = always) loads dockerode, when it is due', async () => {
    const image = `${REGISTRY}/redis:3.0`
    const present = await docker(['image', 'inspect', image]).then(
      () => true,
      () => false,
    )
    if (!present) pulledImage = image
    await cli.ok([
      '-s',
      svc,
      'set',
      '--kw=container#3.type=docker',
      `--kw=container#3.image=${image}`,
      '--kw=container#3.image_pull_policy=always',
    ])
    await cli.ok(['-s', svc, 'provision', '--rid', 'container#3', '--local'], {env})
    expect((await inspectContainer(name(3)))?.image).to.equal(image)
    expect(loaded().some(u => u.includes('/node_modules/dockerode/'))).to.equal(true)
  })
})
