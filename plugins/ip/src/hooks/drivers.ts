/** The `svcmgr:drivers` hook: registers ip.host (the default type of [ip#N]) and ip.netns. */
import type {Hook} from '@oclif/core'
import type {DriverRegistration, SvcmgrHooks} from 'svcmgr'
import {ipHostDriver} from '../drivers/ip-host.js'
import {ipNetnsDriver} from '../drivers/ip-netns.js'

/** apiVersion: the driver API this plugin was written for; the core checks it (src/drivers/load.ts). */
export const registration: DriverRegistration = {apiVersion: 1, drivers: [ipHostDriver, ipNetnsDriver]}

const hook: Hook<'svcmgr:drivers', SvcmgrHooks> = async function () {
  return registration
}

export default hook
