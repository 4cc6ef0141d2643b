/** Runs the real svcmgr CLI against a private state root, and reads real engine state. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {execa} from 'execa'

const BIN = new URL('../../../bin/run.js', import.meta.url).pathname

export interface CliResult {
  exitCode: number
  stdout: string
  stderr: string
}

export class CliSandbox {
  readonly root: string
  constructor(label: string) {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), `svcmgr-${label}-`))
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return {SVCMGR_ROOT: this.root, SVCMGR_NODENAME: 'deb1', ...extra}
  }

  async run(
    args: string[],
    options: {input?: string; env?: Record<string, string>; timeoutMs?: number} = {},
  ): Promise<CliResult> {
    const r = await execa(process.execPath, [BIN, ...args], {
      input: options.input,
      stdin: options.input === undefined ? 'ignore' : undefined,
      env: {...this.env(options.env), CI: 'true'},
      stripFinalNewline: false,
      reject: false,
      timeout: options.timeoutMs ?? 120_000,
    })
    return {exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr)}
  }

  /** Runs and fails the test with the CLI's output when the exit code differs. */
  async ok(args: string[], options: {input?: string; env?: Record<string, string>} = {}): Promise<CliResult> {
    const r = await this.run(args, options)
    if (r.exitCode !== 0)
      throw new Error(`svcmgr ${args.join(' ')} exited ${r.exitCode}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
    return r
  }

  cleanup(): void {
    fs.rmSync(this.root, {recursive: true, force: true})
  }
}

export interface ContainerState {
  id: string
  name: string
  running: boolean
  /** The image it was created as: svcmgr's com.svcmgr.image label (the container is made from its id). */
  image: string
  /** The id of the image it runs; a container svcmgr made names it as its image too (pinned). */
  imageId: string
  pinned: boolean
  networkMode: string
  startedAt: string
  pid: number
  labels: Record<string, string>
  env: string[]
}

export async function docker(args: string[]): Promise<string> {
  const r = await execa('docker', args, {reject: false})
  if (r.exitCode !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`)
  return String(r.stdout)
}

export async function inspectContainer(name: string): Promise<ContainerState | undefined> {
  const r = await execa('docker', ['inspect', '--type', 'container', name], {reject: false})
  if (r.exitCode !== 0) return undefined
  const [c] = JSON.parse(String(r.stdout))
  return {
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    running: c.State.Running,
    image: c.Config.Labels?.['com.svcmgr.image'] ?? c.Config.Image,
    imageId: c.Image,
    pinned: c.Config.Image === c.Image,
    networkMode: c.HostConfig.NetworkMode,
    startedAt: c.State.StartedAt,
    pid: c.State.Pid,
    labels: c.Config.Labels ?? {},
    env: c.Config.Env ?? [],
  }
}

/** Removes every container labelled for these services (cleanup that also runs after a failed test). */
export async function removeServiceContainers(...services: string[]): Promise<void> {
  for (const s of services) {
    const ids = (await docker(['ps', '-aq', '--filter', `label=com.svcmgr.service=${s}`])).split('\n').filter(Boolean)
    if (ids.length > 0) await docker(['rm', '-f', ...ids])
  }
}

export interface EngineEvent {
  action: string
  name: string
  timeNano: bigint
}

/** The engine's own events for these containers between two instants. */
export async function engineEvents(since: Date, until: Date, namePrefix: string): Promise<EngineEvent[]> {
  const out = await docker([
    'events',
    '--since',
    String(since.getTime() / 1000),
    '--until',
    String(until.getTime() / 1000 + 1),
    '--filter',
    'type=container',
    '--format',
    '{{json .}}',
  ])
  return out
    .split('\n')
    .filter(Boolean)
    .map(l => JSON.parse(l))
    .map(e => ({action: e.Action ?? e.status, name: e.Actor?.Attributes?.name ?? '', timeNano: BigInt(e.timeNano)}))
    .filter(e => e.name.startsWith(namePrefix))
}

export const uniqueName = (tag: string) => `t${process.pid}${tag}`

export function requireEngine(): void {
  if (!process.env.DOCKER_HOST)
    throw new Error(
      'DOCKER_HOST is not set: run the integration tests through `npm test` (scripts/test.sh sets up the engine)',
    )
}

/**
 * The hooks of a suite on one service: created from `config` and started before its tests; its
 * containers and the sandbox removed after them, also when a test failed. Call it in the describe.
 */
export function useStartedService(cli: CliSandbox, svc: string, config: string): void {
  before(async () => {
    requireEngine()
    await cli.ok(['-s', svc, 'create', '--config=-'], {input: config})
    await cli.ok(['-s', svc, 'start'])
  })
  after(async () => {
    await removeServiceContainers(svc)
    cli.cleanup()
  })
}

/** The seed tutorial's svc2 (test/fixtures/svc2.json) without ip#1: the containers only, for tests that need no test LAN. */
export function seedSvc2Containers(): Record<string, Record<string, string>> {
  const seed = JSON.parse(fs.readFileSync(new URL('../../fixtures/svc2.json', import.meta.url), 'utf8'))
  delete seed['ip#1']
  return seed
}
