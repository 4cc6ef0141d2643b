import {expect} from 'chai'
import type {ActionContext, Driver, KeywordSpec} from '../../src/drivers/api.js'
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

  it('masks a copy: the plan built is left as it was; a task holding no secret is not copied', () => {
    const service = setup()
    const built = buildPlan(service, 'start')
    const before = JSON.stringify(built)
    const plan = maskPlan(built, secretMasker(service))
    expect(JSON.stringify(built)).to.equal(before)
    expect(before).to.include('PASSWORD=hunter2')
    for (const [i, t] of plan.tasks.entries()) {
      const original = built.tasks[i]
      const holds = original.steps.some(s => SECRETS.some(x => s.includes(x)))
      if (holds) expect(t, t.rid).to.not.equal(original)
      else expect(t, t.rid).to.equal(original)
    }
    expect(plan.tasks.some((t, i) => t !== built.tasks[i])).to.equal(true)
  })
})

describe("a keyword's secretValues", () => {
  // a run_args-like keyword: the words after -e are its secrets, the others are not
  const optionsDriver: Driver = {
    group: 'app',
    type: 'options',
    description: 'names the secret words of its options',
    keywords: [
      {
        name: 'options',
        type: 'list',
        help: 'options',
        secretValues: words => (words as string[]).filter((_, i, all) => all[i - 1] === '-e'),
      },
    ],
    label: r => `options ${r.rid}`,
    describe: (_action, r) => [`run ${((r.kw.options as string[]) ?? []).join(' ')}`],
    status: async () => ({status: 'down'}),
    start: async () => 'unchanged',
    stop: async () => 'unchanged',
  }

  it('masks the KEY=VALUE words it names, as written and within other words, and leaves the others', () => {
    const registry = new DriverRegistry()
    registry.add('test', {drivers: [optionsDriver]})
    const service = compileFixture(
      JSON.stringify({'app#1': {type: 'options', options: '-e TOKEN=opt-sig -l tier=web -e EMPTY= -e SECOND=two-sig'}}),
      'm',
      registry,
    )
    const mask = secretMasker(service)
    expect(mask('run -e TOKEN=opt-sig -l tier=web -e EMPTY= --env=SECOND=two-sig')).to.equal(
      'run -e TOKEN=*** -l tier=web -e EMPTY= --env=SECOND=***',
    )
    const text = formatPlanText(maskPlan(buildPlan(service, 'start'), mask))
    expect(text).to.include('run -e TOKEN=*** -l tier=web -e EMPTY= -e SECOND=***')
    expect(text).to.not.match(/opt-sig|two-sig/)
  })
})

describe('secret masker: one scan for the needles, same replacements as trying each in turn', () => {
  // the replacement rule masking had before the one-scan matcher: every needle, longest first, includes then split/join
  const reference = (pairs: Array<[string, string]>) => {
    const unique = [...new Map(pairs).entries()].sort((a, b) => b[0].length - a[0].length)
    return (text: string) => {
      let out = text
      for (const [needle, masked] of unique) if (out.includes(needle)) out = out.split(needle).join(masked)
      return out
    }
  }
  const quoted = (w: string) => `'${w.replace(/'/g, `'\\''`)}'`

  it('agrees with the reference on overlapping, nested and repeated secrets of a small alphabet', () => {
    let seed = 7
    const rnd = (k: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed % k
    }
    const alphabet = `ab=*'"\\ `
    const word = (len: number) => Array.from({length: len}, () => alphabet[rnd(alphabet.length)]).join('')
    let compared = 0
    for (let t = 0; t < 3000; t++) {
      const values = Array.from({length: 1 + rnd(12)}, () => word(1 + rnd(6)))
      const secret: 'values' | true = rnd(2) ? 'values' : true
      const svc = {resources: [{kw: {e: values}, driver: {keywords: [{name: 'e', secret, help: ''}]}}]}
      const mask = secretMasker(svc)
      const words: Array<[string, string]> = []
      for (const w of values) {
        const eq = w.indexOf('=')
        if (secret === 'values' && eq > 0) {
          if (eq < w.length - 1) words.push([w, `${w.slice(0, eq)}=***`])
        } else if (w !== '') words.push([w, '***'])
      }
      if (secret === true && values.length > 1) words.push([values.join(' '), '***'])
      const pairs = words.flatMap(([w, m]): Array<[string, string]> => [
        [quoted(w), m],
        [JSON.stringify(w).slice(1, -1), m],
        [w, m],
      ])
      const ref = reference(pairs.filter(([n]) => n !== ''))
      for (let k = 0; k < 8; k++) {
        const text = word(rnd(60))
        expect(mask(text), JSON.stringify({values, secret, text})).to.equal(ref(text))
        compared++
      }
    }
    expect(compared).to.equal(24_000)
  })

  it("masks each of 10,000 resources' secrets in its own message and leaves a clean message alone", () => {
    const spec = {name: 'environment', secret: 'values' as const, help: ''}
    const resources = Array.from({length: 10_000}, (_, i) => ({
      kw: {environment: [`TOKEN=s3cr3t${i}`, `MODE=m${i}`]},
      driver: {keywords: [spec]},
    }))
    const mask = secretMasker({resources})
    expect(mask(`docker run -e TOKEN=s3cr3t42 -e 'MODE=m42' x`)).to.equal('docker run -e TOKEN=*** -e MODE=*** x')
    // s3cr3t4 is a prefix of s3cr3t42: the longest secret wins where both start
    expect(mask('TOKEN=s3cr3t4 TOKEN=s3cr3t42 TOKEN=s3cr3t9999')).to.equal('TOKEN=*** TOKEN=*** TOKEN=***')
    expect(mask('TOKEN=s3cr3t10000 MODE=')).to.equal('TOKEN=***0 MODE=')
    expect(mask('nothing secret here')).to.equal('nothing secret here')
  })
})

describe('secret masker shortcuts', () => {
  // the reference: every needle of every secret tried in turn, longest first, as masking was
  // before the one-scan matcher, the first-character skip and the rescans around replacements
  function referenceMask(words: Array<[string, string]>, text: string): string {
    const pairs: Array<[string, string]> = []
    for (const [w, masked] of words)
      pairs.push([`'${w.replace(/'/g, `'\\''`)}'`, masked], [JSON.stringify(w).slice(1, -1), masked], [w, masked])
    const unique = [...new Map(pairs.filter(([n]) => n !== '')).entries()].sort((a, b) => b[0].length - a[0].length)
    let out = text
    for (const [needle, masked] of unique) if (out.includes(needle)) out = out.split(needle).join(masked)
    return out
  }

  it('masks as trying every needle in turn would, also where a replacement makes or breaks a later one', () => {
    let seed = 11
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % n
    }
    const alphabet = 'ab\'=*K\\"\n'
    const word = (max: number) =>
      Array.from({length: 1 + random(max)}, () => alphabet[random(alphabet.length)]).join('')
    const keywords: KeywordSpec[] = [
      {name: 'environment', type: 'list', secret: 'values', help: ''},
      {name: 'token', secret: true, help: ''},
    ]
    for (let round = 0; round < 400; round++) {
      const env = Array.from({length: random(3)}, () => `K${random(3)}=${word(3)}`)
      const token = word(4)
      const mask = secretMasker({resources: [{kw: {environment: env, token}, driver: {keywords}}]})
      const words: Array<[string, string]> = [
        ...env.map((e): [string, string] => [e, `${e.slice(0, e.indexOf('='))}=***`]),
        [token, '***'],
      ]
      for (let t = 0; t < 10; t++) {
        const text = Array.from({length: random(6)}, () =>
          random(2) ? word(5) : [...env, token][random(env.length + 1)],
        ).join(random(2) ? ' ' : '')
        expect(mask(text), JSON.stringify({env, token, text})).to.equal(referenceMask(words, text))
      }
    }
    // a shorter needle the replacement of a longer one makes: found in the text around it
    const mask = secretMasker({
      resources: [
        {
          kw: {environment: ['K1=ab'], token: '*b'},
          driver: {keywords},
        },
      ],
    })
    expect(mask('x K1=abb')).to.equal('x K1=*****')
    expect(mask('x K1=abb')).to.equal(
      referenceMask(
        [
          ['K1=ab', 'K1=***'],
          ['*b', '***'],
        ],
        'x K1=abb',
      ),
    )
  })

  it('agrees with the reference whichever finder it picks: few or many first characters, few or many lengths', () => {
    let seed = 5
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % n
    }
    const keywords: KeywordSpec[] = [{name: 'token', type: 'list', secret: true, help: ''}]
    // one first character, 2 lengths (the indexOf hops); 9 first characters (the scan of each);
    // one first character, 40 lengths (Aho-Corasick)
    const shapes: Array<() => string> = [
      () => `x${'ab'.repeat(1 + random(2))}`,
      () => `${'abcdefghi'[random(9)]}${'ab'[random(2)]}`,
      () => `x${'a'.repeat(random(40))}b`,
    ]
    for (const shape of shapes)
      for (let round = 0; round < 60; round++) {
        const tokens = [...new Set(Array.from({length: 2 + random(30)}, shape))]
        const mask = secretMasker({resources: [{kw: {token: tokens}, driver: {keywords}}]})
        const words: Array<[string, string]> = [
          ...tokens.map((t): [string, string] => [t, '***']),
          [tokens.join(' '), '***'],
        ]
        for (let t = 0; t < 5; t++) {
          const text = Array.from({length: random(8)}, () =>
            random(3) ? tokens[random(tokens.length)] : shape(),
          ).join(random(2) ? ' ' : '')
          expect(mask(text), JSON.stringify({tokens, text})).to.equal(referenceMask(words, text))
        }
      }
  })

  it("leaves a text holding no needle's first character as it is", () => {
    const mask = secretMasker({
      resources: [{kw: {token: 'Zebra'}, driver: {keywords: [{name: 'token', secret: true, help: ''}]}}],
    })
    expect(mask('ip link set eth0 up')).to.equal('ip link set eth0 up')
    expect(mask('a Zebra, a zebra')).to.equal('a ***, a zebra')
  })
})
