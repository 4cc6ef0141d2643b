/** The real node agent (`svcmgr daemon run`) as a child process of a test, against a CliSandbox's state root. */
import fs from 'node:fs'
import path from 'node:path'
import {execa, type ResultPromise} from 'execa'
import type {CliSandbox} from './cli.js'

const BIN = new URL('../../../bin/run.js', import.meta.url).pathname

/** Polls `probe` until it returns a value other than undefined/false; throws naming `what` after `timeoutMs`. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 90_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await probe()
      if (v !== undefined && v !== false) return v
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? ` (last error: ${last instanceof Error ? last.message : JSON.stringify(last)})` : ''}`,
      )
    await new Promise(r => setTimeout(r, intervalMs))
  }
}

export function readJson<T = any>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T
  } catch {
    return undefined
  }
}

export class AgentProcess {
  stderr = ''
  readonly exited: Promise<{exitCode?: number; signal?: string}>
  private constructor(
    readonly cli: CliSandbox,
    private readonly child: ResultPromise,
  ) {
    child.stderr?.on('data', (c: Buffer) => (this.stderr += c.toString()))
    this.exited = child.then(
      r => ({exitCode: r.exitCode, signal: r.signal}),
      (e: {exitCode?: number; signal?: string}) => ({exitCode: e.exitCode, signal: e.signal}),
    )
  }

  /** Starts `svcmgr daemon run` and waits for its agent.json to name its pid (it is watching). */
  static async start(cli: CliSandbox): Promise<AgentProcess> {
    const child = execa(process.execPath, [BIN, 'daemon', 'run'], {
      env: {...cli.env(), CI: 'true'},
      stdin: 'ignore',
      reject: false,
      buffer: false,
    })
    const agent = new AgentProcess(cli, child)
    await until(
      'the agent to write agent.json',
      () =>
        agent.info()?.pid === child.pid ||
        (agent.stderr.includes('svcmgr:') && Promise.reject(new Error(agent.stderr))),
      60_000,
    )
    return agent
  }

  get pid(): number {
    return this.child.pid!
  }

  info(): {pid: number; heartbeat: string; watched: string[]; lastEvent?: {message: string}} | undefined {
    return readJson(path.join(this.cli.root, 'agent', 'agent.json'))
  }

  /** Waits for the agent to have written two more heartbeats: whatever it had to notice by now, it had the time to. */
  async heartbeats(n = 2): Promise<void> {
    for (let i = 0; i < n; i++) {
      const seen = this.info()?.heartbeat
      await until('an agent heartbeat', () => this.info()?.heartbeat !== seen)
    }
  }

  async watching(service: string, watched = true): Promise<void> {
    await until(`agent.json to ${watched ? '' : 'not '}list ${service} as watched`, () =>
      this.info()?.watched.includes(service) === watched ? true : undefined,
    )
  }

  /** SIGTERM, then SIGKILL if it has not ended within 30 s. */
  async stop(): Promise<{exitCode?: number; signal?: string}> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000)
    try {
      return await this.exited
    } finally {
      clearTimeout(timer)
    }
  }

  async kill9(): Promise<void> {
    this.child.kill('SIGKILL')
    await this.exited
  }
}
