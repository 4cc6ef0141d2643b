import path from 'node:path'
import {Flags} from '@oclif/core'
import {ServiceCommand} from '../cli/base.js'
import {UsageError} from '../config/store.js'
import {readLockOwner} from '../executor/lock.js'
import {deleteSections} from '../services/config-edit.js'

export default class Delete extends ServiceCommand {
  static description = "Delete the service's config and state (its resources are left as they are: stop or unprovision first), or with --rid only those sections."
  static examples = ['<%= config.bin %> -s svc2 delete', '<%= config.bin %> -s svc2 delete --rid container#3']
  static flags = {rid: Flags.string({description: 'Comma list of sections to remove from the config.'})}

  async run(): Promise<void> {
    const {flags} = await this.parse(Delete)
    const session = await this.session()
    if (flags.rid) {
      await deleteSections(session, flags.service, flags.rid.split(',').map(s => s.trim()))
      return
    }
    session.store.read(flags.service)
    const owner = readLockOwner(path.join(session.store.varDir(flags.service), 'lock'))
    if (owner) throw new UsageError(`service ${flags.service} is busy: pid ${owner.pid} runs ${owner.action}`)
    session.store.remove(flags.service)
    this.log(`deleted ${flags.service}`)
  }
}
