// The container.docker manifest, validation, dependencies and dry-run descriptions, through
// the core's own compileService (no engine involved).
import {expect} from 'chai'
import {
  buildPlan,
  compileConfig,
  configProblems,
  documentToIni,
  maskPlan,
  normalizeDocument,
  parseDocument,
  type Registrations,
  registryOf,
  secretMasker,
  type Service,
} from 'svcmgr/testing'
import {registration} from '../../src/hooks/drivers.js'
import {dockerDriver} from '../../src/drivers/container-docker.js'
import {resourceEdges} from 'svcmgr/testing'
import type {DockerKeywords} from '../../src/drivers/container-docker.keywords.js'
import {cliArgs, containerSpec, createOptions} from '../../src/drivers/spec.js'
import type {Resource} from 'svcmgr'

const SVC2 = {
  DEFAULT: {id: 'fd1196ad-fbf1-49bb-ab52-12ed2a1fbf0e'},
  'container#1': {image: 'google/pause', run_command: '/bin/sh', type: 'docker'},
  'container#2': {image: 'nginx', netns: 'container#1', type: 'docker'},
  'container#3': {image: 'redis', netns: 'container#1', type: 'docker'},
}

const REGISTRATIONS: Registrations = [{plugin: '@svcmgr/plugin-docker', registration}]

const registry = () => registryOf(REGISTRATIONS)
const compile = (config: object | string, name = 'svc2') =>
  compileConfig(config, REGISTRATIONS, {name, nodename: 'deb1'})
const problems = (config: object | string) => configProblems(config, REGISTRATIONS, {name: 'svc2', nodename: 'deb1'})

const res = (svc: Service, rid: string) => svc.resource(rid) as unknown as Resource<DockerKeywords>

describe('container.docker keywords', () => {
  it("compiles the seed's svc2 containers with typed, defaulted keywords", () => {
    const svc = compile(SVC2)
    const c1 = res(svc, 'container#1')
    expect(c1.type).to.equal('docker')
    expect(c1.kw).to.include({
      image: 'google/pause',
      rm: false,
      privileged: false,
      interactive: false,
      tty: false,
      start_timeout: 60_000,
      stop_timeout: 10_000,
      image_pull_policy: 'once',
    })
    expect(c1.kw.run_command).to.deep.equal(['/bin/sh'])
    expect(c1.kw.netns).to.equal(undefined)
    expect(res(svc, 'container#3').kw.netns).to.equal('container#1')
  })

  it('accepts the aliases command and net', () => {
    const svc = compile({
      'container#1': {type: 'docker', image: 'a'},
      'container#2': {type: 'docker', image: 'b', command: 'sleep "1 2"', net: 'container#1'},
    })
    expect(res(svc, 'container#2').kw.run_command).to.deep.equal(['sleep', '1 2'])
    expect(res(svc, 'container#2').kw.netns).to.equal('container#1')
  })

  it('parses durations, bools and lists', () => {
    const svc = compile({
      'container#1': {
        type: 'docker',
        image: 'a',
        rm: 'yes',
        start_timeout: '1m30s',
        stop_timeout: '2',
        environment: 'A=1 "B=x y"',
        volume_mounts: '/srv:/data:ro vol:/v',
        run_args: '-e C=3 --init -it',
      },
    })
    const kw = res(svc, 'container#1').kw
    expect(kw.rm).to.equal(true)
    expect(kw.start_timeout).to.equal(90_000)
    expect(kw.stop_timeout).to.equal(2000)
    expect(kw.environment).to.deep.equal(['A=1', 'B=x y'])
    expect(kw.volume_mounts).to.deep.equal(['/srv:/data:ro', 'vol:/v'])
  })

  it('refuses bad values naming section.keyword', () => {
    const p = problems({
      'container#1': {
        type: 'docker',
        image: 'a',
        rm: 'maybe',
        stop_timeout: 'soon',
        netns: 'eth0',
        image_pull_policy: 'never',
        environment: 'NOEQUAL',
        volume_mounts: 'relative',
        run_args: '--network host',
      },
    })
    expect(p).to.have.length(7)
    expect(p[0]).to.match(/^container#1\.rm: expected true or false, got "maybe"/)
    expect(p.find(x => x.startsWith('container#1.stop_timeout:'))).to.match(/expected a duration/)
    expect(p.find(x => x.startsWith('container#1.netns:'))).to.equal(
      'container#1.netns: expected container#<n>, host or none, got "eth0"',
    )
    expect(p.find(x => x.startsWith('container#1.image_pull_policy:'))).to.match(/one of once, always/)
    expect(p.find(x => x.startsWith('container#1.environment:'))).to.match(/KEY=VALUE/)
    expect(p.find(x => x.startsWith('container#1.volume_mounts:'))).to.match(/SOURCE:\/DEST/)
    expect(p.find(x => x.startsWith('container#1.run_args:'))).to.match(/use the netns keyword/)
  })

  it('requires image', () => {
    expect(problems({'container#1': {type: 'docker'}})).to.deep.equal([
      'container#1.image: required keyword missing (' + dockerDriver.keywords[0].help + ')',
    ])
  })

  it('refuses run_args it cannot map faithfully', () => {
    expect(problems({'container#1': {type: 'docker', image: 'a', run_args: '--memory 1g'}})[0]).to.match(
      /^container#1\.run_args: expected docker run options among .* \(not "--memory"\)/,
    )
    expect(problems({'container#1': {type: 'docker', image: 'a', run_args: '--name x'}})[0]).to.match(
      /svcmgr does not set itself/,
    )
    expect(problems({'container#1': {type: 'docker', image: 'a', run_args: 'nginx'}})[0]).to.match(/is not an option/)
  })

  it('registers the private-engine DEFAULT keywords', () => {
    const svc = compile({
      DEFAULT: {docker_data_dir: '/opt/busybox/appdata', docker_daemon_args: '--ip 37.59.71.25'},
      'container#1': {type: 'docker', image: 'a'},
    })
    expect(svc.defaults.docker_data_dir).to.equal('/opt/busybox/appdata')
    expect(
      problems({
        DEFAULT: {docker_data_dir: 'relative', docker_daemon_private: 'perhaps'},
        'container#1': {type: 'docker', image: 'a'},
      }),
    ).to.deep.equal([
      'DEFAULT.docker_data_dir: expected an absolute path, got "relative"',
      'DEFAULT.docker_daemon_private: expected true or false, got "perhaps"',
    ])
  })

  it('orders print config like the seed: type, image, run_command, netns', () => {
    const doc = parseDocument(
      JSON.stringify({
        'container#2': {netns: 'container#1', type: 'docker', image: 'nginx', rm: 'true'},
        'container#1': {run_command: '/bin/sh', image: 'google/pause', type: 'docker'},
      }),
      'svc2',
      'test',
    )
    const text = documentToIni(normalizeDocument(doc, registry()))
    expect(text).to.contain('[container#1]\ntype = docker\nimage = google/pause\nrun_command = /bin/sh\n')
    expect(text).to.contain('[container#2]\ntype = docker\nimage = nginx\nnetns = container#1\nrm = true\n')
  })
})

describe('container.docker validate and dependencies', () => {
  it('refuses a netns naming no container of the service, or itself', () => {
    expect(problems({...SVC2, 'container#2': {type: 'docker', image: 'nginx', netns: 'container#9'}})).to.deep.equal([
      'container#2.netns: expected a container resource of this service, got "container#9"',
    ])
    expect(problems({'container#1': {type: 'docker', image: 'a', netns: 'container#1'}})).to.deep.equal([
      'container#1.netns: expected a container resource of this service, got "container#1"',
    ])
  })

  it('refuses netns cycles and hostname with a shared netns', () => {
    const p = problems({
      'container#1': {type: 'docker', image: 'a', netns: 'container#2'},
      'container#2': {type: 'docker', image: 'b', netns: 'container#1', hostname: 'web'},
    })
    expect(p).to.include(
      'container#1.netns: the network namespace owners form a cycle (container#1 -> container#2 -> container#1)',
    )
    expect(p).to.include(
      "container#2.hostname: not allowed with netns = container#1 (the container takes container#1's hostname with its network namespace)",
    )
  })

  it('names the cycle a chain runs into from each container on it or leading to it, and accepts a long chain that ends', () => {
    const config: Record<string, object> = {'container#1': {type: 'docker', image: 'a'}}
    // container#2..#3000: each joins the previous one; the chain ends at container#1
    for (let i = 2; i <= 3000; i++) config[`container#${i}`] = {type: 'docker', image: 'a', netns: `container#${i - 1}`}
    // container#3001 -> #3002 -> #3003 -> #3002, and #3004 -> #3003 leads into it
    config['container#3001'] = {type: 'docker', image: 'a', netns: 'container#3002'}
    config['container#3002'] = {type: 'docker', image: 'a', netns: 'container#3003'}
    config['container#3003'] = {type: 'docker', image: 'a', netns: 'container#3002'}
    config['container#3004'] = {type: 'docker', image: 'a', netns: 'container#3003'}
    expect(problems(config)).to.deep.equal([
      'container#3001.netns: the network namespace owners form a cycle (container#3001 -> container#3002 -> container#3003 -> container#3002)',
      'container#3002.netns: the network namespace owners form a cycle (container#3002 -> container#3003 -> container#3002)',
      'container#3003.netns: the network namespace owners form a cycle (container#3003 -> container#3002 -> container#3003)',
      'container#3004.netns: the network namespace owners form a cycle (container#3004 -> container#3003 -> container#3002 -> container#3003)',
    ])
  })

  it('makes the netns owner start first', () => {
    const svc = compile(SVC2)
    expect(resourceEdges(svc, 'container#1')).to.deep.equal([])
    expect(resourceEdges(svc, 'container#3')).to.deep.equal([
      // joining a namespace needs its owner started, not ready
      {before: 'container#1', after: 'container#3', reason: 'netns owner', gate: 'started'},
    ])
  })

  it("labels like the seed's status", () => {
    const svc = compile(SVC2)
    expect(dockerDriver.label(res(svc, 'container#1'), svc)).to.equal('docker container svc2.container.1@google/pause')
  })
})

describe('container.docker describe (dry run)', () => {
  const svc = compile({...SVC2, 'container#3': {type: 'docker', image: 'redis:3.0', netns: 'container#1', rm: 'true'}})

  it('start: docker start, else pull and docker run like the seed', () => {
    const lines = dockerDriver.describe('start', res(svc, 'container#3'), svc)
    expect(lines[0]).to.equal(
      'check that a container named svc2.container.3, if any, is labelled for this service, its id and container#3 (else fail: it is not ours)',
    )
    expect(lines[1]).to.equal('check that the netns owner container#1 (container svc2.container.1) is ours and runs')
    expect(lines[2]).to.equal('docker start svc2.container.3  (when the container exists and is stopped)')
    expect(lines[3]).to.equal('docker pull redis:3.0  (when the image is absent)')
    expect(lines[4]).to.match(
      /^docker run -d --name=svc2\.container\.3 --net=container:svc2\.container\.1 --cgroup-parent \/svcmgr\.slice\/svc2\.slice\/container\.slice\/container\.3\.slice --label=com\.svcmgr\.service=svc2 --label=com\.svcmgr\.rid=container#3 --label=com\.svcmgr\.id=fd1196ad-fbf1-49bb-ab52-12ed2a1fbf0e --label=com\.svcmgr\.image=redis:3\.0 '--label=com\.svcmgr\.fingerprint=v1 image=[0-9a-f]{8} [^']*' redis:3\.0 {2}\(when the container does not exist/,
    )
    expect(lines[5]).to.match(/^wait for up status \(at most 60s\)/)
    expect(dockerDriver.describe('start', res(svc, 'container#1'), svc)[3]).to.match(
      /--net=none .* google\/pause \/bin\/sh {2}/,
    )
  })

  it("masks run_args' -e/--env values as environment's, and no other run_args word", () => {
    const secretive = compile({
      ...SVC2,
      'container#2': {
        type: 'docker',
        image: 'nginx',
        environment: 'A=env-sig',
        run_args: '-e B=dash-e-sig --env=C=long-sig -eD=joined-sig -l tier=web-label',
      },
    })
    const run = buildPlan(secretive, 'start')
      .tasks.find(t => t.rid === 'container#2')!
      .steps.find(l => l.startsWith('docker run'))!
    expect(run).to.include('-e B=dash-e-sig')
    const masked = maskPlan(buildPlan(secretive, 'start'), secretMasker(secretive))
    const line = masked.tasks.find(t => t.rid === 'container#2')!.steps.find(l => l.startsWith('docker run'))!
    expect(line).to.include('-e B=*** -e C=*** -e D=*** -e A=***')
    expect(line).to.include('--label=tier=web-label')
    expect(JSON.stringify(masked)).to.not.match(/env-sig|dash-e-sig|long-sig|joined-sig/)
  })

  it('stop: docker stop -t, docker rm when rm = true', () => {
    expect(dockerDriver.describe('stop', res(svc, 'container#3'), svc)).to.deep.equal([
      'docker stop -t 10 svc2.container.3  (when it runs)',
      'docker rm svc2.container.3',
      'wait for down status',
    ])
    expect(dockerDriver.describe('stop', res(svc, 'container#1'), svc)).to.deep.equal([
      'docker stop -t 10 svc2.container.1  (when it runs)',
      'wait for down status',
    ])
  })

  it('provision and unprovision', () => {
    expect(dockerDriver.describe('provision', res(svc, 'container#1'), svc)[1]).to.match(
      /^docker create --name=svc2\.container\.1 --net=none /,
    )
    expect(dockerDriver.describe('unprovision', res(svc, 'container#1'), svc)).to.deep.equal([
      'docker stop -t 10 svc2.container.1  (when it runs)',
      'docker rm svc2.container.1  (the image is kept)',
    ])
  })

  it('names the private engine with -H and its dockerd command line', () => {
    const p = compile(
      {
        DEFAULT: {docker_data_dir: '/opt/bb/appdata', docker_daemon_args: '--ip 37.59.71.25'},
        'container#1': {type: 'docker', image: 'opensvc/busybox:date'},
      },
      'bb',
    )
    const lines = dockerDriver.describe('start', res(p, 'container#1'), p)
    expect(lines[0]).to.equal(
      "start the service's docker daemon when it is not running: dockerd --data-root /opt/bb/appdata --exec-root /var/lib/svcmgr/var/bb/docker/exec -H unix:///var/lib/svcmgr/var/bb/docker/docker.sock --pidfile /var/lib/svcmgr/var/bb/docker/docker.pid --iptables=false --ip6tables=false --ip-masq=false --bridge=none --ip 37.59.71.25",
    )
    expect(lines[2]).to.equal(
      'docker -H unix:///var/lib/svcmgr/var/bb/docker/docker.sock start bb.container.1  (when the container exists and is stopped)',
    )
    expect(dockerDriver.describe('stop', res(p, 'container#1'), p).at(-1)).to.equal(
      "stop the service's docker daemon when no container runs in it any more",
    )
  })

  it('is pure: the same input describes the same way', () => {
    for (const action of ['start', 'stop', 'provision', 'unprovision'] as const)
      expect(dockerDriver.describe(action, res(svc, 'container#2'), svc)).to.deep.equal(
        dockerDriver.describe(action, res(svc, 'container#2'), svc),
      )
  })
})

describe('container.docker create request', () => {
  it('maps keywords and run_args onto the engine request and the docker run line alike', () => {
    const svc = compile({
      DEFAULT: {id: 'fd1196ad-fbf1-49bb-ab52-12ed2a1fbf0e'},
      'container#1': {
        type: 'docker',
        image: 'nginx',
        entrypoint: '/bin/sh -c',
        run_command: '"echo #1"',
        environment: 'A=1',
        volume_mounts: '/srv:/data:ro',
        run_args: '-e B=2 -l tier=web --cap-add NET_ADMIN -u 1000',
        privileged: 'true',
        tty: 'true',
        stop_timeout: '30s',
        hostname: 'web1',
      },
    })
    const spec = containerSpec(res(svc, 'container#1'), svc, 'systemd')
    const opts = createOptions(spec, 'sha256:0123')
    expect(opts).to.deep.include({
      name: 'svc2.container.1',
      // created from the id the name stood for at start; the name is its label
      Image: 'sha256:0123',
      Entrypoint: ['/bin/sh', '-c'],
      Cmd: ['echo #1'],
      Env: ['B=2', 'A=1'],
      User: '1000',
      Hostname: 'web1',
      Tty: true,
      StopTimeout: 30,
    })
    const fingerprint = opts.Labels?.['com.svcmgr.fingerprint']
    expect(fingerprint).to.match(/^v1 image=[0-9a-f]{8} entrypoint=[0-9a-f]{8} /)
    expect(opts.Labels).to.deep.equal({
      tier: 'web',
      'com.svcmgr.service': 'svc2',
      'com.svcmgr.rid': 'container#1',
      'com.svcmgr.id': 'fd1196ad-fbf1-49bb-ab52-12ed2a1fbf0e',
      'com.svcmgr.image': 'nginx',
      'com.svcmgr.fingerprint': fingerprint,
    })
    expect(opts.HostConfig).to.deep.include({
      NetworkMode: 'none',
      Binds: ['/srv:/data:ro'],
      CapAdd: ['NET_ADMIN'],
      Privileged: true,
    })
    expect(opts.HostConfig!.CgroupParent).to.equal(undefined) // systemd engines: none
    expect(cliArgs(spec, 'run').join(' ')).to.equal(
      `run -d --name=svc2.container.1 --net=none -e B=2 -e A=1 -v /srv:/data:ro --hostname=web1 --user=1000 --cap-add=NET_ADMIN --privileged -t --stop-timeout=30 --label=tier=web --label=com.svcmgr.service=svc2 --label=com.svcmgr.rid=container#1 --label=com.svcmgr.id=fd1196ad-fbf1-49bb-ab52-12ed2a1fbf0e --label=com.svcmgr.image=nginx --label=com.svcmgr.fingerprint=${fingerprint} --entrypoint=/bin/sh nginx -c echo #1`,
    )
    expect(cliArgs(spec, 'create', 'sha256:0123').join(' ')).to.match(/ --entrypoint=\/bin\/sh sha256:0123 -c echo #1$/)
  })
})
