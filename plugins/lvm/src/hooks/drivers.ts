/** The `svcmgr:drivers` hook: registers disk.vg (LVM volume groups; `[vg#N]` sections). */
import type {Hook} from '@oclif/core'
import type {DriverRegistration, SvcmgrHooks} from 'svcmgr'
import {vgDriver} from '../drivers/disk-vg.js'

/** apiVersion: the driver API this plugin was written for; the core checks it (src/drivers/load.ts). */
export const registration: DriverRegistration = {apiVersion: 1, drivers: [vgDriver]}

const hook: Hook<'svcmgr:drivers', SvcmgrHooks> = async function () {
  return registration
}

export default hook
