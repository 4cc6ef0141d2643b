/** A service's status report, with its frozen flag and the action holding its lock. */
import path from 'node:path'
import {readLockOwner} from '../executor/lock.js'
import {EventBus} from '../log/events.js'
import {gatherServiceStatus, type ServiceStatusReport} from '../status/status.js'
import type {Session} from './session.js'

export async function serviceStatus(session: Session, name: string): Promise<ServiceStatusReport> {
  const {service} = await session.load(name)
  const owner = readLockOwner(path.join(service.varDir, 'lock'))
  return gatherServiceStatus(service, session.driverSettings, new EventBus(), {frozen: session.store.isFrozen(name), running: owner?.action})
}
