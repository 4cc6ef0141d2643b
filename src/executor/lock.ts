/**
 * One action at a time per service: a lock file created with O_EXCL holding the owner's pid,
 * its process start time (so a reused pid is not mistaken for the owner) and the action.
 * A lock whose owner is gone is stale: recovered by the next taker, and read as stale
 * (never "in progress") by status and delete. Config edits take the same lock, so an edit
 * never interleaves with another edit or with a running action.
 */
import fs from 'node:fs'
import path from 'node:path'
import {createStateFileExclusive, ensureStateDir} from '../config/state-files.js'
import {LockError} from '../errors.js'
import {pidAlive, processStartTime} from '../drivers/host.js'

/** The lock file of a service, in its state folder (<root>/var/<svc>): the one place its path is made. */
export function lockFile(varDir: string): string {
  return path.join(varDir, 'lock')
}

export interface LockOwner {
  pid: number
  starttime: string
  action: string
  since: string
  /** A config edit (set, unset, delete...): held for a moment, so other edits wait for it. */
  edit?: boolean
}

/** A holder is alive while its pid is the process that took the lock (not a zombie, same start time). */
function isAlive(owner: LockOwner): boolean {
  return pidAlive(owner.pid, owner.starttime)
}

export function readLockOwner(file: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner
    return typeof owner?.pid === 'number' ? owner : undefined
  } catch {
    return undefined
  }
}

export type LockState = {state: 'free'} | {state: 'held'; owner: LockOwner} | {state: 'stale'; owner?: LockOwner}

/** What a lock file says, its holder checked: a dead holder's lock (or a half-written one) is stale, not "in progress". */
export function lockState(file: string): LockState {
  const st = fs.statSync(file, {throwIfNoEntry: false})
  if (!st) return {state: 'free'}
  const owner = readLockOwner(file)
  if (owner) return isAlive(owner) ? {state: 'held', owner} : {state: 'stale', owner}
  // an unreadable lock older than a second was left half-written by a killed process
  return Date.now() - st.mtimeMs > 1000
    ? {state: 'stale'}
    : {state: 'held', owner: {pid: 0, starttime: '', action: 'unknown', since: ''}}
}

/** Moves the lock of `owner` away (as a stale one is recovered); a lock of anyone else found in its place is put back. */
function takeFrom(file: string, owner: LockOwner): void {
  const taken = `${file}.taken.${process.pid}`
  try {
    fs.renameSync(file, taken)
    const moved = readLockOwner(taken)
    if (!moved || moved.pid !== owner.pid || moved.starttime !== owner.starttime || moved.since !== owner.since)
      fs.linkSync(taken, file)
  } catch {}
  fs.rmSync(taken, {force: true})
}

export const describeLockHolder = (owner: LockOwner) =>
  owner.pid ? `pid ${owner.pid} (${owner.action}${owner.since ? `, since ${owner.since}` : ''})` : 'another process'

export interface ServiceLock {
  release(): void
}

/** How long anyone waits for a config edit holding the lock: edits hold it for a moment, so concurrent ones queue. */
export const EDIT_WAIT_MS = 30_000

export interface LockOptions {
  /** How long to wait for an action holding the lock. */
  readonly waitMs: number
  /** This holder is a config edit. */
  readonly edit?: boolean
  /** How long to wait for a config edit holding the lock, at least (default EDIT_WAIT_MS). */
  readonly editWaitMs?: number
  /** Told once when this taker starts waiting for an action holding the lock (edits holding it are waited for quietly). */
  readonly onWait?: (owner: LockOwner, waitMs: number) => void
  /**
   * Asked while a live holder keeps the lock (`waitedMs` since this taker began): true takes the
   * lock from it as a stale one is recovered. Only the fence (src/agent/fence.ts) uses it, for a
   * lost lease's stop that must not wait on a frozen agent.
   */
  readonly takeOver?: (owner: LockOwner, waitedMs: number) => boolean
}

export async function acquireServiceLock(
  dir: string,
  service: string,
  action: string,
  wait: number | LockOptions,
): Promise<ServiceLock> {
  const options: LockOptions = typeof wait === 'number' ? {waitMs: wait} : wait
  const waitMs = options.waitMs
  ensureStateDir(dir)
  const file = lockFile(dir)
  const me: LockOwner = {
    pid: process.pid,
    starttime: processStartTime(process.pid) ?? '',
    action,
    since: new Date().toISOString(),
    ...(options.edit ? {edit: true} : {}),
  }
  const begun = Date.now()
  let toldWaiting = false
  for (;;) {
    try {
      // O_EXCL: never through a link planted at the lock path
      const fd = createStateFileExclusive(file)
      try {
        fs.writeSync(fd, JSON.stringify(me))
      } finally {
        fs.closeSync(fd)
      }
      // a process.exit past the holder's finally (a signal outside an action ends the process at
      // once: src/services/interrupts.ts) or a crash must not leave the lock behind either
      const release = () => {
        process.off('exit', release)
        if (readLockOwner(file)?.pid === process.pid) fs.rmSync(file, {force: true})
      }
      process.on('exit', release)
      return {release}
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const current = lockState(file)
    if (current.state === 'free') continue
    if (current.state === 'stale') {
      const stale = `${file}.stale.${process.pid}`
      try {
        fs.renameSync(file, stale)
        // another taker may have recovered it first and made a new lock in between: put a live one back
        const moved = readLockOwner(stale)
        if (moved && isAlive(moved)) fs.linkSync(stale, file)
      } catch {}
      fs.rmSync(stale, {force: true})
      continue
    }
    const owner = current.owner
    if (options.takeOver?.(owner, Date.now() - begun)) {
      takeFrom(file, owner)
      continue
    }
    // a lock still being written (no owner readable yet, under a second old) is a taker a moment
    // ahead: waited for like an edit; it is readable, or stale, within the second
    const brief = owner.edit === true || owner.pid === 0
    const deadline = begun + (brief ? Math.max(waitMs, options.editWaitMs ?? EDIT_WAIT_MS) : waitMs)
    if (!brief && !toldWaiting && Date.now() < deadline) {
      toldWaiting = true
      options.onWait?.(owner, deadline - begun)
    }
    if (Date.now() >= deadline) {
      throw new LockError(
        `service ${service} is locked by ${describeLockHolder(owner)}; waited ${Math.round((deadline - begun) / 1000)}s (--waitlock sets how long to wait)`,
      )
    }
    await new Promise(r => setTimeout(r, Math.min(200, Math.max(10, deadline - Date.now()))))
  }
}
