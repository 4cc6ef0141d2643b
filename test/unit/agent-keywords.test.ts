// The node agent's keywords: restart, restart_delay, monitor on every resource section (the
// Resource fields restart, restartDelay, monitor), monitor_interval and orchestrate in DEFAULT;
// bad values refused naming the keyword.
import {expect} from 'chai'
import {ConfigError} from '../../src/errors.js'
import {compileFixture} from './fixtures/services.js'

const base = '[container#1]\ntype = docker\nimage = nginx\n'

describe('agent keywords', () => {
  it('defaults: restart 0, restart_delay 500ms, monitor false; monitor_interval 10s, orchestrate no', () => {
    const s = compileFixture(base, 'ak')
    const r = s.resource('container#1')!
    expect({restart: r.restart, restartDelay: r.restartDelay, monitor: r.monitor}).to.deep.equal({
      restart: 0,
      restartDelay: 500,
      monitor: false,
    })
    expect(r.kw).not.to.have.property('restart')
    expect(s.kw.monitor_interval).to.equal(10_000)
    expect(s.kw.orchestrate).to.equal('no')
  })

  it('reads the values given', () => {
    const s = compileFixture(
      `[DEFAULT]\nmonitor_interval = 2s\norchestrate = start\n\n${base}restart = 3\nrestart_delay = 1s\nmonitor = true\n`,
      'ak',
    )
    const r = s.resource('container#1')!
    expect({restart: r.restart, restartDelay: r.restartDelay, monitor: r.monitor}).to.deep.equal({
      restart: 3,
      restartDelay: 1000,
      monitor: true,
    })
    expect(s.kw.monitor_interval).to.equal(2000)
    expect(s.kw.orchestrate).to.equal('start')
    expect(compileFixture(`[DEFAULT]\norchestrate = ha\n\n${base}`, 'ak').kw.orchestrate).to.equal('ha')
  })

  for (const [text, message] of [
    [`${base}restart = -1`, 'container#1.restart: expected an integer >= 0, got "-1"'],
    [`${base}restart = two`, 'container#1.restart: expected an integer, got "two"'],
    [
      `${base}restart_delay = soon`,
      'container#1.restart_delay: expected a duration like 10s, 1m30s or 500ms, got "soon"',
    ],
    [`${base}monitor = maybe`, 'container#1.monitor: expected true or false, got "maybe"'],
    [`[DEFAULT]\nmonitor_interval = 0\n\n${base}`, 'DEFAULT.monitor_interval: expected a duration > 0, got "0"'],
    [`[DEFAULT]\norchestrate = always\n\n${base}`, 'DEFAULT.orchestrate: expected one of no, ha, start, got "always"'],
  ])
    it(`refuses ${JSON.stringify(text.split('\n').find(l => /restart|monitor|orchestrate/.test(l)))}`, () => {
      expect(() => compileFixture(text, 'ak'))
        .to.throw(ConfigError)
        .with.property('message', message)
    })
})
