/** What a command waiting for a service lock says on stderr, so a wait is never a silent hang. */
import {describeLockHolder, type LockOwner} from '../executor/lock.js'

export const tellWaiting = (service: string) => (owner: LockOwner, waitMs: number) =>
  process.stderr.write(
    `svcmgr: service ${service} is locked by ${describeLockHolder(owner)}: waiting up to ${Math.round(waitMs / 1000)}s for it (--waitlock)\n`,
  )
