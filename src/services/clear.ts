/**
 * `svcmgr -s X clear`: a failed instance (the agent's monitor gave up on it: src/agent) back to
 * idle with its restarts reset, so that the agent watches it again. Under the service lock,
 * as an edit is (held for a moment): a running action makes it wait (--waitlock) or refuses.
 */
import fs from 'node:fs'
import {
  IDLE_MONITOR_STATE,
  type MonitorState,
  monitorFile,
  readMonitorState,
  writeMonitorState,
} from '../agent/state.js'
import {acquireServiceLock} from '../executor/lock.js'
import {LogFileSink} from '../log/log-file.js'
import {pullLocalCopy} from './cluster-config.js'
import {tellWaiting} from './lock-wait.js'
import type {Session} from './session.js'

export interface ClearOutcome {
  readonly service: string
  readonly cleared: boolean
  /** The monitor's state before: `unreadable` for a monitor.json that could not be read (replaced). */
  readonly was: MonitorState['state'] | 'unreadable'
  readonly reason?: string
  readonly restarts?: Record<string, number>
}

export async function clearService(session: Session, name: string, waitlockMs = 0): Promise<ClearOutcome> {
  // a cluster service this node has no copy of yet: taken from etcd (its instance here is the one cleared)
  if (session.settings.etcd) await pullLocalCopy(session, name)
  session.store.requireExists(name)
  const varDir = session.store.varDir(name)
  const lock = await acquireServiceLock(varDir, name, 'clear', {
    waitMs: waitlockMs,
    edit: true,
    onWait: tellWaiting(name),
  })
  try {
    const found = readMonitorState(varDir)
    // the idle state itself: no file (never monitored), or one that does not read as a monitor state
    const state = found === IDLE_MONITOR_STATE ? undefined : found
    if (state && state.state !== 'failed') return {service: name, cleared: false, was: state.state}
    if (!state && !fs.existsSync(monitorFile(varDir))) return {service: name, cleared: false, was: 'idle'}
    writeMonitorState(varDir, {
      state: 'idle',
      restarts: {},
      ...(state?.last_check ? {last_check: state.last_check} : {}),
    })
    const log = new LogFileSink(session.store.logFile(name))
    log.emit({
      time: new Date().toISOString(),
      level: 'info',
      node: session.settings.nodename,
      service: name,
      action: 'clear',
      message: state
        ? `failed state cleared (was: ${state.reason ?? 'no reason recorded'}); restarts reset`
        : 'an unreadable monitor state replaced by idle',
    })
    log.close()
    return {
      service: name,
      cleared: true,
      was: state ? state.state : 'unreadable',
      ...(state?.reason ? {reason: state.reason} : {}),
      ...(state ? {restarts: state.restarts} : {}),
    }
  } finally {
    lock.release()
  }
}
