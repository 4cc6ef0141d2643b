// Baseline of `svcmgr print status`: a bare script that imports dockerode and lists the
// containers (all states) on DOCKER_HOST, printing one line per container.
//   node bench/bare-list.mjs [service-label]   (only that service's containers when given)
import Docker from 'dockerode'
import {dockerOptions} from './docker-address.mjs'

const docker = new Docker(dockerOptions())
const service = process.argv[2]
const list = await docker.listContainers({
  all: true,
  ...(service ? {filters: {label: [`com.svcmgr.service=${service}`]}} : {}),
})
for (const c of list) console.log(`${c.Names[0]?.replace(/^\//, '')}\t${c.State}\t${c.Image}`)
