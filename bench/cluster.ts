/**
 * `npm run bench:cluster` (issue 15, "## Bench"): on the cluster testbed (three nodes, each with
 * its own etcd member, dockerd and a real agent, `svcmgr daemon run`; scripts/clusterenv.sh),
 * a cluster service of one pause container with nodes = n1 n2 n3, orchestrate = ha:
 *   - failover time after a node crash (every process of n1's namespace killed) and after a
 *     partition (n1's eth0 set down): from the fault to the container running on n2's engine,
 *     against the lease TTL (the default, 10 s: SVCMGR_LEASE_TTL / BENCH_LEASE_TTL);
 *   - `switch --to n2 --wait` (and back) against a plain `stop` + `start` of the same container
 *     as a local service on n1 (the CLI's wall time, interleaved);
 *   - a cold `print status` of the cluster service against the local one, interleaved.
 * A watcher samples the three engines every 200 ms throughout and reports any sample where the
 * service ran on two nodes at once. Needs root, etcd, and the shared test engine (DOCKER_HOST,
 * scripts/testenv.sh env) to copy the image from; skips saying why otherwise.
 *
 *   BENCH_RUNS             runs of the fault and switch cases (default 3), print status (default 7)
 *   BENCH_CLUSTER_CASES    comma list of status,switch,crash,partition (default all)
 *   CLUSTERENV_PREFIX/NET  the testbed's names and addresses (scripts/clusterenv.sh)
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {execa} from 'execa'
import {NODES, Testbed, testbedUnavailable, type NodeName} from '../test/cluster/support/testbed.js'
import {runOn} from '../test/cluster/support/node-cli.js'
import {NodeAgentProcess, Sampler, serviceContainers} from '../test/cluster/support/cluster-service.js'
import {envInt, median, renderTable, type Row, type Section} from './lib.js'

const IMAGE = 'google/pause:latest'
const SVC = 'ccha'
const LOCAL = 'cclocal'
const log = (s: string) => process.stderr.write(`bench:cluster: ${s}\n`)
const wanted = new Set(
  (process.env.BENCH_CLUSTER_CASES ?? 'status,switch,crash,partition').split(',').map(s => s.trim()),
)
const ttl = envInt('BENCH_LEASE_TTL', envInt('SVCMGR_LEASE_TTL', 10))
const runs = envInt('BENCH_RUNS', 3)
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

const config = (orchestrate: string) =>
  [
    '[DEFAULT]',
    'nodes = n1 n2 n3',
    `orchestrate = ${orchestrate}`,
    '',
    '[container#1]',
    'type = docker',
    `image = ${IMAGE}`,
    '',
  ].join('\n')

async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>, periodMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await sleep(periodMs)
  }
}

async function main(): Promise<void> {
  const skipped: string[] = []
  const sections: Section[] = []
  const why =
    (await testbedUnavailable()) ??
    ((await execa('docker', ['image', 'inspect', IMAGE], {reject: false})).exitCode === 0
      ? undefined
      : `the shared test engine (DOCKER_HOST=${process.env.DOCKER_HOST ?? ''}) has no ${IMAGE}: eval "$(bash scripts/testenv.sh env)"`)
  if (why) {
    console.log(renderTable([], [`cluster cases: ${why}`]))
    return
  }
  const loadAtStart = os.loadavg()[0].toFixed(1)
  const bed = await Testbed.setup({engines: true, images: [IMAGE]})
  log(`testbed up in ${Math.round(bed.timings.setupMs!)} ms (prefix ${bed.prefix})`)
  const agents = new Map<NodeName, NodeAgentProcess>()
  const env = {SVCMGR_LEASE_TTL: String(ttl)}
  const watcher = new Sampler(bed, SVC)
  const nodesRunning = async () => {
    const on: NodeName[] = []
    for (const n of NODES) if ((await serviceContainers(bed, n, SVC))?.some(c => c.running)) on.push(n)
    return on
  }
  const cli = async (node: NodeName, args: string[]) => {
    const t0 = performance.now()
    const r = await runOn(bed, node, args, {env, timeoutMs: 180_000})
    const ms = performance.now() - t0
    if (r.exitCode !== 0)
      throw new Error(`${node}: svcmgr ${args.join(' ')}: exit ${r.exitCode}\n${r.stdout}\n${r.stderr}`)
    return ms
  }
  const startAgent = (n: NodeName) => agents.set(n, NodeAgentProcess.start(bed, n, ttl))
  const landedOn = (n: NodeName) =>
    until(`${SVC} running on ${n} alone`, 120_000, async () => {
      const on = await nodesRunning()
      return on.length === 1 && on[0] === n ? true : undefined
    })
  try {
    const conf = path.join(bed.nodes.n1.root, 'bench.conf')
    fs.mkdirSync(bed.nodes.n1.root, {recursive: true})
    fs.writeFileSync(conf, config('ha'))
    fs.writeFileSync(conf + '.local', config('no'))
    // the agents first, each holding its lease, so that the first placement sees all three
    for (const n of NODES) startAgent(n)
    for (const n of NODES)
      await until(`${n}'s agent holding a lease`, 60_000, async () => {
        const a = agents.get(n)!
        if (a.exited) throw new Error(`${n}'s agent exited:\n${a.stderr}`)
        return a.stderr.includes('granted (TTL') ? true : undefined
      })
    await cli('n1', ['-s', SVC, 'create', '--config', conf])
    await cli('n1', ['-s', LOCAL, 'create', '--config', conf + '.local'])
    watcher.start()
    let placed = ['switch', 'crash', 'partition'].some(c => wanted.has(c))
    if (placed)
      try {
        // placed by the agents; on n1 (the leader) unless an agent saw n1 late: then given back
        await until(`${SVC} running on some node`, 120_000, async () =>
          (await nodesRunning()).length > 0 ? true : undefined,
        )
        if ((await nodesRunning())[0] !== 'n1') await cli('n1', ['-s', SVC, 'giveback', '--wait', '--timeout', '2m'])
        await landedOn('n1')
        log(`${SVC} runs on n1`)
      } catch (error) {
        placed = false
        skipped.push(
          `switch, crash and partition: the agents did not start ${SVC} on n1 (${(error as Error).message}); is the agent's ownership merged?`,
        )
      }

    if (wanted.has('status')) {
      const n = envInt('BENCH_RUNS', 7)
      const cluster: number[] = []
      const local: number[] = []
      await cli('n1', ['-s', SVC, 'print', 'status'])
      await cli('n1', ['-s', LOCAL, 'print', 'status'])
      for (let i = 0; i < n; i++) {
        cluster.push(await cli('n1', ['-s', SVC, 'print', 'status']))
        local.push(await cli('n1', ['-s', LOCAL, 'print', 'status']))
      }
      sections.push({
        title: 'print status of a cluster service',
        rows: [
          {
            case: 'print status, cluster service (n1)',
            median: median(cluster),
            baseline: 'print status, local service (n1)',
            baselineMedian: median(local),
            runs: n,
          },
        ],
        notes: [
          `a cold \`svcmgr -s ${SVC} print status\` (one pause container; the cluster view: 2 range reads + the owner's lease TTL from etcd) against the same container as a local service, run in n1's namespace, ${n} runs interleaved after 1 warm-up. (info)`,
        ],
      })
    }

    if (placed && wanted.has('switch')) {
      const switches: number[] = []
      const plain: number[] = []
      await cli('n1', ['-s', LOCAL, 'start'])
      for (let i = 0; i < runs; i++) {
        switches.push(await cli('n1', ['-s', SVC, 'switch', '--to', 'n2', '--wait', '--timeout', '2m']))
        const t0 = performance.now()
        await cli('n1', ['-s', LOCAL, 'stop'])
        await cli('n1', ['-s', LOCAL, 'start'])
        plain.push(performance.now() - t0)
        switches.push(await cli('n2', ['-s', SVC, 'switch', '--to', 'n1', '--wait', '--timeout', '2m']))
      }
      await cli('n1', ['-s', LOCAL, 'stop'])
      sections.push({
        title: 'switch',
        rows: [
          {
            case: 'switch --to <other> --wait',
            median: median(switches),
            baseline: 'stop + start on one node',
            baselineMedian: median(plain),
            runs: switches.length,
          },
        ],
        notes: [
          `\`switch --to n2 --wait\` and back (the CLI's wall time until etcd says the new owner's instance is up; the agents stop, release, acquire and start) against \`stop\` then \`start\` of the same container as a local service on n1 (two CLI processes); ${runs} rounds interleaved. (info)`,
        ],
      })
    }

    const fault = async (kind: 'crash' | 'partition') => {
      const times: number[] = []
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now()
        if (kind === 'crash') await bed.crash('n1')
        else await bed.cut('n1')
        await until('failover to n2', 120_000, async () => ((await nodesRunning()).includes('n2') ? true : undefined))
        times.push(performance.now() - t0)
        log(`${kind} ${i + 1}: ${SVC} runs on n2 after ${Math.round(times.at(-1)!)} ms`)
        // n1 back, then the service given back to it for the next run
        if (kind === 'crash') {
          await bed.engineStart('n1')
          startAgent('n1')
        } else await bed.restore('n1')
        await until(
          "n1's agent alive",
          60_000,
          async () => {
            const r = await runOn(bed, 'n2', ['cluster', 'status', '--format', 'json'], {env})
            const s = JSON.parse(r.stdout || '{}') as {nodes?: {node: string; alive: boolean}[]}
            return s.nodes?.some(x => x.node === 'n1' && x.alive) ? true : undefined
          },
          500,
        )
        await cli('n2', ['-s', SVC, 'giveback', '--wait', '--timeout', '2m'])
        await landedOn('n1')
      }
      return times
    }
    const faultRow = (kind: 'crash' | 'partition', times: number[]): Row => ({
      case: kind === 'crash' ? 'failover after a node crash' : 'failover after a partition',
      median: median(times),
      baseline: `the lease TTL (${ttl} s)`,
      baselineMedian: ttl * 1000,
      runs: times.length,
    })
    const faults: Row[] = []
    if (placed && wanted.has('crash')) faults.push(faultRow('crash', await fault('crash')))
    if (placed && wanted.has('partition')) faults.push(faultRow('partition', await fault('partition')))
    if (faults.length)
      sections.push({
        title: 'failover',
        rows: faults,
        notes: [
          `from the fault (\`clusterenv.sh crash n1\`: every process of n1's namespace killed, agent, dockerd and its containers; or \`cut n1\`: its eth0 set down) to ${SVC}'s container running on n2's engine (sampled every 100 ms over its socket), lease TTL ${ttl} s; ${runs} runs, each after a giveback to n1. After a crash n2 waits for n1's lease to expire: TTL after n1's last renewal (every TTL/3), so 2/3 TTL to TTL after the crash, plus n2's acquire and start; a cut-off n1 stops at its own deadline before that. (info)`,
        ],
      })
  } finally {
    await watcher.stop()
    for (const a of agents.values()) await a.stop()
    await bed.teardown()
    log(`testbed down in ${Math.round(bed.timings.teardownMs!)} ms`)
  }
  const overlapNote = `${watcher.samples.length} samples of the three engines every 200 ms: ${watcher.violations.length === 0 ? 'the service never ran on two nodes at once' : `RAN ON TWO NODES AT ONCE in ${watcher.violations.length} samples: ${JSON.stringify(watcher.violations.slice(0, 3))}`}`
  console.log(
    renderTable(sections, skipped, [
      `node ${process.version}, ${os.cpus().length} CPUs, 1-min load average ${loadAtStart} at start, ${os.loadavg()[0].toFixed(1)} at end`,
      overlapNote,
    ]),
  )
  if (watcher.violations.length > 0) process.exitCode = 1
}

await main()
