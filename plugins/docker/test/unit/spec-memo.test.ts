// A resource's fingerprint and create line are computed once per compiled resource, and
// still answer as computed afresh: per service name and id, per cgroup driver, per formatter.
import {expect} from 'chai'
import {compileConfig, type Registrations, type Service} from 'svcmgr/testing'
import type {Resource} from 'svcmgr'
import {registration} from '../../src/hooks/drivers.js'
import type {DockerKeywords} from '../../src/drivers/container-docker.keywords.js'
import {fingerprintLabel, fingerprintOf} from '../../src/drivers/fingerprint.js'
import {cliArgs, containerSpec, createLine, resourceFingerprint, unlabelledSpec} from '../../src/drivers/spec.js'

const REGISTRATIONS: Registrations = [{plugin: '@svcmgr/plugin-docker', registration}]
const CONFIG = {
  DEFAULT: {id: 'fd1196ad-fbf1-49bb-ab52-12ed2a1fbf0e'},
  'container#1': {type: 'docker', image: 'google/pause', run_command: 'sleep 1000'},
  'container#2': {type: 'docker', image: 'redis', netns: 'container#1', run_args: '-e A=1 --init'},
}
const compile = (name = 'svc2') => compileConfig(CONFIG, REGISTRATIONS, {name, nodename: 'deb1'})
const res = (svc: Service, rid: string) => svc.resource(rid) as unknown as Resource<DockerKeywords>

describe('container.docker spec memo', () => {
  it('gives the same spec for the same resource, service and cgroup driver, as computed afresh', () => {
    const svc = compile()
    const r = res(svc, 'container#2')
    const a = containerSpec(r, svc, 'cgroupfs')
    expect(containerSpec(r, svc, 'cgroupfs')).to.deep.equal(a)
    expect(resourceFingerprint(r, svc)).to.equal(resourceFingerprint(r, svc))
    // another compile of the same config: other objects, the same spec
    const again = compile()
    expect(containerSpec(res(again, 'container#2'), again, 'cgroupfs')).to.deep.equal(a)
    // the cgroup driver changes the spec (its cgroup parent), never the fingerprint
    const systemd = containerSpec(r, svc, 'systemd')
    expect(systemd.cgroupParent).to.equal(undefined)
    expect(a.cgroupParent).to.match(/^\/svcmgr\.slice\/svc2\.slice/)
    expect(systemd.labels).to.deep.equal(a.labels)
    expect(resourceFingerprint(r, svc)).to.deep.equal(fingerprintOf(unlabelledSpec(r, svc, 'cgroupfs')))
  })

  it('a fingerprint first computed by a spec for an engine is the one computed without a cgroup driver', () => {
    // containerSpec fills the memo from its own spec (with a cgroup parent, which no facet counts)
    const svc = compile()
    const r = res(svc, 'container#2')
    const spec = containerSpec(r, svc, 'cgroupfs')
    const fresh = fingerprintOf(unlabelledSpec(res(compile(), 'container#2'), svc, undefined))
    expect(resourceFingerprint(r, svc)).to.deep.equal(fresh)
    expect(spec.labels['com.svcmgr.fingerprint']).to.equal(fingerprintLabel(fresh))
  })

  it('answers anew for another service name or id given the same resource', () => {
    const svc = compile()
    const r = res(svc, 'container#2')
    const a = containerSpec(r, svc, 'cgroupfs')
    const renamed = {name: 'svc3', id: svc.id}
    const b = containerSpec(r, renamed, 'cgroupfs')
    expect(b.name).to.equal('svc3.container.2')
    expect(b.networkMode).to.equal('container:svc3.container.1')
    expect(b.labels['com.svcmgr.service']).to.equal('svc3')
    const otherId = {name: 'svc2', id: '00000000-0000-4000-8000-000000000001'}
    expect(containerSpec(r, otherId, 'cgroupfs').labels['com.svcmgr.id']).to.equal(otherId.id)
    // and back: the first service's spec again
    expect(containerSpec(r, svc, 'cgroupfs')).to.deep.equal(a)
  })

  it("formats the create line once, with the asking service's formatter, as formatting afresh would", () => {
    const svc = compile()
    const r = res(svc, 'container#1')
    const fresh = svc.formatCommandLine(['docker', ...cliArgs(containerSpec(r, svc, 'cgroupfs'), 'run')])
    expect(createLine(r, svc, 'cgroupfs', ['docker'], 'run')).to.equal(fresh)
    expect(createLine(r, svc, 'cgroupfs', ['docker'], 'run')).to.equal(fresh)
    expect(createLine(r, svc, 'cgroupfs', ['docker', '-H', 'unix:///x.sock'], 'create')).to.match(
      /^docker -H unix:\/\/\/x\.sock create --name=svc2\.container\.1 /,
    )
    // another view of the service (its own formatter) is not given the first one's line
    const other = {name: svc.name, id: svc.id, formatCommandLine: (w: readonly string[]) => `[${w.length} words]`}
    expect(createLine(r, other, 'cgroupfs', ['docker'], 'run')).to.match(/^\[\d+ words\]$/)
  })
})
