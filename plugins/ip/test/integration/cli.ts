/**
 * The real CLI (`node bin/run.js`, built by `npm run build`) with a private state root per
 * test file, against the engine of scripts/testenv.sh; and docker helpers to check and clean
 * up what a service left.
 */
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import Docker from 'dockerode'
import {type RunOut, sh} from './lan.js'

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..')
export const DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///run/svcmgr-testenv/docker.sock'
export const docker = new Docker({socketPath: DOCKER_HOST.replace(/^unix:\/\//, '')})

export class Cli {
  readonly root = mkdtempSync(path.join(os.tmpdir(), 'svcmgr-ip-it-'))

  /** Runs `svcmgr ARGS` with this root; stdout is not a TTY, so events print one per line. */
  async run(args: string[], input?: string): Promise<RunOut> {
    return sh(process.execPath, [path.join(REPO, 'bin/run.js'), ...args], {
      cwd: REPO,
      input,
      env: {...process.env, SVCMGR_ROOT: this.root, DOCKER_HOST, CI: '1'},
      timeoutMs: 170_000,
    })
  }

  /** Like run, but fails the test with the output when the exit code is not 0. */
  async ok(args: string[], input?: string): Promise<string> {
    const r = await this.run(args, input)
    if (r.code !== 0) throw new Error(`svcmgr ${args.join(' ')}: exit ${r.code}\n${r.stdout}\n${r.stderr}`)
    return r.stdout
  }

  dispose(): void {
    rmSync(this.root, {recursive: true, force: true})
  }
}

/** Throws with the next step when the build or the engine is missing. */
export async function requireEnvironment(images: string[]): Promise<void> {
  for (const f of ['dist/index.js', 'plugins/ip/dist/hooks/drivers.js', 'plugins/docker/dist/hooks/drivers.js'])
    if (!existsSync(path.join(REPO, f))) throw new Error(`${f} is missing: run npm run build at the repository root`)
  try {
    await docker.ping()
  } catch {
    throw new Error(
      `no docker engine answers at ${DOCKER_HOST}: run bash scripts/testenv.sh up, then eval "$(bash scripts/testenv.sh env)"`,
    )
  }
  for (const image of images) {
    try {
      await docker.getImage(image).inspect()
    } catch {
      throw new Error(`image ${image} is missing: run bash scripts/testenv.sh up`)
    }
  }
}

export async function inspect(name: string): Promise<Docker.ContainerInspectInfo | undefined> {
  try {
    return await docker.getContainer(name).inspect()
  } catch (error) {
    if ((error as {statusCode?: number}).statusCode === 404) return undefined
    throw error
  }
}

export async function pidOf(name: string): Promise<number> {
  const info = await inspect(name)
  if (!info?.State.Running) throw new Error(`container ${name} is not running`)
  return info.State.Pid
}

export async function removeServiceContainers(service: string): Promise<void> {
  const list = await docker.listContainers({all: true, filters: {label: [`com.svcmgr.service=${service}`]}})
  await Promise.all(
    list.map(c =>
      docker
        .getContainer(c.Id)
        .remove({force: true})
        .catch(() => undefined),
    ),
  )
}

/** The event lines of an action's output: origin's rid (undefined for the service's own lines) and message. */
export function events(stdout: string): Array<{rid?: string; level: string; message: string}> {
  const out: Array<{rid?: string; level: string; message: string}> = []
  for (const line of stdout.split('\n')) {
    const m = /^\d\d:\d\d:\d\d\.\d{3} ([A-Z]+) +(\S+) +(.*)$/.exec(line)
    if (!m) continue
    out.push({rid: /([a-z][a-z0-9_]*#\d+)$/.exec(m[2])?.[1], level: m[1], message: m[3]})
  }
  return out
}

/** The messages of one rid, in order. */
export function messagesOf(stdout: string, rid: string): string[] {
  return events(stdout)
    .filter(e => e.rid === rid)
    .map(e => e.message)
}

/** The rids in the order they first log something. */
export function ridOrder(stdout: string): string[] {
  const seen: string[] = []
  for (const e of events(stdout)) if (e.rid && !seen.includes(e.rid)) seen.push(e.rid)
  return seen
}
