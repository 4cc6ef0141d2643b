// container.docker readiness helpers: the engine's health status as status reads it (inspect or
// list row), and what --dry-run says of each probe.
import {expect} from 'chai'
import type Dockerode from 'dockerode'
import {dockerReadiness, healthReadiness, listedHealth} from '../../src/drivers/readiness.js'

const inspect = (health?: object, test: string[] = ['CMD', 'true']) =>
  ({
    Id: 'x',
    Config: {Healthcheck: {Test: test}},
    State: {Running: true, Pid: 1, ...(health ? {Health: health} : {})},
    HostConfig: {NetworkMode: 'none'},
  }) as unknown as Dockerode.ContainerInspectInfo

describe('container.docker readiness', () => {
  it('reads the engine health from an inspect: healthy, or why not with the last check', () => {
    expect(healthReadiness(inspect({Status: 'healthy', Log: []}))).to.deep.equal({ready: true, detail: 'healthy'})
    expect(healthReadiness(inspect({Status: 'starting', Log: [{ExitCode: 1, Output: 'no file\n'}]}))).to.deep.equal({
      ready: false,
      detail: 'starting (last check exit code 1: no file)',
    })
    // no HEALTHCHECK (or HEALTHCHECK NONE): nothing to say
    expect(healthReadiness(inspect())).to.equal(undefined)
    expect(healthReadiness(inspect({Status: 'healthy'}, ['NONE']))).to.equal(undefined)
  })

  it('reads it from a list row when status had only the list', () => {
    expect(listedHealth({Status: 'Up 3 seconds (healthy)'})).to.deep.equal({ready: true, detail: 'healthy'})
    expect(listedHealth({Status: 'Up 1 second (health: starting)'})).to.deep.equal({ready: false, detail: 'starting'})
    expect(listedHealth({Status: 'Up 9 minutes (unhealthy)'})).to.deep.equal({ready: false, detail: 'unhealthy'})
    expect(listedHealth({Status: 'Up 2 hours'})).to.equal(undefined)
  })

  it('describes each probe for --dry-run', () => {
    const res = {kw: {netns: undefined}} as never
    const d = (p: Parameters<NonNullable<typeof dockerReadiness.describe>>[0]) =>
      dockerReadiness.describe!(p, res, {} as never)
    expect(d({kind: 'tcp', text: 'tcp:6379', port: 6379})).to.equal(
      "connect to port 6379 (where it listens) in the container's network namespace",
    )
    expect(d({kind: 'http', text: 'http://10.0.0.1:80/x', host: '10.0.0.1', port: 80, path: '/x'})).to.equal(
      "GET /x on 10.0.0.1:80 in the container's network namespace answers 2xx/3xx",
    )
    expect(d({kind: 'exec', text: 'exec:redis-cli ping', argv: ['redis-cli', 'ping']})).to.equal(
      'redis-cli ping exits 0 inside the container (docker exec)',
    )
  })
})
