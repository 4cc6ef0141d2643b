/** The `svcmgr:drivers` hook: svcmgr runs it at every command that needs drivers; it answers with this plugin's drivers. */
import type {Hook} from '@oclif/core'
import type {DriverRegistration, SvcmgrHooks} from 'svcmgr'
import {forkingDriver, simpleDriver} from '../drivers/app.js'

/** apiVersion: the driver API this plugin was written for; the core checks it (src/drivers/load.ts). */
export const registration: DriverRegistration = {apiVersion: 1, drivers: [forkingDriver, simpleDriver]}

const hook: Hook<'svcmgr:drivers', SvcmgrHooks> = async function () {
  return registration
}

export default hook
