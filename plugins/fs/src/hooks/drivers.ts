/** The `svcmgr:drivers` hook: registers the filesystem drivers fs.ext4, fs.ext3, fs.ext2 and fs.xfs. */
import type {Hook} from '@oclif/core'
import type {DriverRegistration, SvcmgrHooks} from 'svcmgr'
import {FS_DRIVERS} from '../drivers/fs.js'

/** The driver API versions this plugin was written against. */
const SUPPORTED_API = [1]

export const registration: DriverRegistration = {drivers: FS_DRIVERS}

const hook: Hook<'svcmgr:drivers', SvcmgrHooks> = async function (options) {
  if (!SUPPORTED_API.includes(options.apiVersion))
    throw new Error(`@svcmgr/plugin-fs supports the driver API version ${SUPPORTED_API.join(', ')}; this svcmgr core speaks version ${options.apiVersion}: upgrade the plugin or the core so they match`)
  return registration
}

export default hook
