import {Flags} from '@oclif/core'
import {ServiceCommand, parseKwAssignment} from '../cli/base.js'
import {parseWaitlock, waitlockFlag} from '../cli/action-command.js'
import {editService} from '../services/config-edit.js'

export default class Unset extends ServiceCommand {
  static description =
    'Remove keywords from the config (the default value applies again). Refused while an action runs on the service, unless --waitlock.'
  static examples = ['<%= config.bin %> -s svc2 unset --kw container#3.rm']
  static flags = {
    kw: Flags.string({
      description: '<section>.<keyword> (no section: DEFAULT). Repeatable.',
      multiple: true,
      required: true,
    }),
    waitlock: waitlockFlag('an action running on this service'),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Unset)
    const edits = flags.kw.map(k => {
      const {section, keyword} = parseKwAssignment(k, false)
      return {op: 'unset' as const, section, keyword}
    })
    await editService(await this.session(), flags.service, edits, {waitlockMs: parseWaitlock(flags.waitlock)})
  }
}
