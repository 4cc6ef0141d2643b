// End to end, through the real CLI (node bin/run.js, built by `npm run build`): the seed's
// "Complex Orchestration" service (test/fixtures/busybox.conf), with its devices pointed at
// loop devices, its IP on a veth into a LAN namespace this test makes, its private docker
// daemon's data on fs#2 and its containers running the opensvc/busybox:date stand-in pulled
// from the test registry. Every step is checked on the host: /proc/self/mountinfo, `vgs`
// tags, the address on the veth (and answering pings from the namespace), the containers
// in the private daemon, the daemon process itself.
//
// What differs from the seed, and why: the volume group has no logical volume (this kernel
// has no device-mapper, so LVs cannot be activated): each filesystem is on its own loop
// device and the VG on a third; ip#1 is 198.51.100.x/24 on the veth (never a real
// interface); images come from the local registry; mount points live under a temp folder.
//
// Needs root and the test environment (bash scripts/testenv.sh up; eval "$(bash scripts/testenv.sh env)").
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {expect} from 'chai'
import {serviceDaemonSpec, stopDaemon} from '../../plugins/docker/src/engine/daemon.js'
import {testHostKit} from '../../src/testing/harness.js'

const HOST = testHostKit()
import {loopUnavailable, mountsOf, Scratch, sh, signature, tryRun} from '../../plugins/fs/test/support/scratch.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const BIN = path.join(ROOT, 'bin', 'run.js')
const REGISTRY = process.env.SVCMGR_TEST_REGISTRY ?? '127.0.0.1:5000'
const IMAGE = `${REGISTRY}/opensvc/busybox:date`
const FAILING = 'svcmgr/failing:latest'
const NODE = 'deb1.opensvc.com' // the seed's node: the VG gets its tag
const SVC = `busybox${process.pid}`
const NS = `sve${process.pid}`
const VETH = `sve${process.pid}h`
const PEER = `sve${process.pid}n`
const IP = `198.51.100.${20 + (process.pid % 200)}`
const GW = '198.51.100.1'
const unavailable = loopUnavailable()

interface Event {
  time: string
  level: string
  rid?: string
  state?: string
  message: string
}

interface ActionJson {
  ok: boolean
  error?: string
  tasks: Array<{rid: string; op: string; state: string; message?: string}>
  rollback: Array<{rid: string; description: string; ok: boolean; error?: string}>
  events: Event[]
}

interface StatusJson {
  avail: string
  resources: Record<string, {status: string; label: string; log: Array<{level: string; message: string}>}>
}

describe("e2e: the seed's busybox service (ip, vg, nested filesystems, private docker daemon, 7 containers in 3 subsets)", function () {
  this.timeout(180_000)
  this.bail(true)
  let scratch: Scratch
  let root: string
  let base: string
  let pv: string
  let dev1: string
  let dev2: string
  let vgName: string
  let failingTar: string

  const env = () => ({...process.env, SVCMGR_ROOT: root, SVCMGR_NODENAME: NODE, LVM_SUPPRESS_FD_WARNINGS: '1'})

  function cli(...args: string[]): {code: number; stdout: string; stderr: string} {
    const r = spawnSync(process.execPath, [BIN, ...args], {env: env(), encoding: 'utf8', timeout: 170_000})
    return {code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? ''}
  }

  function ok(...args: string[]): string {
    const r = cli(...args)
    expect(r.code, `svcmgr ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).to.equal(0)
    return r.stdout
  }

  function action(...args: string[]): ActionJson & {code: number; stderr: string} {
    const r = cli('-s', SVC, ...args, '--format', 'json')
    try {
      return {...(JSON.parse(r.stdout) as ActionJson), code: r.code, stderr: r.stderr}
    } catch {
      throw new Error(`svcmgr ${args.join(' ')}: no JSON result (exit ${r.code})\n${r.stdout}\n${r.stderr}`)
    }
  }

  const status = () => JSON.parse(ok('-s', SVC, 'print', 'status', '--format', 'json')) as StatusJson

  /** docker against the service's private daemon, through `svcmgr -s SVC docker`. */
  const docker = (...args: string[]) => cli('-s', SVC, 'docker', ...args)

  const vgTags = () => sh('vgs', ['--noheadings', '-o', 'vg_tags', vgName]).trim().split(',').filter(Boolean)
  const ipOnVeth = () => sh('ip', ['-o', '-4', 'addr', 'show', 'dev', VETH]).includes(` ${IP}/24 `)
  const pingFromLan = () => tryRun('ip', ['netns', 'exec', NS, 'busybox', 'ping', '-c', '1', '-W', '2', IP]).code === 0
  const spec = () =>
    serviceDaemonSpec({name: SVC, kw: {docker_data_dir: `${base}/appdata`}, varDir: path.join(root, 'var', SVC)})!
  const daemonAlive = () => {
    try {
      const pid = Number(fs.readFileSync(spec().pidfile, 'utf8').trim())
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  }

  /** Index of the first event matching, for order checks (the events are in emission order). */
  function at(events: Event[], pred: (e: Event) => boolean, what: string): number {
    const i = events.findIndex(pred)
    expect(i, `no event: ${what}`).to.be.greaterThan(-1)
    return i
  }
  const first = (events: Event[], rid: string) => at(events, e => e.rid === rid, `first event of ${rid}`)
  const finished = (events: Event[], rid: string) =>
    at(events, e => e.rid === rid && (e.state === 'done' || e.state === 'unchanged'), `${rid} finished`)
  const containers = (...n: number[]) => n.map(i => `container#${i}`)

  function config(): string {
    let text = fs.readFileSync(path.join(ROOT, 'test/fixtures/busybox.conf'), 'utf8')
    const swap = (from: string | RegExp, to: string) => {
      const next = text.replace(from, to)
      expect(next, `busybox.conf: ${from}`).to.not.equal(text)
      text = next
    }
    swap('docker_data_dir = /opt/busybox.opensvc.com/appdata', `docker_data_dir = ${base}/appdata`)
    swap('docker_daemon_args = --ip 37.59.71.25', `docker_daemon_args = --ip ${IP}`)
    swap(/image = b073e328878e/g, `image = ${IMAGE}`)
    swap('ipdev = eth0\nipname = busybox.opensvc.com', `ipdev = ${VETH}\nipname = ${IP}\nnetmask = 24`)
    swap('vgname = vgbusybox', `vgname = ${vgName}\npvs = ${pv}`)
    swap('mnt = /opt/busybox.opensvc.com\ndev = /dev/mapper/vgbusybox-lvbusyboxroot', `mnt = ${base}\ndev = ${dev1}`)
    swap(
      'mnt = /opt/busybox.opensvc.com/appdata\ndev = /dev/mapper/vgbusybox-lvbusyboxdata',
      `mnt = ${base}/appdata\ndev = ${dev2}`,
    )
    return text
  }

  before(function () {
    if (unavailable) {
      console.log(`      skipped: ${unavailable}`)
      this.skip()
    }
    for (const p of [
      'plugins/lvm/dist/hooks/drivers.js',
      'plugins/fs/dist/hooks/drivers.js',
      'plugins/docker/dist/hooks/drivers.js',
      'plugins/ip/dist/hooks/drivers.js',
      'dist/index.js',
    ])
      if (!fs.existsSync(path.join(ROOT, p))) throw new Error(`${p} is missing: run npm run build first`)
    if (tryRun('docker', ['version', '--format', '{{.Server.Version}}']).code !== 0)
      throw new Error(
        `no docker engine answers at DOCKER_HOST=${process.env.DOCKER_HOST ?? '(unset)'}: run bash scripts/testenv.sh up and eval "$(bash scripts/testenv.sh env)"`,
      )
    scratch = Scratch.create('sve')
    root = path.join(scratch.dir, 'root')
    base = path.join(scratch.dir, 'opt', 'busybox.opensvc.com')
    pv = scratch.loop(64)
    dev1 = scratch.loop(64)
    dev2 = scratch.loop(512)
    vgName = scratch.vgName('bb')
    // the image the containers run, in the registry the private daemon pulls from; the failing
    // image as an archive, loaded into the private daemon later with `svcmgr docker load`
    sh('docker', ['tag', 'opensvc/busybox:date', IMAGE])
    const push = tryRun('docker', ['push', '-q', IMAGE])
    if (push.code !== 0)
      throw new Error(`docker push ${IMAGE}: ${push.out}(is the test registry up? bash scripts/testenv.sh up)`)
    tryRun('docker', ['rmi', IMAGE])
    failingTar = path.join(scratch.dir, 'failing.tar')
    sh('docker', ['save', '-o', failingTar, FAILING])
    // the test LAN: a veth whose peer sits in a namespace with the "gateway" address
    sh('ip', ['netns', 'add', NS])
    sh('ip', ['link', 'add', VETH, 'type', 'veth', 'peer', 'name', PEER])
    sh('ip', ['link', 'set', PEER, 'netns', NS])
    sh('ip', ['-n', NS, 'addr', 'add', `${GW}/24`, 'dev', PEER])
    sh('ip', ['-n', NS, 'link', 'set', PEER, 'up'])
    sh('ip', ['-n', NS, 'link', 'set', 'lo', 'up'])
    sh('ip', ['link', 'set', VETH, 'up'])
  })

  afterEach(function () {
    // a failed step shows what svcmgr did: the tail of the service's log file
    if (this.currentTest?.state !== 'failed' || !root) return
    const log = path.join(root, 'log', `${SVC}.log`)
    if (fs.existsSync(log)) console.log(fs.readFileSync(log, 'utf8').split('\n').slice(-80).join('\n'))
  })

  after(async function () {
    if (!scratch) return
    const problems: string[] = []
    // whatever a failed step left running: the service, then its daemon, before unmounting
    if (fs.existsSync(path.join(root, 'etc', `${SVC}.conf`))) {
      const r = cli('-s', SVC, 'stop', '--force')
      if (r.code !== 0) problems.push(`svcmgr stop: ${r.stderr.trim()}`)
    }
    try {
      await stopDaemon(HOST, spec(), {timeoutMs: 20_000})
      if (path.dirname(spec().socket).startsWith('/run/'))
        fs.rmSync(path.dirname(spec().socket), {recursive: true, force: true})
    } catch (error) {
      problems.push(`private daemon: ${(error as Error).message}`)
    }
    tryRun('ip', ['link', 'del', VETH])
    tryRun('ip', ['netns', 'del', NS])
    problems.push(...scratch.cleanup())
    expect(problems, 'cleanup').to.deep.equal([])
  })

  it('create --provision: the VG on its PV, both filesystems made and mounted (fs#2 on fs#1), the IP, the daemon and 7 running containers', () => {
    const file = path.join(scratch.dir, 'busybox.conf')
    fs.writeFileSync(file, config())
    ok('-s', SVC, 'create', '--config', file, '--provision')
    expect(sh('pvs', ['--noheadings', '-o', 'vg_name', pv]).trim()).to.equal(vgName)
    expect(vgTags()).to.deep.equal([NODE])
    expect([signature(dev1), signature(dev2)]).to.deep.equal(['ext4', 'ext4'])
    const [m1] = mountsOf(dev1)
    const [m2] = mountsOf(dev2)
    expect([m1.mountPoint, m2.mountPoint]).to.deep.equal([base, `${base}/appdata`])
    expect(m2.parent).to.equal(m1.id)
    expect(ipOnVeth()).to.equal(true)
    expect(daemonAlive()).to.equal(true)
    const root = docker('info', '--format', '{{.DockerRootDir}}')
    expect(root.stdout.trim(), root.stderr).to.equal(`${base}/appdata`)
    const ps = docker('ps', '--format', '{{.Names}}')
    expect(ps.stdout.trim().split('\n').sort(), ps.stderr).to.deep.equal(
      [1, 2, 3, 4, 5, 6, 7].map(i => `${SVC}.container.${i}`).sort(),
    )
  })

  it('stop, then print status: every resource down, the containers saying the docker daemon is not running', () => {
    const stop = action('stop')
    expect(stop.ok, stop.error).to.equal(true)
    expect(daemonAlive()).to.equal(false)
    const st = status()
    expect(st.avail).to.equal('down')
    expect(Object.fromEntries(Object.entries(st.resources).map(([rid, r]) => [rid, r.status]))).to.deep.equal(
      Object.fromEntries(
        [...containers(1, 2, 3, 4, 5, 6, 7), 'vg#1', 'fs#1', 'fs#2', 'ip#1'].map(rid => [rid, 'down']),
      ),
    )
    for (const rid of containers(1, 2, 3, 4, 5, 6, 7))
      expect(st.resources[rid].log.map(l => l.message)).to.deep.equal(['docker daemon is not running'])
    expect(st.resources['ip#1'].log.map(l => l.message)).to.deep.equal([`${IP} is not on ${VETH}`])
    expect(st.resources['vg#1'].label).to.equal(vgName)
    expect(st.resources['fs#1'].label).to.equal(`${dev1}@${base}`)
    expect(st.resources['fs#2'].label).to.equal(`${dev2}@${base}/appdata`)
    const text = ok('-s', SVC, 'print', 'status')
    expect(text.match(/# docker daemon is not running/g)).to.have.length(7)
  })

  it('start: ip, vg, fs#1, fs#2, the private daemon, 00database, 01appservers in parallel, 02webservers in sequence; all up on the host', () => {
    const r = action('start')
    expect(r.ok, r.error).to.equal(true)
    const ev = r.events
    // the seed's order, from the engine's own event stream (emission order)
    const daemon = at(ev, e => e.message === 'starting docker daemon', 'starting docker daemon')
    expect(ev[daemon].rid).to.equal('container#1')
    expect(finished(ev, 'ip#1')).to.be.lessThan(first(ev, 'vg#1'))
    expect(finished(ev, 'vg#1')).to.be.lessThan(first(ev, 'fs#1'))
    expect(finished(ev, 'fs#1')).to.be.lessThan(first(ev, 'fs#2'))
    expect(finished(ev, 'fs#2')).to.be.lessThan(daemon)
    for (const c of containers(2, 3, 4, 5)) expect(finished(ev, 'container#1')).to.be.lessThan(first(ev, c))
    // parallel: every appserver began before any of them finished
    const lastBegin = Math.max(...containers(2, 3, 4, 5).map(c => first(ev, c)))
    const firstEnd = Math.min(...containers(2, 3, 4, 5).map(c => finished(ev, c)))
    expect(lastBegin).to.be.lessThan(firstEnd)
    for (const c of containers(2, 3, 4, 5)) expect(finished(ev, c)).to.be.lessThan(first(ev, 'container#6'))
    expect(finished(ev, 'container#6')).to.be.lessThan(first(ev, 'container#7'))
    expect(
      ev.filter(e => e.rid?.startsWith('vg#1') && e.message.startsWith('vgchange')).map(e => e.message),
    ).to.deep.equal([`vgchange --addtag @${NODE} ${vgName}`, `vgchange -a y ${vgName}`])

    // the same order as the engine recorded it: container start times
    const names = [1, 2, 3, 4, 5, 6, 7].map(i => `${SVC}.container.${i}`)
    const inspect = docker('inspect', '--format', '{{.State.StartedAt}}', ...names)
    expect(inspect.code, inspect.stderr).to.equal(0)
    const t = inspect.stdout
      .trim()
      .split('\n')
      .map(s => Date.parse(s))
    const apps = t.slice(1, 5)
    // in sequence, each start waits for the previous one to be started (its start request and
    // the state checks after it), as container#7 waits for container#6: four in parallel spread
    // less than three such gaps
    expect(Math.max(...apps) - Math.min(...apps), 'appservers start spread vs 3 sequential gaps').to.be.lessThan(
      3 * (t[6] - t[5]),
    )
    expect(t[0]).to.be.lessThan(Math.min(...apps))
    expect(Math.max(...apps)).to.be.lessThan(t[5])
    expect(t[5]).to.be.lessThan(t[6])

    // host state
    const [m1] = mountsOf(dev1)
    const [m2] = mountsOf(dev2)
    expect(m1.id).to.be.lessThan(m2.id)
    expect(m2.parent).to.equal(m1.id)
    expect(vgTags()).to.deep.equal([NODE])
    expect(ipOnVeth()).to.equal(true)
    expect(pingFromLan(), `ping ${IP} from the LAN namespace`).to.equal(true)
    expect(daemonAlive()).to.equal(true)
    const ps = docker('ps', '--format', '{{.Names}} {{.Label "com.svcmgr.image"}}')
    expect(ps.stdout.trim().split('\n').sort()).to.deep.equal(names.map(n => `${n} ${IMAGE}`).sort())
    const st = status()
    expect(st.avail).to.equal('up')
    for (const [rid, res] of Object.entries(st.resources)) expect(res.status, rid).to.equal('up')
  })

  it('a second start changes nothing', () => {
    const r = action('start')
    expect(r.ok, r.error).to.equal(true)
    expect(r.tasks.map(t => t.state)).to.deep.equal(Array(11).fill('unchanged'))
  })

  it('svcmgr docker load puts the failing stand-in image into the private daemon', () => {
    const load = docker('load', '-i', failingTar)
    expect(load.code, load.stderr).to.equal(0)
    expect(docker('image', 'inspect', FAILING).code).to.equal(0)
    // the shared test engine is another daemon: the private one has its own images
    expect(docker('image', 'inspect', 'opensvc/busybox:date').code).to.not.equal(0)
    // for the failure below: container#7 is recreated on the next start from that image; it exits
    // 1 at once, and its readiness probe (nothing listens on port 9) makes that exit certain to be
    // seen: the start's own confirmation has no fixed wait, an exit a few ms later can pass it
    ok(
      '-s',
      SVC,
      'set',
      '--kw',
      `container#7.image=${FAILING}`,
      '--kw',
      'container#7.rm=true',
      '--kw',
      'container#7.readiness_probe=tcp:9',
    )
  })

  it('stop: the reverse order, the daemon shut down after the last container, filesystems unmounted, VG untagged, IP removed', () => {
    const r = action('stop')
    expect(r.ok, r.error).to.equal(true)
    const ev = r.events
    expect(finished(ev, 'container#7')).to.be.lessThan(first(ev, 'container#6'))
    for (const c of containers(2, 3, 4, 5)) {
      expect(finished(ev, 'container#6')).to.be.lessThan(first(ev, c))
      expect(finished(ev, c)).to.be.lessThan(first(ev, 'container#1'))
    }
    const shutdown = at(
      ev,
      e => e.message === 'no more container handled by docker daemon. shut it down',
      'daemon shutdown',
    )
    expect(ev[shutdown].rid).to.equal('container#1')
    expect(first(ev, 'container#1')).to.be.lessThan(shutdown)
    expect(shutdown).to.be.lessThan(first(ev, 'fs#2'))
    expect(finished(ev, 'fs#2')).to.be.lessThan(first(ev, 'fs#1'))
    expect(finished(ev, 'fs#1')).to.be.lessThan(first(ev, 'vg#1'))
    expect(finished(ev, 'vg#1')).to.be.lessThan(first(ev, 'ip#1'))
    expect(ev.filter(e => e.message.startsWith('umount ')).map(e => e.message)).to.deep.equal([
      `umount ${base}/appdata`,
      `umount ${base}`,
    ])
    expect(ev.filter(e => e.rid === 'vg#1' && e.message.startsWith('vgchange')).map(e => e.message)).to.deep.equal([
      `vgchange -a n ${vgName}`,
      `vgchange --deltag @${NODE} ${vgName}`,
    ])

    expect(daemonAlive()).to.equal(false)
    expect(mountsOf(dev1)).to.deep.equal([])
    expect(mountsOf(dev2)).to.deep.equal([])
    expect(vgTags()).to.deep.equal([])
    expect(ipOnVeth()).to.equal(false)
    expect(pingFromLan()).to.equal(false)
    expect(status().avail).to.equal('down')
  })

  it('a failure in 02webservers (container#7 exits 1) rolls back everything the start did, the filesystems unmounted last-mounted-first', () => {
    const r = action('start')
    expect(r.code).to.equal(1)
    expect(r.ok).to.equal(false)
    expect(r.error).to.match(new RegExp(`^container#7: .*container ${SVC}\\.container\\.7 exited with code 1`))
    expect(r.tasks.find(t => t.rid === 'container#6')?.state).to.equal('done')
    expect(
      r.rollback.every(u => u.ok),
      JSON.stringify(r.rollback, null, 1),
    ).to.equal(true)
    const undone = r.rollback.map(u => u.rid)
    const pos = (rid: string) => {
      const i = undone.indexOf(rid)
      expect(i, `${rid} rolled back`).to.be.greaterThan(-1)
      return i
    }
    // everything this start changed, in reverse
    for (const c of containers(2, 3, 4, 5)) {
      expect(pos('container#6')).to.be.lessThan(pos(c))
      expect(pos(c)).to.be.lessThan(pos('container#1'))
    }
    expect(pos('container#7')).to.be.lessThan(pos('container#6'))
    expect(undone.lastIndexOf('container#1')).to.be.lessThan(pos('fs#2'))
    expect(pos('fs#2')).to.be.lessThan(pos('fs#1'))
    expect(pos('fs#1')).to.be.lessThan(pos('vg#1'))
    expect(undone.lastIndexOf('vg#1')).to.be.lessThan(pos('ip#1'))
    expect(r.rollback.filter(u => u.rid.startsWith('fs#')).map(u => u.description)).to.deep.equal([
      `umount ${base}/appdata`,
      `umount ${base}`,
    ])
    const umounts = r.events.filter(e => e.message.startsWith('umount ')).map(e => e.message)
    expect(umounts).to.deep.equal([`umount ${base}/appdata`, `umount ${base}`])

    // the host is back where the start found it
    expect(daemonAlive()).to.equal(false)
    expect(mountsOf(dev1)).to.deep.equal([])
    expect(mountsOf(dev2)).to.deep.equal([])
    expect(vgTags()).to.deep.equal([])
    expect(ipOnVeth()).to.equal(false)
    const st = status()
    for (const [rid, res] of Object.entries(st.resources)) expect(res.status, rid).to.equal('down')
  })

  it('unprovision refuses to destroy the volume group without --force, and with it removes VG and PV; the filesystems keep their data', () => {
    const no = action('unprovision')
    expect(no.ok).to.equal(false)
    expect(no.error).to.equal(
      `vg#1: unprovision destroys volume group ${vgName}: run it with --force to confirm (the volume group is left as it is)`,
    )
    expect(tryRun('vgs', [vgName]).code).to.equal(0)
    const yes = action('unprovision', '--force')
    expect(yes.ok, yes.error).to.equal(true)
    expect(tryRun('vgs', [vgName]).code).to.not.equal(0)
    expect(signature(pv)).to.equal(undefined)
    expect([signature(dev1), signature(dev2)]).to.deep.equal(['ext4', 'ext4'])
    expect(fs.existsSync(base)).to.equal(false)
  })
})
