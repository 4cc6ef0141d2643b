/**
 * The typed oclif hooks between the core and plugins.
 *
 * - `svcmgr:drivers`: run by the core; each driver plugin answers with its drivers.
 * - `svcmgr:service`: answered by the core; lets a plugin command (e.g. `docker`) load a
 *   service and svcmgr's settings without importing core internals.
 */
import type {Hooks as _OclifHooks} from '@oclif/core'
import type {DriverHookOptions, DriverRegistration, DriverSettings, ServiceView} from './api.js'

export interface ServiceHookOptions {
  readonly service: string
}

export interface ServiceHookResult {
  readonly service: ServiceView
  readonly settings: DriverSettings
}

export type {_OclifHooks}

declare module '@oclif/core' {
  interface Hooks {
    'svcmgr:drivers': {options: DriverHookOptions; return: DriverRegistration}
    'svcmgr:service': {options: ServiceHookOptions; return: ServiceHookResult}
  }
}
