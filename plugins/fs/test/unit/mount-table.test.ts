// The mount table of fs status: one read for every fs resource of a command, each still
// answered as a scan of the table would answer it; an action reads the table anew and a status
// after it too. No mount involved: the table is scripted, the devices and mount points are files
// and folders of a temp dir (matched by their paths with links resolved).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {createDriverHarness} from 'svcmgr/testing'
import {registration} from '../../src/hooks/drivers.js'
import {isUnder, majmin, type MountEntry, normalizeMnt, parseMountinfo, realpathOr} from '../../src/mount/mountinfo.js'
import {MountTable, mountSource} from '../../src/mount/table.js'

/** The matching as it was before the table: every entry scanned, every path resolved at each look. */
function scanned(mounts: readonly MountEntry[], dev: string, mnt: string) {
  let devNum: string | undefined
  try {
    const st = fs.statSync(dev, {bigint: true})
    if (st.isBlockDevice()) devNum = majmin(st.rdev)
  } catch {
    // no device
  }
  const where = realpathOr(normalizeMnt(mnt))
  const matches = (m: MountEntry) =>
    m.source.startsWith('/') &&
    ((devNum !== undefined && m.majmin === devNum) || realpathOr(m.source) === realpathOr(dev))
  const atMnt = mounts.filter(m => m.mountPoint === where)
  return {
    mine: [...atMnt].reverse().find(matches),
    atMnt,
    devElsewhere: mounts.filter(matches).filter(m => m.mountPoint !== where),
    below: mounts.filter(m => isUnder(m.mountPoint, where)),
    devExists: devNum !== undefined,
  }
}

describe('fs mount table', () => {
  let dir: string
  const original = mountSource.read
  let reads = 0
  let table = ''

  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-mnt-')))
    reads = 0
    mountSource.read = async () => {
      reads++
      return table
    }
  })
  afterEach(() => {
    mountSource.read = original
    fs.rmSync(dir, {recursive: true, force: true})
  })

  const line = (
    id: number,
    mountPoint: string,
    source: string,
    fstype = 'ext4',
    options = 'rw,relatime',
    devNum = `0:${id}`,
  ) => `${id} 1 ${devNum} / ${mountPoint} ${options} - ${fstype} ${source} rw`

  /** A block device of this machine, if any (matched by its number, under another name in the table). */
  const blockDevice = fs
    .readdirSync('/dev')
    .map(n => `/dev/${n}`)
    .find(d => {
      try {
        return fs.statSync(d).isBlockDevice()
      } catch {
        return false
      }
    })

  it('answers each device and mount point as a scan of the table does', () => {
    const p = (s: string) => path.join(dir, s)
    for (const f of ['d1', 'd2', 'd3']) fs.writeFileSync(p(f), '')
    fs.symlinkSync(p('d1'), p('l1'))
    for (const d of ['a', 'a/b', 'c', 'real']) fs.mkdirSync(p(d), {recursive: true})
    fs.symlinkSync(p('real'), p('alias'))
    const mounts = parseMountinfo(
      [
        line(10, '/', '/dev/root'),
        line(11, p('a'), p('d1')),
        line(12, p('a/b'), p('d2')),
        line(13, p('a'), 'tmpfs', 'tmpfs'),
        line(14, p('c'), p('d1')),
        line(15, p('real'), p('d3')),
        line(16, p('real'), p('d3')),
        line(17, '/proc', 'proc', 'proc'),
        ...(blockDevice
          ? [
              line(
                18,
                p('c'),
                '/dev/by-another-name',
                'xfs',
                'rw',
                majmin(fs.statSync(blockDevice, {bigint: true}).rdev),
              ),
            ]
          : []),
      ].join('\n'),
    )
    const t = new MountTable(mounts)
    const devices = [
      p('d1'),
      p('l1'),
      p('d2'),
      p('d3'),
      p('none'),
      // under a folder that is not there, and under a file: nothing is there (one look at the folder)
      p('missing/d9'),
      p('d1/d9'),
      '/dev/root',
      'tmpfs',
      ...(blockDevice ? [blockDevice] : []),
    ]
    const points = [
      p('a'),
      `${p('a')}/`,
      p('a/b'),
      p('c'),
      p('alias'),
      p('real'),
      p('none'),
      p('missing/m'),
      p('alias/m'),
      '/',
      '/proc',
      dir,
    ]
    for (const dev of devices)
      for (const mnt of points) {
        const {devFound, ...state} = t.state(dev, mnt)
        expect(state, `${dev} on ${mnt}`).to.deep.equal(scanned(mounts, dev, mnt))
        expect(devFound, dev).to.equal(fs.existsSync(dev))
      }
    // the cases the loop covers, spelled out
    expect(t.state(p('l1'), `${p('a')}/`)).to.deep.include({mine: mounts[1], devExists: false, devFound: true})
    expect(t.state(p('l1'), p('a')).devElsewhere).to.deep.equal([mounts[4]])
    expect(t.state(p('d3'), p('alias')).mine).to.equal(mounts[6])
    expect(t.state(p('none'), p('a')).below).to.deep.equal([mounts[2]])
    if (blockDevice) expect(t.state(blockDevice, p('c'))).to.deep.include({mine: mounts[8], devExists: true})
  })

  it('status reads the table once for all the fs resources of a command, each answered right', async () => {
    const n = 40
    const sections: Record<string, Record<string, string>> = {}
    const lines: string[] = []
    for (let i = 1; i <= n; i++) {
      const dev = path.join(dir, `dev${i}`)
      if (i % 4 !== 3) fs.writeFileSync(dev, '') // every 4th + 3 has no device at all
      fs.symlinkSync(dev, path.join(dir, `link${i}`))
      const mnt = path.join(dir, `m${i}`)
      fs.mkdirSync(mnt)
      sections[`fs#${i}`] = {type: 'ext4', dev: path.join(dir, `link${i}`), mnt: `${mnt}/`, mnt_opt: 'noatime'}
      // the even ones mounted (the resource names a link to the device the table shows); every 10th without noatime
      if (i % 2 === 0) lines.push(line(100 + i, mnt, dev, 'ext4', i % 10 === 0 ? 'rw,relatime' : 'rw,noatime'))
    }
    lines.push(line(99, path.join(dir, 'm6'), 'tmpfs', 'tmpfs')) // over fs#6's mount
    table = lines.join('\n')
    const h = createDriverHarness({
      config: sections,
      registrations: [{plugin: '@svcmgr/plugin-fs', registration}],
      root: dir,
    })
    const statuses = await Promise.all(Array.from({length: n}, (_, k) => h.status(`fs#${k + 1}`)))
    expect(reads).to.equal(1)
    statuses.forEach((st, k) => {
      const i = k + 1
      const dev = path.join(dir, `link${i}`)
      expect(st.label, `fs#${i}`).to.equal(`${dev}@${path.join(dir, `m${i}`)}`)
      if (i % 2 === 0) {
        const drift = i % 10 === 0 ? ['mnt_opt'] : []
        expect(st, `fs#${i}`).to.deep.include({status: 'up', provisioned: true, drift})
        const warns = st.log!.map(e => e.message)
        if (i === 6) expect(warns).to.include('tmpfs (tmpfs) is mounted over it')
        else if (!drift.length) expect(warns, `fs#${i}`).to.deep.equal([])
      } else {
        expect(st, `fs#${i}`).to.deep.equal({
          status: 'down',
          label: st.label,
          log: [
            {level: 'info', message: i % 4 === 3 ? `device ${dev} does not exist` : `${dev} is not a block device`},
          ],
        })
      }
    })
  })

  it('an action decides from a table read for it; a status after it reads anew', async () => {
    const dev = path.join(dir, 'dev1')
    const mnt = path.join(dir, 'm1')
    fs.writeFileSync(dev, '')
    fs.mkdirSync(mnt)
    table = line(101, mnt, dev)
    const h = createDriverHarness({
      config: {'fs#1': {type: 'ext4', dev, mnt}},
      registrations: [{plugin: '@svcmgr/plugin-fs', registration}],
      root: dir,
    })
    expect((await h.status('fs#1')).status).to.equal('up')
    table = '' // unmounted by someone else meanwhile
    // the same command's status: its one picture
    expect((await h.status('fs#1')).status).to.equal('up')
    expect(reads).to.equal(1)
    // stop looks for itself: nothing mounted, nothing to do (no umount run)
    expect((await h.act('fs#1', 'stop')).change).to.equal('unchanged')
    expect(reads).to.equal(2)
    expect((await h.status('fs#1')).status).to.equal('down')
    expect(reads).to.equal(3)
    // another command: another picture
    table = line(101, mnt, dev)
    h.newCommand()
    expect((await h.status('fs#1')).status).to.equal('up')
    expect(reads).to.equal(4)
  })

  it('a table that cannot be read leaves every resource unknown, from one failed read', async () => {
    mountSource.read = async () => {
      reads++
      throw new Error('EACCES: permission denied')
    }
    const h = createDriverHarness({
      config: {
        'fs#1': {type: 'ext4', dev: path.join(dir, 'd1'), mnt: path.join(dir, 'm1')},
        'fs#2': {type: 'xfs', dev: path.join(dir, 'd2'), mnt: path.join(dir, 'm2')},
      },
      registrations: [{plugin: '@svcmgr/plugin-fs', registration}],
      root: dir,
    })
    const [a, b] = await Promise.all([h.status('fs#1'), h.status('fs#2')])
    expect(reads).to.equal(1)
    expect(a.status).to.equal('warn')
    expect(b.log![0].message).to.match(
      /^cannot read the mount table: EACCES: permission denied: whether .*m2 is mounted/,
    )
  })
})
