/** Answers `svcmgr:settings` for plugin commands: svcmgr's settings (the settings file's root and dockerHost included) and the driver kit. */
import type {Hook} from '@oclif/core'
import type {SvcmgrHooks} from '../drivers/hook.js'
import {Session} from '../services/session.js'
import {settingsKit} from '../services/settings-kit.js'

const hook: Hook<'svcmgr:settings', SvcmgrHooks> = async function (options) {
  return settingsKit((await Session.open(options.config)).driverSettings)
}

export default hook
