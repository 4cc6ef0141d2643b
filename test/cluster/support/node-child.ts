/**
 * A helper process the cluster tests start inside a node's network namespace (nsenter --net):
 * the root namespace has no route to the fabric. It reads requests as JSON lines on stdin,
 * {id, op, args}, answers {id, ok, result} or {id, ok: false, error, name}, and writes events
 * {event, ...} (the lease keeper's, a watch's) as they come, each with `mono`: CLOCK_MONOTONIC
 * in ms, the same clock in every process, so the test can order events of several processes.
 * Endpoints: SVCMGR_ETCD (comma separated).
 */
import readline from 'node:readline'
import {EtcdClient, type Watch} from '../../../src/cluster/etcd/client.js'
import {LeaseKeeper, monotonicClock} from '../../../src/cluster/lease.js'
import {acquireOwnership, readOwner, releaseOwnership} from '../../../src/cluster/ownership.js'
import {announcePresence, listNodes} from '../../../src/cluster/presence.js'
import {
  createClusterConfig,
  deleteClusterConfig,
  listClusterServices,
  readClusterConfig,
  updateClusterConfig,
  writeLocalCopy,
  type ClusterConfig,
} from '../../../src/cluster/config-store.js'

const client = new EtcdClient({
  endpoints: (process.env.SVCMGR_ETCD ?? '').split(','),
  timeoutMs: Number(process.env.CHILD_TIMEOUT_MS ?? 3000),
})
let keeper: LeaseKeeper | undefined
const watches: Watch[] = []
const mono = () => monotonicClock.now()
const emit = (event: string, data: Record<string, unknown> = {}) =>
  process.stdout.write(JSON.stringify({event, mono: mono(), ...data}) + '\n')

type Args = Record<string, unknown> & {timeoutMs?: number}
const ops: Record<string, (a: Args) => Promise<unknown>> = {
  put: a => client.put(a.key as string, a.value as string, {lease: a.lease as string, timeoutMs: a.timeoutMs}),
  get: a => client.get(a.key as string, {serializable: a.serializable as boolean, timeoutMs: a.timeoutMs}),
  delete: a => client.delete(a.key as string, {timeoutMs: a.timeoutMs}),
  range: a => client.range(a.key as string, {prefix: true, timeoutMs: a.timeoutMs}),
  grant: a => client.leaseGrant(a.ttl as number),
  timeToLive: a => client.leaseTimeToLive(a.id as string),
  statuses: () => client.memberStatuses(),
  acquire: a => acquireOwnership(client, a.service as string, a.node as string, a.lease as string),
  release: a => releaseOwnership(client, a.service as string, a.node as string, a.lease as string),
  owner: a => readOwner(client, a.service as string),
  announce: a => announcePresence(client, a.node as string, a.lease as string),
  nodes: () => listNodes(client),
  keeperStart: async a => {
    keeper = new LeaseKeeper({client, ttl: a.ttl as number, stateFile: a.stateFile as string | undefined})
    keeper.on('granted', (s, resumed) => emit('granted', {lease: s, resumed}))
    keeper.on('renewed', s => emit('renewed', {lease: s}))
    keeper.on('lost', (reason, lease) => emit('lost', {reason, lease}))
    const lease = await keeper.start()
    return {lease, sentAt: lease.sentAt}
  },
  watch: async a => {
    const w = client.watch(a.key as string, (events, revision) => emit('watch', {events, revision}), {
      prefix: true,
      onReconnect: e => emit('watch-reconnect', {error: e.message}),
      onError: e => emit('watch-error', {error: e.message}),
    })
    watches.push(w)
    return true
  },
  cfgCreate: a => createClusterConfig(client, a.name as string, a.text as string),
  cfgRead: a => readClusterConfig(client, a.name as string),
  cfgUpdate: a => updateClusterConfig(client, a.name as string, a.text as string, a.revision as number),
  cfgDelete: a => deleteClusterConfig(client, a.name as string, a.revision as number),
  cfgList: () => listClusterServices(client),
  cfgLocalCopy: async a => writeLocalCopy(a.dirs as {etcDir: string; varDir: string}, a.config as ClusterConfig),
  mono: async () => mono(),
}

readline.createInterface({input: process.stdin}).on('line', line => {
  const {id, op, args} = JSON.parse(line) as {id: number; op: string; args: Args}
  const started = mono()
  const fn = ops[op]
  if (!fn) return process.stdout.write(JSON.stringify({id, ok: false, error: `no op ${op}`}) + '\n')
  fn(args ?? {}).then(
    result =>
      process.stdout.write(JSON.stringify({id, ok: true, result: result ?? null, started, ended: mono()}) + '\n'),
    (error: Error) =>
      process.stdout.write(
        JSON.stringify({id, ok: false, error: error.message, name: error.constructor.name, started, ended: mono()}) +
          '\n',
      ),
  )
})
process.stdin.on('end', () => {
  for (const w of watches) w.close()
  void keeper?.stop()
  client.close()
  process.exit(0)
})
emit('ready')
