// The seed's layout as it really is: filesystems on logical volumes of the service's volume
// group, named /dev/mapper/<vg>-<lv> and /dev/<vg>/<lv>. Needs device-mapper (lvcreate and LV
// activation): on a kernel without it the test skips, saying so; the same ordering is
// checked without LVs by the unit tests and the busybox e2e test.
import path from 'node:path'
import {expect} from 'chai'
import {buildPlan, compileService, DriverRegistry, EventCollector, executePlan, parseDocument} from 'svcmgr/testing'
import {registration} from '../../src/hooks/drivers.js'
import {registration as lvmRegistration} from '../../../lvm/src/hooks/drivers.js'
import {hasDeviceMapper, loopUnavailable, mountsOf, NO_DM, Scratch, sh} from '../support/scratch.js'

const NODE = 'node1.svcmgr.test'
const unavailable = loopUnavailable()
const DM = hasDeviceMapper()
const why = unavailable ?? (DM ? undefined : NO_DM)

describe("fs on logical volumes of the service's volume group", function () {
  this.timeout(60_000)
  let scratch: Scratch | undefined

  afterEach(() => {
    if (scratch) expect(scratch.cleanup(), 'cleanup').to.deep.equal([])
    scratch = undefined
  })

  ;(why ? it.skip : it)(
    `starts vg, then the filesystems on its LVs; stops them in reverse, the VG deactivated last${why ? ` (skipped: ${why})` : ''}`,
    async () => {
      scratch = Scratch.create('svcmgr-lv')
      const pv = scratch.loop(128)
      const vg = scratch.vgName('lv')
      sh('pvcreate', [pv])
      sh('vgcreate', [vg, pv])
      for (const lv of ['root', 'data']) {
        sh('lvcreate', ['-y', '-L', '32M', '-n', lv, vg])
        sh('mkfs.ext4', ['-q', `/dev/${vg}/${lv}`])
      }
      sh('vgchange', ['-a', 'n', vg])
      const base = path.join(scratch.dir, 'opt')
      const registry = new DriverRegistry()
      registry.add('@svcmgr/plugin-fs', registration)
      registry.add('@svcmgr/plugin-lvm', lvmRegistration)
      const text = JSON.stringify({
        'fs#1': {type: 'ext4', dev: `/dev/mapper/${vg}-root`, mnt: base},
        'fs#2': {type: 'ext4', dev: `/dev/${vg}/data`, mnt: `${base}/appdata`},
        'vg#1': {vgname: vg},
      })
      const svc = compileService(parseDocument(text, 'lv', 'test'), registry, {
        name: 'lv',
        nodename: NODE,
        varDir: path.join(scratch.dir, 'var'),
      })
      const run = async (action: 'start' | 'stop') => {
        const r = await executePlan(buildPlan(svc, action), {
          service: svc,
          settings: {root: scratch!.dir, nodename: NODE},
          sink: new EventCollector(),
        })
        expect(r.ok, r.error).to.equal(true)
        return r.tasks.map(t => t.rid)
      }
      expect(await run('start')).to.deep.equal(['vg#1', 'fs#1', 'fs#2'])
      expect(mountsOf(`/dev/${vg}/root`).map(m => m.mountPoint)).to.deep.equal([base])
      expect(mountsOf(`/dev/mapper/${vg}-data`).map(m => m.mountPoint)).to.deep.equal([`${base}/appdata`])
      expect(await run('stop')).to.deep.equal(['fs#2', 'fs#1', 'vg#1'])
      expect(sh('lvs', ['--noheadings', '-o', 'lv_active', vg]).trim()).to.equal('')
    },
  )
})
