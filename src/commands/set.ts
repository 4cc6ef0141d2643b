import {Flags} from '@oclif/core'
import {ServiceCommand, parseKwAssignment} from '../cli/base.js'
import {parseWaitlock, waitlockFlag} from '../cli/action-command.js'
import {editService} from '../services/config-edit.js'

export default class Set extends ServiceCommand {
  static description =
    'Set keywords (validated, then written atomically; nothing is written when any is invalid). Refused while an action runs on the service, unless --waitlock.'
  static examples = ['<%= config.bin %> -s svc2 set --kw container#3.rm=true --kw container#3.image=redis:3.0']
  static flags = {
    kw: Flags.string({
      description: '<section>.<keyword>=<value> (no section: DEFAULT). Repeatable.',
      multiple: true,
      required: true,
    }),
    waitlock: waitlockFlag('an action running on this service'),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Set)
    const edits = flags.kw.map(k => ({op: 'set' as const, ...parseKwAssignment(k, true)}))
    await editService(await this.session(), flags.service, edits, {waitlockMs: parseWaitlock(flags.waitlock)})
  }
}
