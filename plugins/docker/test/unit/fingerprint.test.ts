// The fingerprint rules: which keyword changes count as drift, named one by one, and what does not.
import {createHash} from 'node:crypto'
import {expect} from 'chai'
import {compileConfig, type Registrations, type Service} from 'svcmgr/testing'
import type {Resource} from 'svcmgr'
import {registration} from '../../src/hooks/drivers.js'
import type {DockerKeywords} from '../../src/drivers/container-docker.keywords.js'
import {
  driftedKeywords,
  FINGERPRINT_KEYWORDS,
  fingerprintLabel,
  fingerprintOf,
  LABEL_FINGERPRINT,
  parseFingerprintLabel,
} from '../../src/drivers/fingerprint.js'
import {wantedFingerprint} from '../../src/drivers/observe.js'
import {containerSpec, createOptions} from '../../src/drivers/spec.js'

const REGISTRATIONS: Registrations = [{plugin: '@svcmgr/plugin-docker', registration}]
const ID = 'fd1196ad-fbf1-49bb-ab52-12ed2a1fbf0e'
const BASE = {type: 'docker', image: 'redis', netns: 'container#1'}

function service(c3: Record<string, string>): Service {
  return compileConfig(
    {
      DEFAULT: {id: ID},
      'container#1': {type: 'docker', image: 'google/pause'},
      'container#2': {type: 'docker', image: 'nginx'},
      'container#3': c3,
    },
    REGISTRATIONS,
    {name: 'svc2', nodename: 'deb1'},
  )
}
/** The id the image name stood for at create (not a fingerprint input). */
const IMAGE_ID = 'sha256:0123'
const res = (svc: Service, rid = 'container#3') => svc.resource(rid) as unknown as Resource<DockerKeywords>
/** The labels the engine would hold for container#3 made from `c3`. */
const madeFrom = (c3: Record<string, string>) =>
  createOptions(containerSpec(res(service(c3)), service(c3), 'cgroupfs'), IMAGE_ID).Labels ?? {}
const driftAfter = (before: Record<string, string>, after: Record<string, string>) =>
  driftedKeywords(madeFrom(before), wantedFingerprint(res(service(after)), service(after)))

describe('container.docker fingerprint', () => {
  it('is recorded as a label at create and reads back in sync', () => {
    const labels = madeFrom(BASE)
    expect(labels[LABEL_FINGERPRINT]).to.match(/^v1 image=[0-9a-f]{8} entrypoint=/)
    expect(Object.keys(parseFingerprintLabel(labels[LABEL_FINGERPRINT])!)).to.deep.equal([...FINGERPRINT_KEYWORDS])
    expect(driftAfter(BASE, BASE)).to.deep.equal([])
  })

  const cases: Array<[string, Record<string, string>, string[]]> = [
    ['image', {image: 'redis:3.0'}, ['image']],
    ['entrypoint', {entrypoint: '/bin/sh -c'}, ['entrypoint']],
    ['run_command', {run_command: 'redis-server --port 7000'}, ['run_command']],
    ['environment', {environment: 'A=1'}, ['environment']],
    ['run_args -e (environment)', {run_args: '-e A=1'}, ['environment']],
    ['volume_mounts', {volume_mounts: '/srv:/data'}, ['volume_mounts']],
    ['run_args --tmpfs (volume_mounts)', {run_args: '--tmpfs /run'}, ['volume_mounts']],
    ['netns owner', {netns: 'container#2'}, ['netns']],
    ['privileged', {privileged: 'true'}, ['privileged']],
    ['run_args --cap-add (privileged)', {run_args: '--cap-add NET_ADMIN'}, ['privileged']],
    ['user', {user: '1000'}, ['user']],
    ['cwd', {cwd: '/tmp'}, ['cwd']],
    ['tty', {tty: 'true'}, ['tty']],
    ['interactive', {interactive: 'true'}, ['interactive']],
    ['run_args --init', {run_args: '--init'}, ['run_args']],
    ['two at once', {image: 'redis:3.0', environment: 'A=1'}, ['image', 'environment']],
  ]
  for (const [what, change, drifted] of cases)
    it(`names ${drifted.join(', ')} when ${what} changes`, () => {
      expect(driftAfter(BASE, {...BASE, ...change})).to.deep.equal(drifted)
    })

  it('does not count what svcmgr passes at each action or the engine decides', () => {
    const unchanged: Record<string, string>[] = [
      {stop_timeout: '30s'},
      {start_timeout: '2m'},
      {image_pull_policy: 'always'},
      {rm: 'true'},
      {readiness_probe: 'tcp:6379'},
    ]
    for (const change of unchanged)
      expect(driftAfter(BASE, {...BASE, ...change}), JSON.stringify(change)).to.deep.equal([])
    // the cgroup parent depends on the engine's cgroup driver
    const svc = service(BASE)
    const a = fingerprintOf(containerSpec(res(svc), svc, 'cgroupfs'))
    const b = fingerprintOf(containerSpec(res(svc), svc, 'systemd'))
    expect(a).to.deep.equal(b)
  })

  it('each digest is the sha256 of its facet, also when facets are shared between containers', () => {
    // the per-facet memo: two containers differing in their environment only
    const a = service({...BASE, environment: 'TOKEN=a1'})
    const b = service({...BASE, environment: 'TOKEN=b2'})
    const fa = fingerprintOf(containerSpec(res(a), a, 'cgroupfs'))
    const fb = fingerprintOf(containerSpec(res(b), b, 'cgroupfs'))
    const sha = (facet: unknown) => createHash('sha256').update(JSON.stringify(facet)).digest('hex').slice(0, 8)
    expect(fa.environment).to.equal(sha(['TOKEN=a1']))
    expect(fb.environment).to.equal(sha(['TOKEN=b2']))
    expect(fb.image).to.equal(sha('redis'))
    expect(fb.netns).to.equal(sha('container:svc2.container.1'))
    for (const k of FINGERPRINT_KEYWORDS) if (k !== 'environment') expect(fb[k], k).to.equal(fa[k])
  })

  it('a container without the label, or with a label of another format, has no fingerprint: not drift', () => {
    const wanted = wantedFingerprint(res(service(BASE)), service(BASE))
    expect(driftedKeywords({'com.svcmgr.service': 'svc2'}, wanted)).to.equal(undefined)
    expect(driftedKeywords(null, wanted)).to.equal(undefined)
    expect(driftedKeywords({[LABEL_FINGERPRINT]: 'v0 image=00000000'}, wanted)).to.equal(undefined)
  })

  it('a keyword missing from a label counts as drifted; the label round-trips', () => {
    const wanted = wantedFingerprint(res(service(BASE)), service(BASE))
    const full = fingerprintLabel(wanted)
    expect(parseFingerprintLabel(full)).to.deep.equal(wanted)
    const withoutUser = full.replace(/ user=[0-9a-f]+/, '')
    expect(driftedKeywords({[LABEL_FINGERPRINT]: withoutUser}, wanted)).to.deep.equal(['user'])
  })

  it('keeps the label of containers made by earlier versions (the digests are stable)', () => {
    // google/pause, run_command = sleep 1000, netns none: the label svcmgr 0.x wrote (bench/scale.ts's containers)
    const svc = compileConfig(
      {DEFAULT: {id: ID}, 'container#1': {type: 'docker', image: 'google/pause', run_command: 'sleep 1000'}},
      REGISTRATIONS,
      {name: 'svc2', nodename: 'deb1'},
    )
    const label = createOptions(containerSpec(res(svc, 'container#1'), svc, 'cgroupfs'), IMAGE_ID).Labels?.[
      LABEL_FINGERPRINT
    ]
    expect(label).to.equal(
      'v1 image=75cb5e27 entrypoint=74234e98 run_command=0be6df09 environment=4f53cda1 volume_mounts=643d5437 netns=30a0924a privileged=78dc7642 hostname=74234e98 user=74234e98 cwd=74234e98 tty=fcbcf165 interactive=fcbcf165 run_args=2d615537',
    )
  })

  it('answers the same from its memo as computed afresh, for every container of a service', () => {
    // many containers sharing their facets, and one differing in each keyword: each reads its own
    const sections: Record<string, Record<string, string>> = {
      DEFAULT: {id: ID},
      'container#1': {type: 'docker', image: 'google/pause'},
    }
    for (let i = 2; i <= 40; i++) sections[`container#${i}`] = {...BASE, ...cases[i % cases.length][1]}
    const svc = compileConfig(sections, REGISTRATIONS, {name: 'svc2', nodename: 'deb1'})
    for (let i = 2; i <= 40; i++) {
      const r = res(svc, `container#${i}`)
      const made = createOptions(containerSpec(r, svc, 'cgroupfs'), IMAGE_ID).Labels ?? {}
      expect(driftedKeywords(made, wantedFingerprint(r, svc)), r.rid).to.deep.equal([])
      // against the base's label: exactly the keywords its change names (the label text differs: parsed)
      expect(driftedKeywords(madeFrom(BASE), wantedFingerprint(r, svc)), r.rid).to.deep.equal(
        cases[i % cases.length][2],
      )
    }
  })
})
