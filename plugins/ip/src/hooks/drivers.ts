/** The `svcmgr:drivers` hook: registers ip.host (the default type of [ip#N]) and ip.netns. */
import type {Hook} from '@oclif/core'
import type {DriverRegistration, SvcmgrHooks} from 'svcmgr'
import {ipHostDriver} from '../drivers/ip-host.js'
import {ipNetnsDriver} from '../drivers/ip-netns.js'

/** The driver API versions this plugin was written against. */
const SUPPORTED_API = [1]

export const registration: DriverRegistration = {drivers: [ipHostDriver, ipNetnsDriver]}

const hook: Hook<'svcmgr:drivers', SvcmgrHooks> = async function (options) {
  if (!SUPPORTED_API.includes(options.apiVersion))
    throw new Error(`@svcmgr/plugin-ip supports the driver API version ${SUPPORTED_API.join(', ')}; this svcmgr core speaks version ${options.apiVersion}: upgrade the plugin or the core so they match`)
  return registration
}

export default hook
