// Baseline of `svcmgr start` / `svcmgr stop` of a parallel subset: one process that imports
// dockerode and starts (or stops) the named containers with parallel bare API calls.
//   node bench/bare-start.mjs start|stop [--checked] NAME...
// --checked (start only) then also checks the way svcmgr's docker driver does: one inspect
// that must show it running, then the next one must show the same run (StartedAt,
// RestartCount), not restarting. No wait.
import Docker from 'dockerode'
import {dockerOptions} from './docker-address.mjs'

const [verb, ...rest] = process.argv.slice(2)
const checked = rest[0] === '--checked'
const names = checked ? rest.slice(1) : rest
if ((verb !== 'start' && verb !== 'stop') || names.length === 0) {
  console.error('usage: node bench/bare-start.mjs start|stop [--checked] NAME...')
  process.exit(2)
}
const docker = new Docker(dockerOptions())
const notModified = e => e && e.statusCode === 304
const up = s => s.Running && !s.Restarting

async function check(c) {
  const first = await c.inspect()
  if (!up(first.State)) throw new Error(`${c.id} is not running`)
  const next = await c.inspect()
  if (!up(next.State) || next.State.StartedAt !== first.State.StartedAt || next.RestartCount !== first.RestartCount)
    throw new Error(`${c.id} restarted`)
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
    if (checked) await check(c)
  }),
)
