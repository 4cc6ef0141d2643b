/**
 * Drift of an address, read on the live object (what is plumbed is the truth, no record
 * needed): netmask, when set, against the plumbed prefix length. The address itself is the
 * identity (another address is another resource state: down); the mode is not read back.
 */
import {configuredPrefix} from './common.js'

export function netmaskDrift(netmask: string | undefined, plumbedPrefix: number): string[] {
  const wanted = configuredPrefix(netmask)
  return wanted !== undefined && wanted !== plumbedPrefix ? ['netmask'] : []
}
