/**
 * The engine the engine cases run against (DOCKER_HOST, else the test engine of
 * scripts/testenv.sh, started when needed and allowed), and the cleanup of everything the
 * bench creates there and on disk, which also runs on failure and on SIGINT/SIGTERM.
 */
import {spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type Dockerode from 'dockerode'
import type {DockerKeywords} from '../plugins/docker/src/drivers/container-docker.keywords.js'
import {dockerOptions} from './docker-address.mjs'

export const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
export const LABEL_SERVICE = 'com.svcmgr.service'

/** What the docker driver compiles a section with only `image` (and `run_command`) to: its defaults. */
export function compiledDockerKeywords(image: string, runCommand?: string[]): DockerKeywords {
  return {
    image,
    ...(runCommand ? {run_command: runCommand} : {}),
    rm: false,
    privileged: false,
    interactive: false,
    tty: false,
    start_timeout: 60_000,
    stop_timeout: 10_000,
    image_pull_policy: 'once',
  }
}

async function client(address: string): Promise<Dockerode> {
  const {default: Docker} = await import('dockerode')
  return new Docker(dockerOptions(address))
}

async function answers(address: string | undefined): Promise<boolean> {
  if (!address) return false
  try {
    const docker = await client(address)
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 5000)),
    ])
    return true
  } catch {
    return false
  }
}

/** `export K=V` lines of `bash scripts/testenv.sh env`, applied to process.env. */
function applyTestenvEnv(): string | undefined {
  const r = spawnSync('bash', [path.join(REPO, 'scripts/testenv.sh'), 'env'], {encoding: 'utf8'})
  if (r.status !== 0) return undefined
  for (const line of r.stdout.split('\n')) {
    const m = /^export ([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim())
    if (m) process.env[m[1]] = m[2].replace(/^(['"])(.*)\1$/, '$2')
  }
  return process.env.DOCKER_HOST
}

/** The engine address to use, or the reason the engine cases are skipped. */
export async function ensureEngine(log: (s: string) => void): Promise<{address: string} | {skip: string}> {
  const given = process.env.DOCKER_HOST
  if (await answers(given)) return {address: given!}
  if (given) log(`engine: nothing answers at DOCKER_HOST=${given}; trying the test engine (scripts/testenv.sh)`)
  const saved = given
  if (await answers(applyTestenvEnv())) return {address: process.env.DOCKER_HOST!}
  if (process.getuid?.() !== 0) {
    process.env.DOCKER_HOST = saved
    return {
      skip: 'engine cases: no engine answers (DOCKER_HOST unset or dead) and `bash scripts/testenv.sh up` needs root',
    }
  }
  log('engine: starting the test engine: bash scripts/testenv.sh up')
  const up = spawnSync('bash', [path.join(REPO, 'scripts/testenv.sh'), 'up'], {stdio: ['ignore', 'inherit', 'inherit']})
  if (up.status !== 0) return {skip: `engine cases: \`bash scripts/testenv.sh up\` exited ${up.status}`}
  if (await answers(applyTestenvEnv())) return {address: process.env.DOCKER_HOST!}
  return {
    skip: `engine cases: the test engine does not answer at ${process.env.DOCKER_HOST} after \`bash scripts/testenv.sh up\``,
  }
}

/** What the bench made: removed by cleanup(), whatever happened. */
export class Leftovers {
  private readonly services = new Set<string>()
  private readonly dirs = new Set<string>()
  private readonly pending = new Set<Promise<unknown>>()
  private address?: string
  private done?: Promise<void>

  /** True once cleanup has begun: a setup loop stops starting engine requests. */
  get closing(): boolean {
    return this.done !== undefined
  }

  /** Work that creates things: cleanup waits for it to settle first, so nothing it makes is left behind. */
  track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work)
    void work.catch(() => undefined).finally(() => this.pending.delete(work))
    return work
  }

  useEngine(address: string): void {
    this.address = address
  }

  /** Every container labelled com.svcmgr.service=<name> goes at cleanup. */
  service(name: string): string {
    this.services.add(name)
    return name
  }

  tempDir(label: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `svcmgr-bench-${label}-`))
    this.dirs.add(dir)
    return dir
  }

  async docker(): Promise<Dockerode> {
    if (!this.address) throw new Error('no engine')
    return client(this.address)
  }

  /** Ids of the containers of one service (all states). */
  async containers(service: string): Promise<Dockerode.ContainerInfo[]> {
    const docker = await this.docker()
    return docker.listContainers({all: true, filters: {label: [`${LABEL_SERVICE}=${service}`]}})
  }

  /** Removes every container of these services, 16 requests in flight, each with a deadline; throws naming what failed. */
  async removeServiceContainers(...services: string[]): Promise<void> {
    const problems = await this.removeAll(services, 16)
    if (problems.length) throw new Error(`removing the containers of ${services.join(', ')}: ${problems.join('; ')}`)
  }

  /** The problems of removing every container of these services, `parallel` requests in flight. */
  private async removeAll(services: Iterable<string>, parallel: number): Promise<string[]> {
    const problems: string[] = []
    const docker = await this.docker()
    for (const s of services) {
      const left = await this.containers(s)
      let next = 0
      const worker = async () => {
        while (next < left.length) {
          const c = left[next++]
          let timer: NodeJS.Timeout | undefined
          await Promise.race([
            docker.getContainer(c.Id).remove({force: true}),
            new Promise((_, reject) => {
              timer = setTimeout(() => reject(new Error('no answer after 60s')), 60_000)
            }),
          ])
            .catch((e: Error) => problems.push(`rm -f ${c.Names[0]}: ${e.message}`))
            .finally(() => clearTimeout(timer))
        }
      }
      await Promise.all(Array.from({length: Math.min(parallel, left.length)}, worker))
    }
    return problems
  }

  cleanup(): Promise<void> {
    this.done ??= (async () => {
      const problems: string[] = []
      await Promise.allSettled([...this.pending])
      if (this.address && this.services.size > 0) {
        try {
          problems.push(...(await this.removeAll(this.services, 16)))
        } catch (e) {
          problems.push(`listing the bench's containers: ${(e as Error).message}`)
        }
      }
      for (const d of this.dirs) fs.rmSync(d, {recursive: true, force: true})
      if (problems.length) console.error(`bench cleanup: ${problems.join('; ')}`)
    })()
    return this.done
  }
}
