/**
 * TEMPORARY: the key helpers of wt-cluster's seam (keys.ts, instances.ts), copied by name so
 * that the commands are written against them from the start; replaced by the merge.
 */
import type {StatusValue} from '../drivers/api.js'

export const instanceKey = (service: string, node: string) => `/svcmgr/services/${service}/instances/${node}`
export const instancesPrefix = (service: string) => `/svcmgr/services/${service}/instances/`
export const frozenKey = (service: string) => `/svcmgr/services/${service}/frozen`
export const targetKey = (service: string) => `/svcmgr/services/${service}/target`

export interface InstanceRecord {
  readonly version: 1
  readonly node: string
  readonly avail: StatusValue | 'unknown'
  readonly frozen: boolean
  readonly failed: boolean
  readonly reason?: string
  readonly transition?: {readonly time: string; readonly from: string; readonly to: string; readonly reason: string}
  readonly updated: string
}

export interface FrozenRecord {
  readonly by: string
  readonly time: string
}

export interface TargetRecord {
  readonly version: 1
  readonly node: string
  readonly by: string
  readonly time: string
  readonly id: string
}
