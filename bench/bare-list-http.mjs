// Baseline of `svcmgr print status` over node:http: a bare script that lists a service's
// containers (all states) with one GET /containers/json on DOCKER_HOST, no dockerode, printing
// one line per container: what svcmgr's status request costs with nothing around it.
//   node bench/bare-list-http.mjs [service-label]   (all containers when none is given)
import {request} from 'node:http'
import {dockerOptions} from './docker-address.mjs'

const {socketPath, host, port} = dockerOptions()
const service = process.argv[2]
const filters = service
  ? `&filters=${encodeURIComponent(JSON.stringify({label: [`com.svcmgr.service=${service}`]}))}`
  : ''
const list = await new Promise((resolve, reject) => {
  const req = request(
    {...(socketPath ? {socketPath} : {host, port}), path: `/containers/json?all=1${filters}`, method: 'GET'},
    res => {
      const chunks = []
      res.on('data', c => chunks.push(c))
      res.on('end', () =>
        res.statusCode === 200
          ? resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
          : reject(new Error(`GET /containers/json: HTTP ${res.statusCode}: ${Buffer.concat(chunks)}`)),
      )
      res.on('error', reject)
    },
  )
  req.setTimeout(30_000, () => req.destroy(new Error('GET /containers/json: no answer after 30s')))
  req.on('error', reject)
  req.end()
})
for (const c of list) console.log(`${c.Names[0]?.replace(/^\//, '')}\t${c.State}\t${c.Image}`)
