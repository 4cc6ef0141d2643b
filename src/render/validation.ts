/** What `svcmgr validate` prints for a valid config (an invalid one is an error: exit 2). */
import type {Validated} from '../services/validate.js'

export function validationJson(v: Validated): {valid: true; service: string; resources: string[]} {
  return {valid: true, service: v.name, resources: v.service.resources.map(r => r.rid)}
}

export function formatValidation(v: Validated): string {
  return `${v.name}: config is valid (${v.service.resources.length} resources)`
}
