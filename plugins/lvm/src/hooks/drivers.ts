/** The `svcmgr:drivers` hook: registers disk.vg (LVM volume groups; `[vg#N]` sections). */
import type {Hook} from '@oclif/core'
import type {DriverRegistration, SvcmgrHooks} from 'svcmgr'
import {vgDriver} from '../drivers/disk-vg.js'

/** The driver API versions this plugin was written against. */
const SUPPORTED_API = [1]

export const registration: DriverRegistration = {drivers: [vgDriver]}

const hook: Hook<'svcmgr:drivers', SvcmgrHooks> = async function (options) {
  if (!SUPPORTED_API.includes(options.apiVersion))
    throw new Error(`@svcmgr/plugin-lvm supports the driver API version ${SUPPORTED_API.join(', ')}; this svcmgr core speaks version ${options.apiVersion}: upgrade the plugin or the core so they match`)
  return registration
}

export default hook
