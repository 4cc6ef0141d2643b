// Which filesystem resource holds a private daemon's docker_data_dir (the one that must be
// up before dockerd starts on it).
import {expect} from 'chai'
import {dataDirFilesystem} from '../../src/engine/daemon.js'

const fsRes = (rid: string, mnt: string, disabled = false) => ({rid, group: 'fs', disabled, kw: {mnt}})

describe('private daemon: the filesystem holding docker_data_dir', () => {
  const resources = [
    fsRes('fs#1', '/opt/busybox.opensvc.com'),
    fsRes('fs#2', '/opt/busybox.opensvc.com/appdata/'),
    fsRes('fs#3', '/opt/busybox.opensvc.com/app'),
    {rid: 'container#1', group: 'container', disabled: false, kw: {image: 'x'}},
  ]

  it('is the deepest mount point at or above it', () => {
    expect(dataDirFilesystem(resources, '/opt/busybox.opensvc.com/appdata')?.rid).to.equal('fs#2')
    expect(dataDirFilesystem(resources, '/opt/busybox.opensvc.com/appdata/docker/')?.rid).to.equal('fs#2')
    expect(dataDirFilesystem(resources, '/opt/busybox.opensvc.com/other')?.rid).to.equal('fs#1')
  })

  it('is trailing-slash safe and skips disabled filesystems', () => {
    expect(dataDirFilesystem(resources, '/opt/busybox.opensvc.com/applications')?.rid).to.equal('fs#1')
    expect(dataDirFilesystem([fsRes('fs#1', '/opt/x', true)], '/opt/x/data')).to.equal(undefined)
    expect(dataDirFilesystem(resources, '/srv/docker')).to.equal(undefined)
  })
})
