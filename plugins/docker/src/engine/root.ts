/** What the engine commands share: svcmgr's root and the addresses they look at. */
import os from 'node:os'
import path from 'node:path'
import {DEFAULT_ADDRESS, normalizeAddress} from './address.js'

/** svcmgr's state root: SVCMGR_ROOT, else /var/lib/svcmgr as root, else the XDG data folder (as the core's settings). */
export function svcmgrRoot(): string {
  if (process.env.SVCMGR_ROOT) return path.resolve(process.env.SVCMGR_ROOT)
  if (process.getuid?.() === 0) return '/var/lib/svcmgr'
  return path.join(process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share'), 'svcmgr')
}

/** The engine svcmgr would use before its own: DOCKER_HOST, else the default socket. */
export function configuredAddress(): string {
  return process.env.DOCKER_HOST ? normalizeAddress(process.env.DOCKER_HOST) : DEFAULT_ADDRESS
}
