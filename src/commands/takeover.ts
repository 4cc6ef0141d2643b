import {ServiceCommand} from '../cli/base.js'
import {describeMove, moveFlags, moveOptions} from '../cli/move-flags.js'
import {takeoverService} from '../services/cluster-move.js'

export default class Takeover extends ServiceCommand {
  static description = 'Move a cluster service to this node (switch --to <this node>).'
  static examples = ['<%= config.bin %> -s web takeover', '<%= config.bin %> -s web takeover --wait']
  static flags = {...moveFlags}

  async run(): Promise<void> {
    const {flags} = await this.parse(Takeover)
    const r = await takeoverService(await this.session(), flags.service, moveOptions(flags))
    if (flags.format === 'json') this.printJson(r)
    else this.log(describeMove(r))
  }
}
