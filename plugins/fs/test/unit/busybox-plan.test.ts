// The seed's "Complex Orchestration" service (test/fixtures/busybox.conf) compiled with the
// real docker, ip, lvm and fs registrations, and its planned start and stop orders.
import fs from 'node:fs'
import {expect} from 'chai'
import {buildPlan, compileService, DriverRegistry, parseDocument, resourceEdges, type Service} from 'svcmgr/testing'
import {registration as fsRegistration} from '../../src/hooks/drivers.js'
import {registration as lvmRegistration} from '../../../lvm/src/hooks/drivers.js'
import {registration as dockerRegistration} from '../../../docker/src/hooks/drivers.js'
import {registration as ipRegistration} from '../../../ip/src/hooks/drivers.js'

const BUSYBOX = fs.readFileSync(new URL('../../../../test/fixtures/busybox.conf', import.meta.url), 'utf8')

function compileBusybox(text = BUSYBOX): Service {
  const registry = new DriverRegistry()
  registry.add('@svcmgr/plugin-docker', dockerRegistration)
  registry.add('@svcmgr/plugin-ip', ipRegistration)
  registry.add('@svcmgr/plugin-lvm', lvmRegistration)
  registry.add('@svcmgr/plugin-fs', fsRegistration)
  expect(registry.problems).to.deep.equal([])
  return compileService(parseDocument(text, 'busybox.opensvc.com', 'busybox.conf'), registry, {
    name: 'busybox.opensvc.com',
    nodename: 'deb1.opensvc.com',
    varDir: '/var/lib/svcmgr/var/busybox.opensvc.com',
  })
}

/** The plan's task order as stages: rids joined by "|" when the stage runs them in parallel. */
function stagesOf(svc: Service, action: 'start' | 'stop'): string[] {
  const plan = buildPlan(svc, action)
  return plan.stages.map(s => s.tasks.map(id => plan.tasks[id - 1].rid).join(s.parallel ? ' | ' : ' > '))
}

describe("the seed's busybox service with the real drivers", () => {
  it('compiles: [ip#1] is ip.host, [vg#1] disk.vg, the filesystems ext4, the DEFAULT private-daemon keywords known', () => {
    const svc = compileBusybox()
    expect(svc.resources.map(r => `${r.rid}=${r.group}.${r.type}`)).to.deep.equal([
      'container#1=container.docker',
      'container#2=container.docker',
      'container#3=container.docker',
      'container#4=container.docker',
      'container#5=container.docker',
      'container#6=container.docker',
      'container#7=container.docker',
      'fs#1=fs.ext4',
      'fs#2=fs.ext4',
      'ip#1=ip.host',
      'vg#1=disk.vg',
    ])
    expect(svc.defaults.docker_data_dir).to.equal('/opt/busybox.opensvc.com/appdata')
    const labels = Object.fromEntries(svc.resources.map(r => [r.rid, r.driver.label(r, svc)]))
    expect(labels['ip#1']).to.equal('busybox.opensvc.com@eth0')
    expect(labels['vg#1']).to.equal('vgbusybox')
    expect(labels['fs#1']).to.equal('/dev/mapper/vgbusybox-lvbusyboxroot@/opt/busybox.opensvc.com')
    expect(labels['fs#2']).to.equal('/dev/mapper/vgbusybox-lvbusyboxdata@/opt/busybox.opensvc.com/appdata')
  })

  it('starts ip#1, vg#1, fs#1, fs#2, container#1, container#2-5 in parallel, container#6, container#7', () => {
    expect(stagesOf(compileBusybox(), 'start')).to.deep.equal([
      'ip#1',
      'vg#1',
      'fs#1 > fs#2',
      'container#1',
      'container#2 | container#3 | container#4 | container#5',
      'container#6 > container#7',
    ])
  })

  it('stops in reverse', () => {
    expect(stagesOf(compileBusybox(), 'stop')).to.deep.equal([
      'container#7 > container#6',
      'container#5 | container#4 | container#3 | container#2',
      'container#1',
      'fs#2 > fs#1',
      'vg#1',
      'ip#1',
    ])
  })

  it('orders the filesystems by path even when their rids say otherwise', () => {
    const swapped = BUSYBOX.replace('[fs#1]', '[fs#9]').replace('[fs#2]', '[fs#1]').replace('[fs#9]', '[fs#2]')
    const svc = compileBusybox(swapped)
    expect(stagesOf(svc, 'start')[2]).to.equal('fs#2 > fs#1')
    expect(stagesOf(svc, 'stop')[3]).to.equal('fs#1 > fs#2')
  })

  it('declares the edges: vg before both filesystems, fs#1 before fs#2, fs#2 (docker_data_dir) before every container', () => {
    const svc = compileBusybox()
    const edges = svc.resources.flatMap(r => resourceEdges(svc, r.rid)).map(d => `${d.before}->${d.after}`)
    expect(edges).to.include.members([
      'vg#1->fs#1',
      'vg#1->fs#2',
      'fs#1->fs#2',
      ...[1, 2, 3, 4, 5, 6, 7].map(i => `fs#2->container#${i}`),
    ])
    expect(edges).to.not.include('fs#1->container#1')
    // a container alone brings what its private daemon's data needs
    expect(buildPlan(svc, 'start', {rids: ['container#1']}).added.map(a => a.rid)).to.have.members([
      'fs#1',
      'fs#2',
      'vg#1',
    ])
  })

  it('describes the private daemon in the first container start', () => {
    const svc = compileBusybox()
    const plan = buildPlan(svc, 'start')
    const c1 = plan.tasks.find(t => t.rid === 'container#1')!
    expect(c1.steps[0]).to.match(
      /^start the service's docker daemon when it is not running: dockerd --data-root \/opt\/busybox.opensvc.com\/appdata .* --ip 37\.59\.71\.25$/,
    )
  })
})
