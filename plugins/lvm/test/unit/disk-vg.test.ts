// The disk.vg manifest, validation, state rules and dry-run descriptions, through the core's
// own compileService (no LVM involved).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {compileConfig, configProblems, createDriverHarness, type Registrations, type Service} from 'svcmgr/testing'
import type {Resource} from 'svcmgr'
import {registration} from '../../src/hooks/drivers.js'
import {isActive, isTagged, otherNodeTags, vgDriver} from '../../src/drivers/disk-vg.js'
import type {VgKeywords} from '../../src/drivers/disk-vg.keywords.js'
import {lvIsActive, reportRows, type VgState} from '../../src/lvm/report.js'

const REGISTRATIONS: Registrations = [{plugin: '@svcmgr/plugin-lvm', registration}]

const compile = (config: object | string, name = 'busybox') =>
  compileConfig(config, REGISTRATIONS, {name, nodename: 'deb1.opensvc.com'})
const problems = (config: object | string) =>
  configProblems(config, REGISTRATIONS, {name: 'busybox', nodename: 'deb1.opensvc.com'})

const vg = (svc: Service, rid = 'vg#1') => svc.resource(rid) as unknown as Resource<VgKeywords>

const state = (over: Partial<VgState>): VgState => ({
  exists: true,
  name: 'vgbusybox',
  tags: [],
  lvCount: 0,
  activeLvs: [],
  lvs: [],
  pvs: [],
  ...over,
})

describe('disk.vg keywords', () => {
  it("compiles the seed's [vg#1] section with no type", () => {
    const svc = compile('[vg#1]\nvgname = vgbusybox\nscsireserv = false\n')
    const r = vg(svc)
    expect(r.group).to.equal('disk')
    expect(r.type).to.equal('vg')
    expect(r.kw).to.deep.include({vgname: 'vgbusybox', scsireserv: false})
    expect(vgDriver.label(r, svc)).to.equal('vgbusybox')
  })

  it('accepts [disk#1] type = vg, the name alias and the provision keywords', () => {
    const svc = compile({
      'disk#1': {type: 'vg', name: 'vgdata', pvs: '/dev/loop3 /dev/loop4', options: '-s 8M', scsireserv: 'yes'},
    })
    const r = vg(svc, 'disk#1')
    expect(r.type).to.equal('vg')
    expect(r.kw.vgname).to.equal('vgdata')
    expect(r.kw.pvs).to.deep.equal(['/dev/loop3', '/dev/loop4'])
    expect(r.kw.options).to.deep.equal(['-s', '8M'])
    expect(r.kw.scsireserv).to.equal(true)
  })

  it('refuses bad values naming section.keyword', () => {
    const p = problems({'vg#1': {vgname: '-bad', scsireserv: 'maybe', pvs: 'loop3', options: 'vgdata'}})
    // (the core also reports the invalid vgname as missing: see the report's core notes)
    expect(p.filter(x => !/required keyword missing/.test(x))).to.have.length(4)
    expect(p).to.include('vg#1.vgname: expected a volume group name not starting with "-", got "-bad"')
    expect(p).to.include('vg#1.scsireserv: expected true or false, got "maybe"')
    expect(p).to.include('vg#1.pvs: expected absolute block device paths (not "loop3"), got "loop3"')
    expect(p).to.include('vg#1.options: expected vgcreate options starting with "-" (not "vgdata"), got "vgdata"')
    expect(problems({'vg#1': {vgname: 'vg busybox'}})[0]).to.equal(
      'vg#1.vgname: expected a volume group name made of letters, digits and + _ . -, got "vg busybox"',
    )
  })

  it('requires vgname', () => {
    expect(problems({'vg#1': {scsireserv: 'false'}})[0]).to.match(/^vg#1\.vgname: required keyword missing/)
  })

  it('refuses two resources managing the same volume group, and a PV listed twice', () => {
    expect(problems({'vg#1': {vgname: 'a'}, 'vg#2': {vgname: 'a'}})).to.deep.equal([
      'vg#2.vgname: volume group a is already managed by vg#1',
    ])
    expect(problems({'vg#1': {vgname: 'a', pvs: '/dev/loop1 /dev/loop1'}})).to.deep.equal([
      'vg#1.pvs: /dev/loop1 is listed twice',
    ])
  })
})

describe('disk.vg state rules', () => {
  const svc = {nodename: 'n1', defaults: {nodes: 'n1 n2, n3'}}

  it('other nodes are the DEFAULT nodes but this one; only their tags are dropped', () => {
    expect(otherNodeTags(['n2', 'n1', 'backup', 'n3'], svc)).to.deep.equal(['n2', 'n3'])
    expect(otherNodeTags(['n2'], {nodename: 'n1', defaults: {}})).to.deep.equal([])
    // the parsed DEFAULT nodes list, when the core gives it
    expect(
      otherNodeTags(['n2', 'n4'], {nodename: 'n1', defaults: {nodes: 'n1 n2'}, kw: {nodes: ['n1', 'n4']}}),
    ).to.deep.equal(['n4'])
  })

  it('a VG without logical volumes is active exactly when tagged for this node', () => {
    expect(isActive(state({tags: ['n1']}), 'n1')).to.equal(true)
    expect(isActive(state({tags: ['n2']}), 'n1')).to.equal(false)
    expect(isTagged(state({tags: ['n2', 'n1']}), 'n1')).to.equal(true)
  })

  it('a VG with logical volumes is active when all of them are', () => {
    expect(isActive(state({lvCount: 2, lvs: ['a', 'b'], activeLvs: ['a', 'b']}), 'n1')).to.equal(true)
    expect(isActive(state({lvCount: 2, lvs: ['a', 'b'], activeLvs: ['a'], tags: ['n1']}), 'n1')).to.equal(false)
  })

  it('reads LVM JSON reports, warnings and all', () => {
    const out =
      '  WARNING: something\n  {\n      "report": [\n          {\n              "vg": [\n                  {"vg_name":"vgtry", "vg_tags":"nodeA,nodeB", "lv_count":"0"}\n              ]\n          }\n      ]\n  }\n'
    expect(reportRows(out, 'vg')).to.deep.equal([{vg_name: 'vgtry', vg_tags: 'nodeA,nodeB', lv_count: '0'}])
    expect(lvIsActive({lv_name: 'a', lv_attr: '-wi-a-----', lv_active: ''})).to.equal(true)
    expect(lvIsActive({lv_name: 'a', lv_attr: '-wi-------', lv_active: ''})).to.equal(false)
    expect(lvIsActive({lv_name: 'a', lv_active: 'active'})).to.equal(true)
  })
})

describe('disk.vg describe', () => {
  it('lists the exact commands of each action', () => {
    const svc = compile({
      DEFAULT: {nodes: 'deb1.opensvc.com deb2.opensvc.com'},
      'vg#1': {vgname: 'vgbusybox', pvs: '/dev/loop3 /dev/loop4', options: '-s 8M', scsireserv: 'true'},
    })
    const r = vg(svc)
    expect(vgDriver.describe('start', r, svc)).to.deep.equal([
      'warn: scsireserv is not supported (no SCSI persistent reservation is placed)',
      'vgchange --deltag @deb2.opensvc.com vgbusybox  (when tagged for that other node of the service)',
      'vgchange --addtag @deb1.opensvc.com vgbusybox  (when not tagged for this node)',
      'vgchange -a y vgbusybox  (when not active)',
    ])
    expect(vgDriver.describe('stop', r, svc)).to.deep.equal([
      'kpartx -d /dev/vgbusybox/<lv>  (for each active logical volume, when kpartx is installed)',
      'vgchange -a n vgbusybox  (when active; retried 4 times 500 ms apart while busy)',
      'vgchange --deltag @deb1.opensvc.com vgbusybox  (when tagged for this node)',
    ])
    expect(vgDriver.describe('provision', r, svc)).to.deep.equal([
      'pvcreate /dev/loop3  (when not a physical volume yet; refused when it holds a signature)',
      'pvcreate /dev/loop4  (when not a physical volume yet; refused when it holds a signature)',
      'vgcreate -s 8M vgbusybox /dev/loop3 /dev/loop4  (when volume group vgbusybox does not exist)',
    ])
    expect(vgDriver.describe('unprovision', r, svc)).to.deep.equal([
      'vgremove -f vgbusybox  (only with --force: destroys its logical volumes)',
      'pvremove <each physical volume of vgbusybox>  (only with --force)',
    ])
  })

  it('says provision has nothing to create without pvs', () => {
    const svc = compile({'vg#1': {vgname: 'vgbusybox'}})
    expect(vgDriver.describe('provision', vg(svc), svc)).to.deep.equal([
      'nothing to create: no pvs (provision fails when volume group vgbusybox does not exist)',
    ])
  })
})

describe('disk.vg status when vgs itself fails', () => {
  it('is warn with the reason (unknown is never down); start and stop fail', async () => {
    // vgs cannot be run at all (not in PATH): the volume group's state is unknown
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-nolvm-'))
    const PATH = process.env.PATH
    process.env.PATH = empty
    try {
      const h = createDriverHarness({
        config: '[vg#1]\nvgname = vgnosuch\n',
        registrations: REGISTRATIONS,
        name: 'busybox',
        root: empty,
      })
      const st = await h.status('vg#1')
      expect(st.status).to.equal('warn')
      expect(st.log).to.have.length(1)
      expect(st.log![0].level).to.equal('warn')
      expect(st.log![0].message).to.match(/^vgs .*ENOENT.*: the state of volume group vgnosuch is unknown$/s)
      for (const action of ['start', 'stop'] as const)
        expect(
          await h.act('vg#1', action).then(
            () => 'done',
            (e: Error) => e.message,
          ),
          action,
        ).to.match(/^vgs /)
    } finally {
      process.env.PATH = PATH
      fs.rmSync(empty, {recursive: true, force: true})
    }
  })
})
