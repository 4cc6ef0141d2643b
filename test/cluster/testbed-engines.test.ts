/**
 * The testbed's per-node engines: one dockerd per node namespace, images copied from the
 * shared test engine (read only there), a node crash that takes its containers' processes too,
 * and a teardown that leaves no mount, namespace or process. Skips without the testbed's
 * needs or without the shared engine (DOCKER_HOST from scripts/testenv.sh env).
 */
import fs from 'node:fs'
import {expect} from 'chai'
import {execa} from 'execa'
import {Testbed, testbedUnavailable} from './support/testbed.js'

const IMAGE = 'google/pause:latest'

describe('cluster testbed: a dockerd per node', function () {
  this.timeout(120000)
  let bed: Testbed | undefined

  before(async function () {
    const why =
      (await testbedUnavailable()) ??
      ((await execa('docker', ['image', 'inspect', IMAGE], {reject: false})).exitCode === 0
        ? undefined
        : `the shared test engine (DOCKER_HOST=${process.env.DOCKER_HOST ?? ''}) has no ${IMAGE}: run scripts/testenv.sh up`)
    if (why) {
      console.log(`      skipped: ${why}`)
      this.skip()
    }
    bed = await Testbed.setup({engines: true, images: [IMAGE]})
    console.log(`      testbed with engines up in ${Math.round(bed.timings.setupMs!)} ms`)
  })
  after(async () => {
    if (bed) await bed.teardown()
  })

  it('runs a container on n1 inside n1; a crash of n1 kills its engine and the container; teardown leaves nothing', async () => {
    const n1 = bed!.nodes.n1
    const docker = (args: string[]) => execa('docker', ['-H', n1.dockerHost!, ...args], {reject: false})
    for (const n of ['n1', 'n2', 'n3'] as const) {
      const images = await execa('docker', [
        '-H',
        bed!.nodes[n].dockerHost!,
        'images',
        '--format',
        '{{.Repository}}:{{.Tag}}',
      ])
      expect(images.stdout.split('\n'), `${n}'s engine has the image`).to.include(IMAGE)
    }
    const run = await docker(['run', '-d', '--network', 'none', '--label', 'svcmgr.test=et', IMAGE])
    expect(run.exitCode, run.stderr).to.equal(0)
    const pid = Number((await docker(['inspect', '-f', '{{.State.Pid}}', run.stdout.trim()])).stdout)
    expect(pid).to.be.above(0)
    // the engine lives in n1's network namespace
    const dockerdPid = fs.readFileSync(`/run/svcmgr-clusterenv-${bed!.prefix}/n1/docker.pid`, 'utf8').trim()
    expect(fs.readlinkSync(`/proc/${dockerdPid}/ns/net`)).to.equal(
      (await execa('nsenter', [`--net=${n1.netns}`, 'readlink', '/proc/self/ns/net'])).stdout.trim(),
    )
    await bed!.crash('n1')
    const state = () => {
      try {
        return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0]
      } catch {
        return 'gone'
      }
    }
    expect(['gone', 'Z', 'X'], "the container's process after the crash").to.include(state())
    expect((await execa('ip', ['netns', 'pids', `${bed!.prefix}-n1`])).stdout.trim()).to.equal('')
    expect((await docker(['version'])).exitCode, 'the engine is gone').to.not.equal(0)
    // the other nodes' engines are untouched
    expect((await execa('docker', ['-H', bed!.nodes.n2.dockerHost!, 'version'], {reject: false})).exitCode).to.equal(0)
    await bed!.teardown()
    console.log(`      testbed with engines down in ${Math.round(bed!.timings.teardownMs!)} ms`)
    expect(fs.readFileSync('/proc/mounts', 'utf8')).to.not.include(`svcmgr-clusterenv-${bed!.prefix}`)
    expect((await execa('ip', ['netns', 'list'])).stdout).to.not.include(`${bed!.prefix}-`)
    expect((await execa('pgrep', ['-f', `svcmgr-clusterenv-${bed!.prefix}`], {reject: false})).stdout).to.equal('')
    bed = undefined
  })
})
