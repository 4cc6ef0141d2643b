/**
 * Where a service runs on the testbed: each node's engine asked over its unix socket (node:http,
 * no docker CLI process per sample) for the running containers labelled with the service. The
 * DualRunWatcher samples all three engines every 200 ms during a scenario and records any
 * sample where the service runs on two nodes at once: the test fails on it.
 */
import http from 'node:http'
import {NODES, type NodeName, type Testbed} from './testbed.js'

/** The running containers of the service on one engine (ids), or 'unreachable' (a crashed engine runs nothing). */
export function runningContainers(
  socket: string,
  service: string,
  timeoutMs = 2000,
): Promise<string[] | 'unreachable'> {
  const filters = encodeURIComponent(JSON.stringify({label: [`com.svcmgr.service=${service}`], status: ['running']}))
  return new Promise(resolve => {
    const req = http.get({socketPath: socket, path: `/containers/json?filters=${filters}`, timeout: timeoutMs}, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => {
        try {
          resolve((JSON.parse(body) as {Id: string}[]).map(c => c.Id))
        } catch {
          resolve('unreachable')
        }
      })
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => resolve('unreachable'))
  })
}

const socketOf = (bed: Testbed, node: NodeName) => bed.nodes[node].dockerHost!.replace(/^unix:\/\//, '')

/** The nodes whose engine runs a container of the service now. */
export async function nodesRunning(bed: Testbed, service: string): Promise<NodeName[]> {
  const found = await Promise.all(
    NODES.map(async n => [n, await runningContainers(socketOf(bed, n), service)] as const),
  )
  return found.filter(([, c]) => Array.isArray(c) && c.length > 0).map(([n]) => n)
}

export class DualRunWatcher {
  /** Samples where the service ran on two nodes or more: {time, nodes}. */
  readonly overlaps: {time: string; nodes: NodeName[]}[] = []
  samples = 0
  private timer?: NodeJS.Timeout
  private busy = false

  constructor(
    private readonly bed: Testbed,
    private readonly service: string,
    private readonly periodMs = 200,
  ) {}

  start(): this {
    this.timer = setInterval(() => {
      if (this.busy) return // a slow engine: the next tick samples again
      this.busy = true
      void nodesRunning(this.bed, this.service)
        .then(nodes => {
          this.samples++
          if (nodes.length > 1) this.overlaps.push({time: new Date().toISOString(), nodes})
        })
        .finally(() => (this.busy = false))
    }, this.periodMs)
    return this
  }

  stop(): void {
    clearInterval(this.timer)
  }
}
