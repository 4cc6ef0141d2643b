/**
 * The agent's side of the fence (./fence.ts): arm it at each acknowledged renewal (one atomic
 * write of <root>/agent/fence.json), spawning the fence first when none lives (detached: its
 * own session and process group, so a signal to the agent or its group does not reach it); a
 * live fence left by an earlier agent of this root is taken over (re-armed), never doubled;
 * disarmed at a clean stop (the file removed, the fence sent SIGTERM unless it is firing, waited for).
 */
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import {openStateLogForAppend, ensureStateDir} from '../config/state-files.js'
import {pidAlive, processStartTime} from '../drivers/host.js'
import type {LeaseState} from '../cluster/lease.js'
import {
  type FenceArm,
  type ProcessId,
  bootId,
  liveFence,
  readFenceArm,
  removeFenceArm,
  writeFenceArm,
  writeFencePid,
} from './fence.js'
import type {AgentLog} from './log.js'
import {agentPaths} from './state.js'

export interface FenceControlOptions {
  readonly root: string
  /** svcmgr's bin/run.js, absolute. */
  readonly script: string
  /** The fence's environment (the agent's, with its state root and settings file). */
  readonly env: NodeJS.ProcessEnv
  readonly log: AgentLog
  readonly marginMs: number
}

export class FenceControl {
  private readonly agent: ProcessId = {pid: process.pid, startTime: processStartTime(process.pid) ?? ''}
  /** The fence this agent armed last (spawned or taken over). */
  private known?: ProcessId

  constructor(private readonly options: FenceControlOptions) {}

  /** Arms the fence with the lease's deadline and the services to stop, spawning it if none lives (and there are some). */
  arm(lease: LeaseState, services: readonly string[]): void {
    const {root, log} = this.options
    const arm: FenceArm = {
      version: 1,
      agent: this.agent,
      lease: lease.id,
      ttl: lease.ttl,
      marginMs: this.options.marginMs,
      deadline: lease.deadline,
      bootId: bootId(),
      services: [...services].sort(),
      armedAt: new Date().toISOString(),
    }
    // the arm first: a fence spawned now reads it at once
    writeFenceArm(root, arm)
    const live = liveFence(root)
    if (live) {
      if (this.known?.pid !== live.pid)
        log.info(`fence pid ${live.pid} (left by an earlier agent) taken over: re-armed by this agent`)
      this.known = live
      return
    }
    // a node with no cluster service runs none: nothing to fence (armed again once it has one)
    if (services.length > 0) this.known = this.spawnFence()
  }

  /** The keeper said "lost": the agent stops the services itself (the fence waits for its locks). */
  noteDemoting(leaseId: string): void {
    const arm = readFenceArm(this.options.root)
    if (arm && arm.lease === leaseId && arm.agent.pid === this.agent.pid)
      writeFenceArm(this.options.root, {...arm, demoting: true})
  }

  /**
   * A clean stop: the arm removed and the fence ended (SIGTERM), waited for up to `waitMs`. A
   * fence already firing (its pid file says so: a lost lease's stops) is not signalled: it is
   * left to finish them, then it exits on its own.
   */
  async disarm(waitMs = 5000): Promise<void> {
    const {root, log} = this.options
    removeFenceArm(root)
    const live = liveFence(root)
    if (!live) return
    if (!live.firing)
      try {
        process.kill(live.pid, 'SIGTERM')
      } catch {}
    const until = Date.now() + waitMs
    while (pidAlive(live.pid, live.startTime || undefined) && Date.now() < until)
      await new Promise(r => setTimeout(r, 20))
    if (pidAlive(live.pid, live.startTime || undefined))
      log.warn(
        `fence pid ${live.pid} still runs after ${waitMs / 1000}s (stopping what a lost lease left): left to finish`,
      )
    else log.info(`fence pid ${live.pid} disarmed and ended`)
  }

  private spawnFence(): ProcessId | undefined {
    const {root, log} = this.options
    const dir = agentPaths(root).dir
    ensureStateDir(dir)
    const out = openStateLogForAppend(`${dir}/agent.log`)
    let child
    try {
      child = spawn(process.execPath, [this.options.script, 'daemon', 'fence'], {
        detached: true,
        stdio: ['ignore', out, out],
        cwd: '/',
        env: this.options.env,
      })
    } catch (error) {
      log.error(`cannot start the fence: ${(error as Error).message}`)
      return undefined
    } finally {
      fs.closeSync(out)
    }
    child.on('error', e => log.error(`cannot start the fence: ${e.message}`))
    child.unref()
    if (child.pid === undefined) return undefined
    // written by the agent at once: its next arm finds this fence even before the fence runs
    const id = {pid: child.pid, startTime: processStartTime(child.pid) ?? ''}
    writeFencePid(root, id)
    log.info(
      `fence started (pid ${id.pid}): it stops the cluster services here if the lease's local deadline passes without a renewal`,
    )
    return id
  }
}
