// A private docker daemon whose docker_data_dir is on a filesystem resource never starts on
// the bare mount point: with the filesystem down a container start fails before any dockerd
// runs and nothing is written under the mount point. (With it up, the daemon starts there:
// see test/integration/busybox-service.test.ts.)
import fs from 'node:fs'
import path from 'node:path'
import {expect} from 'chai'
import {createDriverHarness} from 'svcmgr/testing'
import {registration} from '../../src/hooks/drivers.js'
import {registration as dockerRegistration} from '../../../docker/src/hooks/drivers.js'
import {serviceDaemonSpec} from '../../../docker/src/engine/daemon.js'
import {loopUnavailable, mountsOf, Scratch, sh} from '../support/scratch.js'

const unavailable = loopUnavailable()

describe('fs + private docker daemon: docker_data_dir on a filesystem resource', function () {
  this.timeout(60_000)
  let scratch: Scratch

  before(function () {
    if (unavailable) {
      console.log(`      skipped: ${unavailable}`)
      this.skip()
    }
  })

  beforeEach(() => {
    scratch = Scratch.create('svcmgr-dd')
  })

  afterEach(() => {
    if (scratch) expect(scratch.cleanup(), 'cleanup').to.deep.equal([])
  })

  it('refuses to start the daemon while that filesystem is down; nothing lands on the mount point', async () => {
    const dev = scratch.loop()
    sh('mkfs.ext4', ['-q', dev])
    const mnt = path.join(scratch.dir, 'opt', 'appdata')
    fs.mkdirSync(mnt, {recursive: true})
    const h = createDriverHarness({
      config: {
        DEFAULT: {docker_data_dir: `${mnt}/docker`},
        'fs#1': {type: 'ext4', dev, mnt},
        'container#1': {type: 'docker', image: 'opensvc/busybox:date'},
      },
      registrations: [
        {plugin: '@svcmgr/plugin-fs', registration},
        {plugin: '@svcmgr/plugin-docker', registration: dockerRegistration},
      ],
      root: path.join(scratch.dir, 'root'),
    })
    let error: Error | undefined
    try {
      await h.act('container#1', 'start')
    } catch (e) {
      error = e as Error
    }
    expect(error?.message).to.equal(
      `docker_data_dir ${mnt}/docker is on fs#1 (${dev}@${mnt}), which is down: the docker daemon is not started on its bare mount point (start fs#1 first)`,
    )
    expect(h.messages('container#1')).to.not.include('starting docker daemon')
    expect(fs.readdirSync(mnt)).to.deep.equal([])
    const spec = serviceDaemonSpec(h.service)!
    expect(fs.existsSync(spec.pidfile)).to.equal(false)
    expect(mountsOf(dev)).to.deep.equal([])
  })
})
