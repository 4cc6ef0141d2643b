/** The `svcmgr:drivers` hook: registers the filesystem drivers fs.ext4, fs.ext3, fs.ext2 and fs.xfs. */
import type {Hook} from '@oclif/core'
import type {DriverRegistration, SvcmgrHooks} from 'svcmgr'
import {FS_DRIVERS} from '../drivers/fs.js'

/** apiVersion: the driver API this plugin was written for; the core checks it (src/drivers/load.ts). */
export const registration: DriverRegistration = {apiVersion: 1, drivers: FS_DRIVERS}

const hook: Hook<'svcmgr:drivers', SvcmgrHooks> = async function () {
  return registration
}

export default hook
