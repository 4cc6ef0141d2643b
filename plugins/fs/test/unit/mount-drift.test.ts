// fs drift rules: what the live mount shows against fs type and mnt_opt.
import {expect} from 'chai'
import {mountDrift} from '../../src/mount/drift.js'

const mounted = (fstype: string, options: string, superOptions = 'rw') => ({fstype, options, superOptions})

describe('fs drift (the live mount against the config)', () => {
  it('in sync: the type and every shown option of mnt_opt', () => {
    expect(
      mountDrift(mounted('ext4', 'rw,noatime', 'rw,errors=remount-ro'), 'ext4', 'noatime,errors=remount-ro'),
    ).to.deep.equal([])
    expect(mountDrift(mounted('xfs', 'rw,relatime'), 'xfs', undefined)).to.deep.equal([])
  })
  it('names type when mounted as another filesystem type, mnt_opt when an option is not in effect', () => {
    expect(mountDrift(mounted('ext3', 'rw,relatime'), 'ext4', undefined)).to.deep.equal(['type'])
    expect(mountDrift(mounted('ext4', 'rw,relatime'), 'ext4', 'noatime')).to.deep.equal(['mnt_opt'])
    expect(mountDrift(mounted('ext4', 'rw,relatime'), 'ext4', 'ro')).to.deep.equal(['mnt_opt'])
  })
  it('does not compare options the kernel never shows', () => {
    expect(
      mountDrift(mounted('ext4', 'rw,relatime'), 'ext4', 'defaults,nofail,_netdev,x-systemd.automount'),
    ).to.deep.equal([])
  })
})
