// Baseline of `svcmgr start` / `svcmgr stop` of a parallel subset: one process that imports
// dockerode and starts (or stops) the named containers with parallel bare API calls.
//   node bench/bare-start.mjs start|stop [--operational] NAME...
// --operational (start only) then also waits the way svcmgr's docker driver does: polls
// inspect every 100 ms until running, then until it has run 300 ms without restarting.
import Docker from 'dockerode'
import {dockerOptions} from './docker-address.mjs'

const [verb, ...rest] = process.argv.slice(2)
const operational = rest[0] === '--operational'
const names = operational ? rest.slice(1) : rest
if ((verb !== 'start' && verb !== 'stop') || names.length === 0) {
  console.error('usage: node bench/bare-start.mjs start|stop [--operational] NAME...')
  process.exit(2)
}
const docker = new Docker(dockerOptions())
const sleep = ms => new Promise(r => setTimeout(r, ms))
const notModified = e => e && e.statusCode === 304

async function waitOperational(c) {
  let upSince
  let startedAt
  for (;;) {
    const s = (await c.inspect()).State
    if (!s.Running || s.Restarting) throw new Error(`${c.id} is not running`)
    if (startedAt === undefined) {
      startedAt = s.StartedAt
      upSince = Date.now()
    } else if (s.StartedAt !== startedAt) throw new Error(`${c.id} restarted`)
    if (Date.now() - upSince >= 300) return
    await sleep(100)
  }
}

await Promise.all(
  names.map(async name => {
    const c = docker.getContainer(name)
    try {
      if (verb === 'start') await c.start()
      else await c.stop({t: 10})
    } catch (e) {
      if (!notModified(e)) throw e
    }
    if (operational) await waitOperational(c)
  }),
)
