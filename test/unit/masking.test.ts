import {expect} from 'chai'
import type {ActionContext, Driver} from '../../src/drivers/api.js'
import {createActionContext, createLogger, type ContextShared} from '../../src/drivers/context.js'
import {DriverRegistry} from '../../src/drivers/registry.js'
import {executePlan} from '../../src/executor/execute.js'
import {EventCollector} from '../../src/log/events.js'
import {maskPlan, secretMasker} from '../../src/log/mask.js'
import {buildPlan} from '../../src/planner/plan.js'
import {formatPlanText} from '../../src/render/plan-text.js'
import {compileFixture} from './fixtures/services.js'

// a driver that shows its secrets everywhere a real one could: command lines, messages, errors, describe()
const leaky: Driver = {
  group: 'app',
  type: 'leaky',
  description: 'shows its secrets',
  keywords: [
    {name: 'environment', type: 'list', secret: 'values', help: 'KEY=VALUE words'},
    {name: 'token', secret: true, help: 'an API token'},
    {name: 'label', help: 'not secret'},
  ],
  label: r => `leaky ${r.rid}`,
  describe: (action, r) => [
    `run ${((r.kw.environment as string[]) ?? []).map(e => `-e ${e}`).join(' ')} --token=${r.kw.token} ${r.kw.label}`,
  ],
  status: async () => ({status: 'down'}),
  async start(ctx: ActionContext) {
    const env = ctx.resource.kw.environment as string[]
    await ctx.run('echo', ['-e', env[0], '-e', env[1], '--token', ctx.resource.kw.token as string])
    ctx.log.info(`env: ${JSON.stringify(env)}`)
    return 'changed'
  },
  async stop(ctx: ActionContext) {
    throw new Error(`cannot stop with ${String(ctx.resource.kw.token)}`)
  },
}

const config = JSON.stringify({
  'app#1': {
    type: 'leaky',
    environment: `PASSWORD=hunter2 "OPTS=it's -x" EMPTY= LANG=C`,
    token: 's3cr3t-t0ken',
    label: 'visible',
  },
})

function setup() {
  const registry = new DriverRegistry()
  registry.add('test', {drivers: [leaky]})
  return compileFixture(config, 'm', registry)
}

const SECRETS = ['hunter2', "it's -x", "it'\\''s", 's3cr3t-t0ken']

describe('secret keyword masking', () => {
  it('masks KEY=VALUE words and whole values in every written form, and nothing else', () => {
    const mask = secretMasker(setup())
    expect(mask('docker run -e PASSWORD=hunter2 -e LANG=C')).to.equal('docker run -e PASSWORD=*** -e LANG=***')
    expect(mask(`x 'OPTS=it'\\''s -x' y`)).to.equal('x OPTS=*** y')
    expect(mask('{"Env":["OPTS=it\'s -x","PASSWORD=hunter2"]}')).to.equal('{"Env":["OPTS=***","PASSWORD=***"]}')
    expect(mask('token s3cr3t-t0ken used')).to.equal('token *** used')
    // an empty value hides nothing; other words are left alone
    expect(mask('EMPTY= EMPTY=x visible PASSWORD')).to.equal('EMPTY= EMPTY=x visible PASSWORD')
  })

  it('masks what a resource logs, the command lines ctx.run logs, and task failures', async () => {
    const service = setup()
    const sink = new EventCollector()
    const start = await executePlan(buildPlan(service, 'start'), {service, settings: {root: '/x', nodename: 'n'}, sink})
    expect(start.ok).to.equal(true)
    const stop = await executePlan(buildPlan(service, 'stop'), {service, settings: {root: '/x', nodename: 'n'}, sink})
    expect(stop.ok).to.equal(false)
    const text = JSON.stringify({events: sink.events, start, stop})
    for (const s of SECRETS) expect(text, s).to.not.include(s)
    expect(text).to.include('PASSWORD=***')
    expect(text).to.include('cannot stop with ***')
    expect(sink.events.map(e => e.message)).to.include('echo -e PASSWORD=*** -e OPTS=*** --token ***')
  })

  it('masks a logger made for the service and a context made for a resource', () => {
    const service = setup()
    const sink = new EventCollector()
    const shared: ContextShared = {
      service,
      settings: {root: '/', nodename: 'n'},
      sink,
      signal: new AbortController().signal,
      cache: new Map(),
    }
    createLogger(shared).warn('service-level PASSWORD=hunter2')
    createActionContext(shared, service.resource('app#1')!, 'start', false, {undo: () => undefined}).log.error(
      's3cr3t-t0ken',
    )
    expect(sink.events.map(e => e.message)).to.deep.equal(['service-level PASSWORD=***', '***'])
  })

  it('masks the dry-run plan, as text and as data', () => {
    const service = setup()
    const plan = maskPlan(buildPlan(service, 'start'), secretMasker(service))
    const text = formatPlanText(plan)
    expect(text).to.include('run -e PASSWORD=*** -e OPTS=*** -e EMPTY= -e LANG=*** --token=*** visible')
    for (const s of SECRETS) expect(text + JSON.stringify(plan), s).to.not.include(s)
  })
})
