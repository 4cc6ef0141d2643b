/** The `svcmgr:drivers` hook: svcmgr runs it at every command that needs drivers; it answers with this plugin's drivers. */
import type {Hook} from '@oclif/core'
import type {DriverRegistration, SvcmgrHooks} from 'svcmgr'
import {forkingDriver, simpleDriver} from '../drivers/app.js'

/** The driver API versions this plugin was written against. */
const SUPPORTED_API = [1]

export const registration: DriverRegistration = {drivers: [forkingDriver, simpleDriver]}

const hook: Hook<'svcmgr:drivers', SvcmgrHooks> = async function (options) {
  if (!SUPPORTED_API.includes(options.apiVersion))
    throw new Error(`svcmgr-plugin-app supports the driver API version ${SUPPORTED_API.join(', ')}; this svcmgr speaks version ${options.apiVersion}: install a matching svcmgr-plugin-app`)
  return registration
}

export default hook
