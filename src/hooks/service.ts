/** Answers `svcmgr:service` for plugin commands: a compiled service and the driver settings. */
import type {Hook} from '@oclif/core'
import type {SvcmgrHooks} from '../drivers/hook.js'
import {Session} from '../services/session.js'

const hook: Hook<'svcmgr:service', SvcmgrHooks> = async function (options) {
  const session = await Session.open(options.config)
  const {service} = await session.load(options.service)
  return {service, settings: session.driverSettings}
}

export default hook
