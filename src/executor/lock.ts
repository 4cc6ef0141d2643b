/**
 * One action at a time per service: a lock file created with O_EXCL holding the owner's pid,
 * its process start time (so a reused pid is not mistaken for the owner) and the action.
 * A lock whose owner is gone is recovered.
 */
import fs from 'node:fs'
import path from 'node:path'

export class LockError extends Error {}

interface LockOwner {
  pid: number
  starttime: string
  action: string
  since: string
}

function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    // fields after the command name (which may hold spaces) start after the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

function isAlive(owner: LockOwner): boolean {
  try {
    process.kill(owner.pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false
  }
  const start = processStartTime(owner.pid)
  return start === undefined || start === owner.starttime
}

export function readLockOwner(file: string): LockOwner | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner
  } catch {
    return undefined
  }
}

export interface ServiceLock {
  release(): void
}

export async function acquireServiceLock(dir: string, service: string, action: string, waitMs: number): Promise<ServiceLock> {
  fs.mkdirSync(dir, {recursive: true})
  const file = path.join(dir, 'lock')
  const me: LockOwner = {pid: process.pid, starttime: processStartTime(process.pid) ?? '', action, since: new Date().toISOString()}
  const deadline = Date.now() + waitMs
  for (;;) {
    try {
      const fd = fs.openSync(file, 'wx', 0o644)
      fs.writeSync(fd, JSON.stringify(me))
      fs.closeSync(fd)
      return {
        release() {
          if (readLockOwner(file)?.pid === process.pid) fs.rmSync(file, {force: true})
        },
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const owner = readLockOwner(file)
    const age = Date.now() - (fs.statSync(file, {throwIfNoEntry: false})?.mtimeMs ?? Date.now())
    // an unreadable lock older than a second was left half-written by a killed process
    if (owner ? !isAlive(owner) : age > 1000) {
      const stale = `${file}.stale.${process.pid}`
      try {
        fs.renameSync(file, stale)
        fs.rmSync(stale, {force: true})
      } catch {}
      continue
    }
    if (Date.now() >= deadline) {
      const holder = owner ? `pid ${owner.pid} (${owner.action}, since ${owner.since})` : 'another process'
      throw new LockError(`service ${service} is locked by ${holder}; waited ${Math.round(waitMs / 1000)}s (--waitlock sets how long to wait)`)
    }
    await new Promise(r => setTimeout(r, Math.min(200, Math.max(10, deadline - Date.now()))))
  }
}
