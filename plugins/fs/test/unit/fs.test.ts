// The fs.* manifests, validation, dependencies and dry-run descriptions through the core's
// own compileService, and the mount table parsing (no mount involved).
import path from 'node:path'
import {expect} from 'chai'
import {buildPlan, compileConfig, configProblems, type Registrations, type Service} from 'svcmgr/testing'
import type {Resource} from 'svcmgr'
import {registration} from '../../src/hooks/drivers.js'
import {registration as lvmRegistration} from '../../../lvm/src/hooks/drivers.js'
import {vgCandidates} from '../../src/drivers/fs.js'
import {resourceEdges} from 'svcmgr/testing'
import type {FsKeywords} from '../../src/drivers/fs.keywords.js'
import {isUnder, majmin, normalizeMnt, parseMountinfo} from '../../src/mount/mountinfo.js'
import {mountState} from '../../src/mount/table.js'

const REGISTRATIONS: Registrations = [
  {plugin: '@svcmgr/plugin-fs', registration},
  {plugin: '@svcmgr/plugin-lvm', registration: lvmRegistration},
]

const compile = (config: object | string, name = 'busybox') =>
  compileConfig(config, REGISTRATIONS, {name, nodename: 'deb1.opensvc.com'})
const problems = (config: object | string) =>
  configProblems(config, REGISTRATIONS, {name: 'busybox', nodename: 'deb1.opensvc.com'})

const fsRes = (svc: Service, rid: string) => svc.resource(rid) as unknown as Resource<FsKeywords>
const driverOf = (svc: Service, rid: string) => svc.resource(rid)!.driver

const SEED_FS = `[fs#1]
mnt_opt = rw
mnt = /opt/busybox.opensvc.com
dev = /dev/mapper/vgbusybox-lvbusyboxroot
type = ext4

[fs#2]
mnt_opt = rw
mnt = /opt/busybox.opensvc.com/appdata
dev = /dev/mapper/vgbusybox-lvbusyboxdata
type = ext4
`

describe('fs keywords', () => {
  it("compiles the seed's filesystems with typed, defaulted keywords", () => {
    const svc = compile(SEED_FS)
    const f1 = fsRes(svc, 'fs#1')
    expect(f1.group).to.equal('fs')
    expect(f1.type).to.equal('ext4')
    expect(f1.kw).to.deep.equal({
      mnt_opt: 'rw',
      mnt: '/opt/busybox.opensvc.com',
      dev: '/dev/mapper/vgbusybox-lvbusyboxroot',
      check: true,
      kill_on_stop: false,
    })
    expect(driverOf(svc, 'fs#1').label(f1, svc)).to.equal(
      '/dev/mapper/vgbusybox-lvbusyboxroot@/opt/busybox.opensvc.com',
    )
    expect(driverOf(svc, 'fs#2').label(fsRes(svc, 'fs#2'), svc)).to.equal(
      '/dev/mapper/vgbusybox-lvbusyboxdata@/opt/busybox.opensvc.com/appdata',
    )
  })

  it('serves ext4, ext3, ext2 and xfs; only ext* check by default', () => {
    const svc = compile({
      'fs#1': {type: 'ext3', dev: '/dev/loop1', mnt: '/a'},
      'fs#2': {type: 'ext2', dev: '/dev/loop2', mnt: '/b'},
      'fs#3': {
        type: 'xfs',
        dev: '/dev/loop3',
        mnt: '/c',
        mkfs_opt: '-L data',
        mnt_mode: '0750',
        user: 'root',
        group: '0',
        kill_on_stop: 'yes',
      },
    })
    expect(fsRes(svc, 'fs#1').kw.check).to.equal(true)
    expect(fsRes(svc, 'fs#2').kw.check).to.equal(true)
    expect(fsRes(svc, 'fs#3').kw).to.deep.include({
      check: false,
      mnt_mode: '0750',
      user: 'root',
      group: '0',
      kill_on_stop: true,
    })
    expect(fsRes(svc, 'fs#3').kw.mkfs_opt).to.deep.equal(['-L', 'data'])
  })

  it('refuses bad values naming fs#1.<kw>', () => {
    const p = problems({
      'fs#1': {
        type: 'ext4',
        dev: 'sdb1',
        mnt: 'opt/x',
        mnt_opt: 'rw, noatime',
        check: 'maybe',
        mnt_mode: '999',
        user: 'bad user',
        group: 'g:x',
        kill_on_stop: 'sometimes',
      },
    })
    const named = (kw: string) => p.find(x => x.startsWith(`fs#1.${kw}: expected`))
    expect(named('dev')).to.equal('fs#1.dev: expected an absolute device path, got "sdb1"')
    expect(named('mnt')).to.equal('fs#1.mnt: expected an absolute mount point path, got "opt/x"')
    expect(named('mnt_opt')).to.match(/comma-separated mount options without spaces/)
    expect(named('check')).to.equal('fs#1.check: expected true or false, got "maybe"')
    expect(named('mnt_mode')).to.equal('fs#1.mnt_mode: expected an octal mode such as 0755, got "999"')
    expect(named('user')).to.equal('fs#1.user: expected a user name or uid, got "bad user"')
    expect(named('group')).to.equal('fs#1.group: expected a group name or gid, got "g:x"')
    expect(named('kill_on_stop')).to.equal('fs#1.kill_on_stop: expected true or false, got "sometimes"')
  })

  it('refuses an unknown type, a missing type, / as mount point, and an unknown keyword', () => {
    expect(problems({'fs#1': {type: 'zfs', dev: '/dev/loop1', mnt: '/a'}})).to.deep.equal([
      'fs#1.type: expected one of ext4, ext3, ext2, xfs, got "zfs"',
    ])
    expect(problems({'fs#1': {dev: '/dev/loop1', mnt: '/a'}})).to.deep.equal([
      'fs#1.type: required keyword missing (expected one of: ext4, ext3, ext2, xfs)',
    ])
    // (the core then also reports the refused mnt as missing: see the report's core notes)
    expect(problems({'fs#1': {type: 'ext4', dev: '/dev/loop1', mnt: '/'}})[0]).to.equal(
      'fs#1.mnt: expected a mount point other than /, got "/"',
    )
    expect(problems({'fs#1': {type: 'ext4', dev: '/dev/loop1', mnt: '/a', mount_opt: 'rw'}})[0]).to.match(
      /^fs#1\.mount_opt: unknown keyword/,
    )
  })

  it('refuses two filesystems on one mount point or one device, trailing slashes and all', () => {
    expect(
      problems({
        'fs#1': {type: 'ext4', dev: '/dev/loop1', mnt: '/a'},
        'fs#2': {type: 'xfs', dev: '/dev/loop2', mnt: '/a/'},
      }),
    ).to.deep.equal(["fs#2.mnt: /a is already fs#1's mount point"])
    expect(
      problems({
        'fs#1': {type: 'ext4', dev: '/dev/loop1', mnt: '/a'},
        'fs#2': {type: 'ext4', dev: '/dev/loop1', mnt: '/b'},
      }),
    ).to.deep.equal(["fs#2.dev: /dev/loop1 is already fs#1's device"])
  })

  it('names every earlier enabled holder in rid order, mount point before device, and skips disabled ones', () => {
    expect(
      problems({
        'fs#1': {type: 'ext4', dev: '/dev/loop1', mnt: '/a'},
        'fs#2': {type: 'ext4', dev: '/dev/loop2', mnt: '/b', disable: 'true'},
        'fs#3': {type: 'ext4', dev: '/dev/loop2/', mnt: '/a//'},
        'fs#4': {type: 'ext4', dev: '/dev/loop2', mnt: '/b'},
        'fs#10': {type: 'ext4', dev: '/dev/loop1', mnt: '/a', disable: 'true'},
        'fs#11': {type: 'ext4', dev: '/dev/loop1', mnt: '/b'},
      }),
    ).to.deep.equal([
      "fs#3.mnt: /a is already fs#1's mount point",
      "fs#4.dev: /dev/loop2 is already fs#3's device",
      "fs#11.dev: /dev/loop1 is already fs#1's device",
      "fs#11.mnt: /b is already fs#4's mount point",
    ])
  })

  it('finds the one clash among 5,000 filesystems', () => {
    const config: Record<string, object> = {}
    for (let i = 1; i <= 5000; i++) config[`fs#${i}`] = {type: 'ext4', dev: `/dev/disk/d${i}`, mnt: `/srv/${i}`}
    config['fs#4999'] = {type: 'ext4', dev: '/dev/disk/d7', mnt: '/srv/4999'}
    expect(problems(config)).to.deep.equal(["fs#4999.dev: /dev/disk/d7 is already fs#7's device"])
  })
})

describe('fs dependencies', () => {
  it('orders nested mounts by path, whatever their rids', () => {
    const svc = compile({
      'fs#1': {type: 'ext4', dev: '/dev/loop1', mnt: '/opt/x/appdata/logs'},
      'fs#2': {type: 'ext4', dev: '/dev/loop2', mnt: '/opt/x/'},
      'fs#3': {type: 'xfs', dev: '/dev/loop3', mnt: '/opt/x/appdata'},
      'fs#4': {type: 'ext4', dev: '/dev/loop4', mnt: '/opt/xy'},
    })
    expect(buildPlan(svc, 'start').tasks.map(t => t.rid)).to.deep.equal(['fs#2', 'fs#3', 'fs#1', 'fs#4'])
    expect(buildPlan(svc, 'stop').tasks.map(t => t.rid)).to.deep.equal(['fs#4', 'fs#1', 'fs#3', 'fs#2'])
    expect(resourceEdges(svc, 'fs#4')).to.deep.equal([])
    expect(resourceEdges(svc, 'fs#3')).to.deep.equal([
      {before: 'fs#2', after: 'fs#3', reason: "mounted below fs#2's /opt/x"},
    ])
  })

  it('puts a filesystem on a logical volume after its volume group', () => {
    const svc = compile(
      `[vg#1]\nvgname = vg-a\n\n[vg#2]\nvgname = vgb\n\n${SEED_FS}\n[fs#3]\ntype = xfs\ndev = /dev/mapper/vg--a-lv--x\nmnt = /srv/a\n\n[fs#4]\ntype = ext4\ndev = /dev/vgb/lv1\nmnt = /srv/b\n`,
    )
    expect(resourceEdges(svc, 'fs#3')).to.deep.equal([
      {before: 'vg#1', after: 'fs#3', reason: '/dev/mapper/vg--a-lv--x is a logical volume of vg-a'},
    ])
    expect(resourceEdges(svc, 'fs#4')).to.deep.equal([
      {before: 'vg#2', after: 'fs#4', reason: '/dev/vgb/lv1 is a logical volume of vgb'},
    ])
    // the seed's volume group is not in this service: no edge
    expect(resourceEdges(svc, 'fs#1')).to.deep.equal([])
    // starting one filesystem brings its volume group along
    expect(buildPlan(svc, 'start', {rids: ['fs#4']}).added.map(a => a.rid)).to.deep.equal(['vg#2'])
  })

  it('reads volume group names from device paths', () => {
    expect(vgCandidates('/dev/mapper/vgbusybox-lvbusyboxroot')).to.deep.equal(['vgbusybox'])
    expect(vgCandidates('/dev/mapper/vg--a-lv--x')).to.deep.equal(['vg-a'])
    expect(vgCandidates('/dev/vgbusybox/lvroot')).to.deep.equal(['vgbusybox'])
    expect(vgCandidates('/dev/loop3')).to.deep.equal([])
    expect(vgCandidates('/dev/disk/by-id/x/y')).to.deep.equal([])
    expect(vgCandidates('/dev/disk/by-label/data')).to.deep.equal([])
    expect(vgCandidates('/dev//lvroot')).to.deep.equal([])
    expect(vgCandidates('/dev/mapper/')).to.deep.equal([])
    expect(vgCandidates('/srv/vg/lv')).to.deep.equal([])
    expect(vgCandidates('/dev/vg0/lv0/')).to.deep.equal(['vg0'])
  })
})

describe('fs describe', () => {
  it('lists the exact commands of each action', () => {
    const svc = compile({
      'fs#1': {
        type: 'ext4',
        dev: '/dev/loop1',
        mnt: '/opt/x/',
        mnt_opt: 'rw,noatime',
        mkfs_opt: '-L data',
        mnt_mode: '0750',
        user: 'daemon',
        group: 'daemon',
      },
    })
    const r = fsRes(svc, 'fs#1')
    const d = driverOf(svc, 'fs#1')
    expect(d.describe('start', r, svc)).to.deep.equal([
      'e2fsck -p /dev/loop1  (exit codes 0 and 1 accepted, 2 warns)',
      'mkdir -p /opt/x  (when missing)',
      'mount -t ext4 -o rw,noatime /dev/loop1 /opt/x  (when not mounted)',
      'chmod 0750 /opt/x',
      'chown daemon:daemon /opt/x',
    ])
    expect(d.describe('stop', r, svc)).to.deep.equal([
      'umount /opt/x  (when mounted; retried 3 times 500 ms apart while busy)',
      'then fail, naming the processes using it  (kill_on_stop = false; with --force: kill them and umount again)',
    ])
    expect(d.describe('provision', r, svc)).to.deep.equal([
      'blkid -p /dev/loop1  (a device holding any signature is never formatted)',
      'mkfs.ext4 -L data /dev/loop1  (when /dev/loop1 holds no filesystem)',
      'mkdir -p /opt/x  (when missing)',
    ])
    expect(d.describe('unprovision', r, svc)).to.deep.equal([
      'rmdir /opt/x  (when empty; the filesystem and its data are kept)',
    ])
  })

  it('runs no check for xfs and says when it kills holders', () => {
    const svc = compile({'fs#1': {type: 'xfs', dev: '/dev/loop1', mnt: '/x', kill_on_stop: 'true'}})
    const r = fsRes(svc, 'fs#1')
    expect(driverOf(svc, 'fs#1').describe('start', r, svc)).to.deep.equal([
      'mkdir -p /x  (when missing)',
      'mount -t xfs /dev/loop1 /x  (when not mounted)',
    ])
    expect(driverOf(svc, 'fs#1').describe('stop', r, svc)[1]).to.equal(
      'then kill the processes using it (TERM, then KILL) and umount again  (kill_on_stop = true)',
    )
  })
})

describe('mount table', () => {
  const TABLE = [
    '21 26 0:20 / /proc rw,relatime - proc proc rw',
    '40 26 7:3 / /opt/with\\040space rw,relatime shared:20 - ext4 /dev/loop3 rw',
    '41 26 7:4 / /opt/x rw,relatime - ext4 /dev/loop4 rw',
    '42 41 7:5 / /opt/x/appdata rw,relatime master:1 - xfs /dev/loop5 rw,attr2',
  ].join('\n')

  it('parses mountinfo, optional fields and escapes included', () => {
    const m = parseMountinfo(TABLE)
    expect(m).to.have.length(4)
    expect(m[1]).to.deep.include({majmin: '7:3', mountPoint: '/opt/with space', fstype: 'ext4', source: '/dev/loop3'})
    expect(m[3]).to.deep.include({id: 42, parent: 41, fstype: 'xfs', source: '/dev/loop5', superOptions: 'rw,attr2'})
  })

  it('finds what is mounted on and below a mount point', () => {
    const st = mountState(parseMountinfo(TABLE), '/dev/loop4', '/opt/x/')
    expect(st.mine?.id).to.equal(41)
    expect(st.below.map(e => e.mountPoint)).to.deep.equal(['/opt/x/appdata'])
    expect(mountState(parseMountinfo(TABLE), '/dev/loop4', '/opt/y').devElsewhere.map(e => e.mountPoint)).to.deep.equal(
      ['/opt/x'],
    )
  })

  it('path helpers are trailing-slash safe', () => {
    expect(normalizeMnt('/opt/x/')).to.equal('/opt/x')
    expect(normalizeMnt('/')).to.equal('/')
    expect(isUnder('/opt/x/appdata', '/opt/x/')).to.equal(true)
    expect(isUnder('/opt/xy', '/opt/x')).to.equal(false)
    expect(isUnder('/opt/x/', '/opt/x')).to.equal(false)
    expect(isUnder('/anything', '/')).to.equal(true)
  })

  it('normalizes as path.posix.normalize does, trailing slashes and blanks removed', () => {
    const slow = (p: string) => {
      const n = path.posix.normalize(p.trim())
      return n.length > 1 ? n.replace(/\/+$/, '') : n
    }
    const cases = [
      '/',
      '//',
      '/opt/x',
      '/opt/x/',
      '/opt//x',
      '/opt/./x',
      '/opt/../x',
      '/opt/x/.',
      '/opt/x/..',
      '/.',
      '/..',
    ]
    cases.push(
      '/opt/.x',
      '/opt/..x',
      '/opt/x.',
      ' /opt/x',
      '/opt/x ',
      'opt/x',
      '',
      '.',
      '/opt/x\t',
      '/a b/c',
      '/opt/x//',
    )
    for (const p of cases) expect(normalizeMnt(p), JSON.stringify(p)).to.equal(slow(p))
  })

  it('decodes dev_t like glibc', () => {
    expect(majmin(0x703n)).to.equal('7:3')
    expect(majmin((259n << 8n) | 1n)).to.equal('259:1')
    // minor above 255: its high bits sit above the major's
    expect(majmin((7n << 8n) | (0x1n << 20n) | 0x02n)).to.equal('7:258')
  })
})
