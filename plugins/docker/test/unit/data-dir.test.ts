// Which filesystem resource holds a private daemon's docker_data_dir (the one that must be
// up before dockerd starts on it): the core matches the containers' need of
// path:<docker_data_dir> to what the fs resources provide.
import {expect} from 'chai'
import {compileConfig, type Registrations, type Service} from 'svcmgr/testing'
import {registration} from '../../src/hooks/drivers.js'
import {registration as fsRegistration} from '../../../fs/src/hooks/drivers.js'

const REGISTRATIONS: Registrations = [
  {plugin: '@svcmgr/plugin-docker', registration},
  {plugin: '@svcmgr/plugin-fs', registration: fsRegistration},
]

const fsSection = (dev: number, mnt: string, disabled = false) => ({
  type: 'ext4',
  dev: `/dev/loop${dev}`,
  mnt,
  ...(disabled ? {disable: 'true'} : {}),
})

function service(dataDir: string, sections: Record<string, object>): Service {
  return compileConfig(
    {DEFAULT: {docker_data_dir: dataDir}, 'container#1': {type: 'docker', image: 'x'}, ...sections},
    REGISTRATIONS,
  )
}

/** The rid the core finds for the data dir, the way the container's start looks it up (ctx.provider). */
const holder = (svc: Service, dataDir: string) => svc.providers(`path:${dataDir}`, 'container#1')[0]?.rid

describe('private daemon: the filesystem holding docker_data_dir', () => {
  const sections = {
    'fs#1': fsSection(1, '/opt/busybox.opensvc.com'),
    'fs#2': fsSection(2, '/opt/busybox.opensvc.com/appdata/'),
    'fs#3': fsSection(3, '/opt/busybox.opensvc.com/app'),
  }

  it('is the deepest mount point at or above it', () => {
    const svc = service('/opt/busybox.opensvc.com/appdata', sections)
    expect(holder(svc, '/opt/busybox.opensvc.com/appdata')).to.equal('fs#2')
    expect(holder(svc, '/opt/busybox.opensvc.com/appdata/docker/')).to.equal('fs#2')
    expect(holder(svc, '/opt/busybox.opensvc.com/other')).to.equal('fs#1')
    // and the container's need of it is what orders that filesystem first
    expect(svc.needed('container#1')).to.deep.include({
      capability: 'path:/opt/busybox.opensvc.com/appdata',
      reason: 'holds docker_data_dir /opt/busybox.opensvc.com/appdata',
    })
  })

  it('is trailing-slash safe and skips disabled filesystems', () => {
    const svc = service('/opt/busybox.opensvc.com/applications', sections)
    expect(holder(svc, '/opt/busybox.opensvc.com/applications')).to.equal('fs#1')
    expect(holder(service('/opt/x/data', {'fs#1': fsSection(1, '/opt/x', true)}), '/opt/x/data')).to.equal(undefined)
    expect(holder(svc, '/srv/docker')).to.equal(undefined)
  })
})
