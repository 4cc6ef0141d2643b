/**
 * The node agent and a netns owner: svc2 as the seed has it (container#1 owning the network
 * namespace, ip#1 plumbed into it, nginx and redis joined to it) on a test LAN of this test's
 * own (a veth whose peer sits in a namespace holding the "gateway" 203.0.113.10; the service
 * address 203.0.113.11 lives only in the container's namespace; nothing is plumbed in the root
 * namespace). `docker kill` of container#1: the agent restarts it as `restart --rid
 * container#1` does: ip#1 re-plumbed in the new namespace, container#2 and #3 restarted, nginx
 * answering HTTP on the address again, from the LAN namespace.
 */
import {expect} from 'chai'
import {execa} from 'execa'
import {AgentProcess, readJson, until} from './support/agent.js'
import {CliSandbox, docker, inspectContainer, removeServiceContainers, requireEngine} from './support/cli.js'

const LAN_NS = `agl${process.pid}`
const VETH = `agv${process.pid}`.slice(0, 15)
const GATEWAY = '203.0.113.10'
const ADDR = '203.0.113.11'
const STANDIN = 'svcmgr nginx stand-in'

async function ip(...args: string[]): Promise<void> {
  const r = await execa('ip', args, {reject: false})
  if (r.exitCode !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`)
}

/** One HTTP GET of the service address from the LAN namespace (curl: busybox wget segfaults in a namespace here). */
async function httpFromLan(): Promise<string | undefined> {
  const r = await execa('ip', ['netns', 'exec', LAN_NS, 'curl', '-s', '-m', '3', `http://${ADDR}/`], {
    reject: false,
    timeout: 10_000,
  })
  return r.exitCode === 0 ? String(r.stdout) : undefined
}

/** The IPv4 addresses of eth0 in a process's network namespace. */
async function eth0Addresses(pid: number): Promise<string[]> {
  const r = await execa('nsenter', [`--net=/proc/${pid}/ns/net`, 'ip', '-j', '-4', 'addr', 'show', 'dev', 'eth0'], {
    reject: false,
  })
  if (r.exitCode !== 0) return []
  const [link] = JSON.parse(String(r.stdout) || '[]') as Array<{addr_info?: Array<{local: string; prefixlen: number}>}>
  return (link?.addr_info ?? []).map(a => `${a.local}/${a.prefixlen}`)
}

describe('node agent: a killed netns owner is restarted with what depends on it', function () {
  this.timeout(240_000)
  const cli = new CliSandbox('agent-netns')
  const svc = `ag${process.pid}nn`
  const name = (n: number) => `${svc}.container.${n}`
  let agent: AgentProcess | undefined

  before(async function () {
    requireEngine()
    if (process.getuid?.() !== 0) {
      console.log('      skipped: network namespaces and macvlan links need root')
      this.skip()
    }
    await execa('ip', ['netns', 'del', LAN_NS], {reject: false})
    await execa('ip', ['link', 'del', VETH], {reject: false})
    await ip('netns', 'add', LAN_NS)
    await ip('-n', LAN_NS, 'link', 'set', 'lo', 'up')
    await ip('link', 'add', VETH, 'type', 'veth', 'peer', 'name', 'gw0', 'netns', LAN_NS)
    await ip('-n', LAN_NS, 'addr', 'add', `${GATEWAY}/24`, 'dev', 'gw0')
    await ip('-n', LAN_NS, 'link', 'set', 'gw0', 'up')
    await ip('link', 'set', VETH, 'up')
  })

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && agent) console.log(agent.stderr.split('\n').slice(-80).join('\n'))
  })

  after(async () => {
    await agent?.stop()
    await removeServiceContainers(svc)
    await execa('ip', ['netns', 'del', LAN_NS], {reject: false})
    await execa('ip', ['link', 'del', VETH], {reject: false})
    cli.cleanup()
  })

  it('restarts container#1, re-plumbs ip#1 in its new namespace and restarts container#2 and #3', async () => {
    const conf = {
      DEFAULT: {monitor_interval: '1h'},
      'container#1': {
        type: 'docker',
        image: 'google/pause',
        run_command: '/bin/sh',
        restart: '2',
        restart_delay: '100ms',
      },
      'container#2': {type: 'docker', image: 'nginx', netns: 'container#1'},
      'container#3': {type: 'docker', image: 'redis', netns: 'container#1'},
      'ip#1': {
        type: 'netns',
        mode: 'macvlan',
        netns: 'container#1',
        ipdev: VETH,
        ipname: ADDR,
        netmask: '255.255.255.0',
        gateway: GATEWAY,
      },
    }
    await cli.ok(['-s', svc, 'create', '--config=-'], {input: JSON.stringify(conf)})
    await cli.ok(['-s', svc, 'start'])
    expect(await httpFromLan()).to.contain(STANDIN)
    const before = await Promise.all([1, 2, 3].map(n => inspectContainer(name(n))))
    agent = await AgentProcess.start(cli)
    await agent.watching(svc)

    await docker(['kill', name(1)])
    const after = await until('container#1, #2 and #3 running again under a new start', async () => {
      const now = await Promise.all([1, 2, 3].map(n => inspectContainer(name(n))))
      return now.every((c, i) => c?.running && c.startedAt !== before[i]!.startedAt) ? now : undefined
    })
    // the new namespace holds the address, and nginx answers on it from the LAN
    expect(await eth0Addresses(after[0]!.pid)).to.deep.equal([`${ADDR}/24`])
    await until('nginx answering on the service address', async () => (await httpFromLan())?.includes(STANDIN))
    for (const n of [2, 3]) expect(after[n - 1]!.networkMode).to.equal(`container:${after[0]!.id}`)
    await until('monitor.json idle', () => readJson(`${cli.root}/var/${svc}/monitor.json`)?.state === 'idle')
    expect(readJson(`${cli.root}/var/${svc}/monitor.json`).restarts).to.deep.equal({'container#1': 1})
    const status = JSON.parse((await cli.ok(['-s', svc, 'print', 'status', '--format', 'json'])).stdout)
    expect(status.avail).to.equal('up')
    expect(status.resources['ip#1'].status).to.equal('up')
    expect(agent.stderr).to.include('add rid ip#1 to satisfy dependencies')
  })
})
