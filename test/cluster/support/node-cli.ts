/**
 * The real CLI (bin/run.js, the bundle) run as a node of the testbed: inside the node's network
 * namespace (nsenter --net), with its node name, state root and the members as SVCMGR_ETCD.
 */
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {execa, type Result} from 'execa'
import type {NodeName, Testbed} from './testbed.js'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
export const BIN = path.join(REPO, 'bin/run.js')

export interface CliResult {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

export async function runOn(
  bed: Testbed,
  node: NodeName,
  args: readonly string[],
  options: {env?: Record<string, string>; timeoutMs?: number} = {},
): Promise<CliResult> {
  const n = bed.nodes[node]
  const r: Result = await execa('nsenter', [`--net=${n.netns}`, process.execPath, BIN, ...args], {
    env: {
      SVCMGR_NODENAME: node,
      SVCMGR_ROOT: n.root,
      SVCMGR_ETCD: bed.endpoints.join(','),
      DOCKER_HOST: n.dockerHost ?? 'unix:///nonexistent/docker.sock',
      // no settings file of the developer's: the environment says it all
      SVCMGR_CONFIG: '',
      XDG_CONFIG_HOME: path.join(n.root, '.config'),
      ...options.env,
    },
    reject: false,
    timeout: options.timeoutMs ?? 60000,
    cwd: '/',
  })
  return {exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr)}
}
