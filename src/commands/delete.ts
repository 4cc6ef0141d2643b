import {Flags} from '@oclif/core'
import {ServiceCommand} from '../cli/base.js'
import {parseSelectionList, parseWaitlock, waitlockFlag} from '../cli/action-command.js'
import {deleteSections, deleteService} from '../services/config-edit.js'

export default class Delete extends ServiceCommand {
  static description =
    "Delete the service's config and state (its resources are left as they are: stop or unprovision first), or with --rid only those sections. Refused while an action runs on the service, unless --waitlock."
  static examples = [
    '<%= config.bin %> -s svc2 delete',
    '<%= config.bin %> -s svc2 delete --local',
    '<%= config.bin %> -s svc2 delete --rid container#3',
  ]
  static flags = {
    rid: Flags.string({description: 'Comma list of sections to remove from the config.'}),
    waitlock: waitlockFlag('an action running on this service'),
    local: Flags.boolean({
      description:
        'Delete the config on this node only (in OpenSVC the other nodes keep theirs): svcmgr has one node, so the same as without it; accepted for OpenSVC compatibility.',
    }),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Delete)
    // an empty --rid (an unset shell variable) must not mean "the whole service"
    const rids = parseSelectionList('rid', flags.rid, 'section names (container#3)')
    const waitlockMs = parseWaitlock(flags.waitlock)
    const session = await this.session()
    if (rids) {
      await deleteSections(session, flags.service, rids, {waitlockMs})
      return
    }
    const done = await deleteService(session, flags.service, {waitlockMs})
    this.log(
      done === 'left to the agent'
        ? `deleted ${flags.service} from the cluster: this node's agent stops what runs here and removes its local copy`
        : `deleted ${flags.service}`,
    )
  }
}
