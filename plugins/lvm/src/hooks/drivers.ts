/** The `svcmgr:drivers` hook of this plugin (drivers are being written: none registered yet). */
import type {Hook} from '@oclif/core'
import type {SvcmgrHooks} from 'svcmgr'

const hook: Hook<'svcmgr:drivers', SvcmgrHooks> = async function () {
  return {drivers: []}
}

export default hook
