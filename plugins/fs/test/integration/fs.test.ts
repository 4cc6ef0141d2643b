// fs.* for real, on loop devices: mkfs only on a blank device, mount/umount checked in
// /proc/self/mountinfo, a busy mount point, nested mounts started and stopped in path order
// by the core's planner and executor, and a failed start rolled back. Every test makes its
// own loop devices under a temp folder; the afterEach hook kills, unmounts, detaches and
// removes whatever a test left.
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import {expect} from 'chai'
import {
  buildPlan,
  compileService,
  createDriverHarness,
  DriverRegistry,
  EventCollector,
  executePlan,
  parseDocument,
  testHostKit,
} from 'svcmgr/testing'
import {registration} from '../../src/hooks/drivers.js'
import {loopUnavailable, mountsOf, Scratch, sh, signature} from '../support/scratch.js'

const NODE = 'node1.svcmgr.test'
const unavailable = loopUnavailable()

function harness(scratch: Scratch, sections: Record<string, Record<string, string>>) {
  return createDriverHarness({
    config: sections,
    registrations: [{plugin: '@svcmgr/plugin-fs', registration}],
    nodename: NODE,
    root: scratch.dir,
  })
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a failure')
}

const alive = (pid: number) => testHostKit().pidAlive(pid)

/** Mounts `dev` by hand, writes a file on it, unmounts: a device with data on it. */
function putData(scratch: Scratch, dev: string, text: string): void {
  const m = path.join(scratch.dir, 'by-hand')
  fs.mkdirSync(m, {recursive: true})
  sh('mount', [dev, m])
  fs.writeFileSync(path.join(m, 'precious.txt'), text)
  sh('umount', [m])
}

function readData(scratch: Scratch, dev: string): string {
  const m = path.join(scratch.dir, 'by-hand')
  fs.mkdirSync(m, {recursive: true})
  sh('mount', ['-o', 'ro', dev, m])
  try {
    return fs.readFileSync(path.join(m, 'precious.txt'), 'utf8')
  } finally {
    sh('umount', [m])
  }
}

describe('fs on loop devices', function () {
  this.timeout(60_000)
  let scratch: Scratch

  before(function () {
    if (unavailable) {
      console.log(`      skipped: ${unavailable}`)
      this.skip()
    }
  })

  beforeEach(() => {
    scratch = Scratch.create('svcmgr-fs')
  })

  afterEach(() => {
    if (!scratch) return
    expect(scratch.cleanup(), 'cleanup').to.deep.equal([])
  })

  it('provisions: mkfs on a blank device and the mount point; then start mounts it, a second start changes nothing', async () => {
    const dev = scratch.loop()
    const mnt = path.join(scratch.dir, 'mnt', 'data')
    const h = harness(scratch, {'fs#1': {type: 'ext4', dev, mnt: `${mnt}/`, mnt_opt: 'rw,noatime'}})
    const down = await h.status('fs#1')
    expect(down).to.deep.equal({
      status: 'down',
      label: `${dev}@${mnt}`,
      log: [{level: 'info', message: `${dev} holds no filesystem (provision makes one)`}],
      provisioned: false,
    })

    expect((await h.act('fs#1', 'provision')).change).to.equal('changed')
    expect(signature(dev)).to.equal('ext4')
    expect(fs.statSync(mnt).isDirectory()).to.equal(true)
    expect(h.messages('fs#1')).to.include(`mkfs.ext4 ${dev}`)
    expect(mountsOf(dev)).to.deep.equal([])

    const {change, undo} = await h.act('fs#1', 'start')
    expect(change).to.equal('changed')
    expect(undo.map(u => u.description)).to.deep.equal([`umount ${mnt}`])
    expect(h.messages('fs#1')).to.include.members([`e2fsck -p ${dev}`, `mount -t ext4 -o rw,noatime ${dev} ${mnt}`])
    const m = mountsOf(dev)
    expect(m.map(x => [x.mountPoint, x.fstype])).to.deep.equal([[mnt, 'ext4']])
    expect(await h.status('fs#1')).to.deep.equal({
      status: 'up',
      label: `${dev}@${mnt}`,
      log: [],
      provisioned: true,
      // mounted as configured: type and options match
      drift: [],
    })

    expect((await h.act('fs#1', 'start')).change).to.equal('unchanged')
    expect(mountsOf(dev)).to.have.length(1)
  })

  it('never formats a device that holds a filesystem: the data survives', async () => {
    const xfsDev = scratch.loop(320)
    sh('mkfs.xfs', ['-q', xfsDev])
    putData(scratch, xfsDev, 'xfs data')
    const extDev = scratch.loop()
    sh('mkfs.ext4', ['-q', extDev])
    putData(scratch, extDev, 'ext4 data')
    const h = harness(scratch, {
      'fs#1': {type: 'ext4', dev: xfsDev, mnt: path.join(scratch.dir, 'a')},
      'fs#2': {type: 'ext4', dev: extDev, mnt: path.join(scratch.dir, 'b')},
    })
    const error = await failure(h.act('fs#1', 'provision'))
    expect(error.message).to.equal(
      `refusing to format ${xfsDev} as ext4: it holds a xfs signature (svcmgr never formats a device holding a signature: wipe it yourself if its data is not needed)`,
    )
    expect(signature(xfsDev)).to.equal('xfs')
    expect(readData(scratch, xfsDev)).to.equal('xfs data')

    expect((await h.act('fs#2', 'provision')).change).to.equal('changed') // the mount point only
    expect(h.messages('fs#2')).to.include(`${extDev} already holds a ext4 filesystem: not formatted`)
    expect(h.messages('fs#2').some(m => m.startsWith('mkfs'))).to.equal(false)
    expect(readData(scratch, extDev)).to.equal('ext4 data')
  })

  it('stops: umount; status down; a second stop changes nothing; unprovision removes the empty mount point, not the data', async () => {
    const dev = scratch.loop()
    sh('mkfs.ext4', ['-q', dev])
    const mnt = path.join(scratch.dir, 'data')
    const h = harness(scratch, {'fs#1': {type: 'ext4', dev, mnt}})
    await h.act('fs#1', 'start')
    fs.writeFileSync(path.join(mnt, 'precious.txt'), 'kept')
    const {change, undo} = await h.act('fs#1', 'stop')
    expect(change).to.equal('changed')
    expect(undo.map(u => u.description)).to.deep.equal([`mount ${dev} on ${mnt}`])
    expect(mountsOf(dev)).to.deep.equal([])
    expect((await h.status('fs#1')).status).to.equal('down')
    expect((await h.act('fs#1', 'stop')).change).to.equal('unchanged')

    expect((await h.act('fs#1', 'unprovision')).change).to.equal('changed')
    expect(fs.existsSync(mnt)).to.equal(false)
    expect(readData(scratch, dev)).to.equal('kept')
  })

  it('finds the device through a symlink, and applies mnt_mode, user and group after mounting', async () => {
    const dev = scratch.loop()
    sh('mkfs.ext4', ['-q', dev])
    const link = path.join(scratch.dir, 'dev-link')
    fs.symlinkSync(dev, link)
    const mnt = path.join(scratch.dir, 'data')
    const h = harness(scratch, {'fs#1': {type: 'ext4', dev: link, mnt, mnt_mode: '0750', user: 'daemon', group: '1'}})
    await h.act('fs#1', 'start')
    expect(mountsOf(dev).map(m => m.mountPoint)).to.deep.equal([mnt])
    expect((await h.status('fs#1')).status).to.equal('up')
    const st = fs.statSync(mnt)
    expect(st.mode & 0o7777).to.equal(0o750)
    expect(st.uid).to.equal(Number(sh('id', ['-u', 'daemon']).trim()))
    expect(st.gid).to.equal(1)
    expect(h.messages('fs#1')).to.include.members([`chmod 0750 ${mnt}`, `chown daemon:1 ${mnt}`])
  })

  it('a busy mount fails to stop without kill_on_stop or --force, naming the holder; --force kills it and unmounts', async () => {
    const dev = scratch.loop()
    sh('mkfs.ext4', ['-q', dev])
    const mnt = path.join(scratch.dir, 'busy')
    const h = harness(scratch, {'fs#1': {type: 'ext4', dev, mnt}})
    await h.act('fs#1', 'start')
    fs.mkdirSync(path.join(mnt, 'work'))
    const holder = spawn('sleep', ['600'], {cwd: path.join(mnt, 'work'), stdio: 'ignore'})
    scratch.track(holder.pid!)
    await new Promise(r => setTimeout(r, 100))

    const error = await failure(h.act('fs#1', 'stop'))
    expect(error.message).to.equal(
      `umount ${mnt}: target is busy, used by pid ${holder.pid} (sleep: cwd): stop them, or set fs#1.kill_on_stop = true or use --force to have them killed`,
    )
    expect(h.messages('fs#1').filter(m => m === `umount ${mnt}`)).to.have.length(4) // 1 + 3 retries
    expect(mountsOf(dev)).to.have.length(1)
    expect(alive(holder.pid!)).to.equal(true)

    expect((await h.act('fs#1', 'stop', {force: true})).change).to.equal('changed')
    expect(mountsOf(dev)).to.deep.equal([])
    expect(alive(holder.pid!)).to.equal(false)
    expect(
      h.events.some(
        e => e.level === 'warn' && e.message === `kill the processes using ${mnt}: pid ${holder.pid} (sleep: cwd)`,
      ),
    ).to.equal(true)
  })

  it('kill_on_stop = true kills a process holding an open file on it', async () => {
    const dev = scratch.loop()
    sh('mkfs.ext4', ['-q', dev])
    const mnt = path.join(scratch.dir, 'busy')
    const h = harness(scratch, {'fs#1': {type: 'ext4', dev, mnt, kill_on_stop: 'true'}})
    await h.act('fs#1', 'start')
    // a shell that keeps a file open for writing (fd 3), cwd elsewhere
    const holder = spawn('sh', ['-c', `exec 3>"$1"; exec sleep 600`, 'sh', path.join(mnt, 'log.txt')], {
      cwd: '/',
      stdio: 'ignore',
    })
    scratch.track(holder.pid!)
    await new Promise(r => setTimeout(r, 200))
    expect((await h.act('fs#1', 'stop')).change).to.equal('changed')
    expect(mountsOf(dev)).to.deep.equal([])
    expect(alive(holder.pid!)).to.equal(false)
    const warn = h.events.find(e => e.level === 'warn')!.message
    expect(warn).to.equal(
      `kill the processes using ${mnt}: pid ${holder.pid} (sleep: fd 3 (${path.join(mnt, 'log.txt')}))`,
    )
  })

  it('xfs: provision (mkfs.xfs), start with no check, stop', async () => {
    const dev = scratch.loop(320)
    const mnt = path.join(scratch.dir, 'x')
    const h = harness(scratch, {'fs#1': {type: 'xfs', dev, mnt}})
    await h.act('fs#1', 'provision')
    expect(signature(dev)).to.equal('xfs')
    await h.act('fs#1', 'start')
    expect(mountsOf(dev).map(m => m.fstype)).to.deep.equal(['xfs'])
    expect(h.messages('fs#1').some(m => m.includes('fsck'))).to.equal(false)
    await h.act('fs#1', 'stop')
    expect(mountsOf(dev)).to.deep.equal([])
  })

  describe('through the planner and executor', () => {
    function service(sections: Record<string, Record<string, string>>) {
      const registry = new DriverRegistry()
      registry.add('@svcmgr/plugin-fs', registration)
      return compileService(parseDocument(JSON.stringify(sections), 'nested', 'test'), registry, {
        name: 'nested',
        nodename: NODE,
        varDir: path.join(scratch.dir, 'var'),
      })
    }

    async function run(svc: ReturnType<typeof service>, action: 'start' | 'stop') {
      const sink = new EventCollector()
      const result = await executePlan(buildPlan(svc, action), {
        service: svc,
        settings: {root: scratch.dir, nodename: NODE},
        sink,
      })
      return {result, events: sink.events}
    }

    it('mounts nested filesystems parent first whatever their rids, and unmounts them child first', async () => {
      const inner = scratch.loop()
      const outer = scratch.loop()
      const deepest = scratch.loop()
      for (const d of [inner, outer, deepest]) sh('mkfs.ext4', ['-q', d])
      const base = path.join(scratch.dir, 'x')
      const svc = service({
        'fs#1': {type: 'ext4', dev: inner, mnt: `${base}/appdata`},
        'fs#2': {type: 'ext4', dev: outer, mnt: `${base}/`},
        'fs#3': {type: 'ext4', dev: deepest, mnt: `${base}/appdata/logs`},
      })
      const {result} = await run(svc, 'start')
      expect(result.ok, result.error).to.equal(true)
      expect(result.tasks.map(t => t.rid)).to.deep.equal(['fs#2', 'fs#1', 'fs#3'])
      // the kernel's own record: each child is mounted on top of its parent's mount
      const [o] = mountsOf(outer)
      const [i] = mountsOf(inner)
      const [d] = mountsOf(deepest)
      expect(i.parent).to.equal(o.id)
      expect(d.parent).to.equal(i.id)
      expect([o.mountPoint, i.mountPoint, d.mountPoint]).to.deep.equal([
        base,
        `${base}/appdata`,
        `${base}/appdata/logs`,
      ])

      const stop = await run(svc, 'stop')
      expect(stop.result.ok, stop.result.error).to.equal(true)
      expect(stop.result.tasks.map(t => t.rid)).to.deep.equal(['fs#3', 'fs#1', 'fs#2'])
      for (const dev of [inner, outer, deepest]) expect(mountsOf(dev)).to.deep.equal([])
    })

    it('rolls a failed start back: the filesystems it mounted are unmounted, last mounted first', async () => {
      const a = scratch.loop()
      const b = scratch.loop()
      for (const d of [a, b]) sh('mkfs.ext4', ['-q', d])
      const base = path.join(scratch.dir, 'y')
      const missing = path.join(scratch.dir, 'no-such-device')
      const svc = service({
        'fs#1': {type: 'ext4', dev: a, mnt: base},
        'fs#2': {type: 'ext4', dev: b, mnt: `${base}/appdata`},
        'fs#3': {type: 'ext4', dev: missing, mnt: `${base}/appdata/more`},
      })
      const {result, events} = await run(svc, 'start')
      expect(result.ok).to.equal(false)
      expect(result.error).to.equal(`fs#3: device ${missing} does not exist`)
      expect(result.rollback.map(u => `${u.rid}: ${u.description}`)).to.deep.equal([
        `fs#2: umount ${base}/appdata`,
        `fs#1: umount ${base}`,
      ])
      expect(result.rollback.every(u => u.ok)).to.equal(true)
      expect(events.filter(e => e.message.startsWith('umount ')).map(e => e.message)).to.deep.equal([
        `umount ${base}/appdata`,
        `umount ${base}`,
      ])
      expect(mountsOf(a)).to.deep.equal([])
      expect(mountsOf(b)).to.deep.equal([])
    })
  })
})
