/**
 * The typed oclif hooks between the core and plugins (Salesforce CLI style: a hooks
 * interface extending oclif's, used as `Hook<'svcmgr:drivers', SvcmgrHooks>`).
 *
 * - `svcmgr:drivers`: run by the core; each driver plugin answers with its drivers.
 * - `svcmgr:service`: answered by the core; lets a plugin command (e.g. `docker`) load a
 *   service and svcmgr's settings without importing core internals.
 * - `svcmgr:settings`: answered by the core; svcmgr's settings (root, dockerHost, ...) and the
 *   driver kit's host helpers, for plugin commands that need no service (`engine start`).
 */
import type {Interfaces} from '@oclif/core'
import type {DriverHookOptions, DriverRegistration, DriverSettings, ServiceView, SettingsHookResult} from './api.js'

export type ServiceHookOptions = {
  readonly service: string
}

export interface ServiceHookResult {
  readonly service: ServiceView
  readonly settings: DriverSettings
}

export interface SvcmgrHooks extends Interfaces.Hooks {
  'svcmgr:drivers': {options: DriverHookOptions; return: DriverRegistration}
  'svcmgr:service': {options: ServiceHookOptions; return: ServiceHookResult}
  'svcmgr:settings': {options: Record<string, never>; return: SettingsHookResult}
}
