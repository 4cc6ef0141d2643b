// Capabilities: drivers declare what a resource provides and needs, the core matches them into
// start-order edges. No driver names another: a second container driver, unknown to the fs and
// ip plugins, gets its edges with them by declaring the same capabilities.
import {expect} from 'chai'
import type {Driver} from '../../src/drivers/api.js'
import {DriverRegistry} from '../../src/drivers/registry.js'
import type {Service} from '../../src/model/service.js'
import {declaredEdges} from '../../src/planner/dependencies.js'
import {buildPlan} from '../../src/planner/plan.js'
import {fake, FakeHost, realRegistration} from './fixtures/fake-drivers.js'
import {compileFixture} from './fixtures/services.js'

/** A third-party container driver: its own keywords, its namespace and its data folder declared as capabilities. */
function otherContainer(host: FakeHost): Driver {
  return {
    ...fake(
      'container',
      'other',
      [
        {name: 'image', required: true, help: 'image'},
        {name: 'data_dir', help: 'where its data lives'},
      ],
      host,
    ),
    provides: res => [`netns:${res.rid}`],
    needs: res =>
      typeof res.kw.data_dir === 'string'
        ? [{capability: `path:${res.kw.data_dir}`, reason: `holds the data of ${res.rid}`}]
        : [],
  }
}

function compile(sections: object, extra: readonly Driver[] = []): Service {
  const host = new FakeHost()
  const registry = new DriverRegistry()
  registry.add('real', realRegistration(host).registration)
  registry.add('third-party', {drivers: [otherContainer(host), ...extra]})
  expect(registry.problems).to.deep.equal([])
  return compileFixture(JSON.stringify(sections), 's', registry)
}

const edges = (svc: Service) =>
  svc.resources.flatMap(r => declaredEdges(svc, r)).map(d => `${d.before}->${d.after} (${d.reason})`)
const order = (svc: Service, action: 'start' | 'stop', rids?: string[]) =>
  buildPlan(svc, action, rids ? {rids} : {}).tasks.map(t => t.rid)

describe('capabilities: provides and needs matched by the core', () => {
  const OTHER = {
    'container#1': {type: 'other', image: 'pause', data_dir: '/srv/other/data'},
    'ip#1': {type: 'netns', netns: 'container#1', ipdev: 'eth0', ipname: '10.0.0.5', mode: 'macvlan'},
    'fs#1': {type: 'ext4', dev: '/dev/loop1', mnt: '/srv/other'},
    'fs#2': {type: 'ext4', dev: '/dev/loop2', mnt: '/srv/oth'},
  }

  it('a second container driver gets its edges with an ip.netns and an fs holding its data, no plugin changed', () => {
    const svc = compile(OTHER)
    expect(edges(svc)).to.have.members([
      'fs#1->container#1 (holds the data of container#1)',
      'container#1->ip#1 (netns owner)',
    ])
    expect(order(svc, 'start')).to.deep.equal(['fs#1', 'fs#2', 'container#1', 'ip#1'])
    expect(order(svc, 'stop')).to.deep.equal(['ip#1', 'container#1', 'fs#2', 'fs#1'])
    // starting the address alone brings its namespace holder, and that holder's filesystem
    expect(buildPlan(svc, 'start', {rids: ['ip#1']}).added.map(a => `${a.rid}: ${a.reason}`)).to.deep.equal([
      'container#1: netns owner: container#1 starts before ip#1',
      'fs#1: holds the data of container#1: fs#1 starts before container#1',
    ])
  })

  it('an ip.netns in a container that offers no namespace is refused at validation, naming it', () => {
    const host = new FakeHost()
    const bare: Driver = fake('container', 'bare', [{name: 'image', required: true, help: 'image'}], host)
    expect(() => compile({'container#1': {type: 'bare', image: 'x'}, 'ip#1': OTHER['ip#1']}, [bare])).to.throw(
      /ip#1\.netns: container#1 \(a container\.bare\) has no network namespace to offer/,
    )
  })

  it('a private dockerd needs the folder of docker_data_dir: the nearest enclosing mount starts first', () => {
    const svc = compile({
      DEFAULT: {docker_data_dir: '/srv/x/appdata/docker'},
      'container#1': {type: 'docker', image: 'x'},
      'container#2': {type: 'other', image: 'y'},
      'fs#1': {type: 'ext4', dev: '/dev/loop1', mnt: '/srv/x'},
      'fs#2': {type: 'xfs', dev: '/dev/loop2', mnt: '/srv/x/appdata/'},
      'fs#3': {type: 'ext4', dev: '/dev/loop3', mnt: '/srv/x/app'},
    })
    expect(edges(svc)).to.have.members([
      "fs#1->fs#2 (mounted below fs#1's /srv/x)",
      "fs#1->fs#3 (mounted below fs#1's /srv/x)",
      'fs#2->container#1 (holds docker_data_dir /srv/x/appdata/docker)',
    ])
    expect(svc.providers('path:/srv/x/appdata/docker')[0].rid).to.equal('fs#2')
  })

  it('matches a path by the longest prefix, trailing-slash safe, never the resource itself nor a disabled one', () => {
    const svc = compile({
      'fs#1': {type: 'ext4', dev: '/dev/loop1', mnt: '/opt/x'},
      'fs#2': {type: 'ext4', dev: '/dev/loop2', mnt: '/opt/x/appdata/'},
      'fs#3': {type: 'ext4', dev: '/dev/loop3', mnt: '/opt/x/appdata/logs', disable: 'true'},
    })
    const rids = (c: string, except?: string) => svc.providers(c, except).map(r => r.rid)
    expect(rids('path:/opt/x/appdata')).to.deep.equal(['fs#2'])
    expect(rids('path:/opt/x/appdata/logs/today')).to.deep.equal(['fs#2'])
    expect(rids('path:/opt/x/applications')).to.deep.equal(['fs#1'])
    expect(rids('path:/opt/xy')).to.deep.equal([])
    expect(rids('path:/opt/x/appdata', 'fs#2')).to.deep.equal(['fs#1'])
    expect(rids('path:relative')).to.deep.equal([])
    // not normal as written: normalized before the match
    expect(rids('path:/opt//x/./appdata/')).to.deep.equal(['fs#2'])
    expect(rids('path:/opt/x/appdata/../logs')).to.deep.equal(['fs#1'])
    expect(rids('path:/opt/x/.cache')).to.deep.equal(['fs#1'])
    expect(rids('path: /opt/x/appdata ')).to.deep.equal(['fs#2'])
    expect(rids('path:/')).to.deep.equal([])
    // other kinds match exactly; a need nothing meets makes no edge (the driver's validate says what is missing)
    expect(rids('vg:data')).to.deep.equal([])
    expect(svc.provided('fs#3')).to.deep.equal(['path:/opt/x/appdata/logs'])
  })

  it("users follow joiners: a prepared namespace's users include those that joined a joiner", () => {
    const svc = compile({
      'container#1': {type: 'docker', image: 'pause'},
      'container#2': {type: 'docker', image: 'a', netns: 'container#1'},
      'container#3': {type: 'docker', image: 'b', netns: 'container#2'},
      'container#4': {type: 'docker', image: 'c', netns: 'container#3', disable: 'true'},
      'ip#1': {type: 'netns', netns: 'container#1', ipdev: 'eth0', ipname: '10.0.0.5'},
    })
    // ip#1 prepares the namespace: it is not one of its users; the disabled container#4 is not either
    expect(svc.users('netns:container#1').map(r => r.rid)).to.deep.equal(['container#2', 'container#3'])
    expect(edges(svc)).to.include.members([
      'ip#1->container#2 (ip plumbed in the netns)',
      'ip#1->container#3 (ip plumbed in the netns)',
    ])
    expect(order(svc, 'start')).to.deep.equal(['container#1', 'ip#1', 'container#2', 'container#3'])
  })

  it('keeps dependencies() working next to needs()', () => {
    const host = new FakeHost()
    const legacy: Driver = {
      ...fake('app', 'legacy', [{name: 'after', help: 'a rid'}], host),
      dependencies: res =>
        typeof res.kw.after === 'string'
          ? [{before: res.kw.after, after: res.rid, reason: 'declared the old way'}]
          : [],
    }
    const svc = compile(
      {
        'app#1': {type: 'legacy'},
        'app#2': {type: 'legacy', after: 'fs#1'},
        'fs#1': {type: 'ext4', dev: '/dev/loop1', mnt: '/srv/legacy'},
      },
      [legacy],
    )
    expect(edges(svc)).to.deep.equal(['fs#1->app#2 (declared the old way)'])
  })
})
