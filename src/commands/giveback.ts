import {ServiceCommand} from '../cli/base.js'
import {describeMove, moveFlags, moveOptions} from '../cli/move-flags.js'
import {givebackService} from '../services/cluster-move.js'

export default class Giveback extends ServiceCommand {
  static description =
    'Move a cluster service back to its placement leader: the first node of DEFAULT.nodes whose agent is alive, not frozen, not failed. Already there: a pending move is withdrawn.'
  static examples = ['<%= config.bin %> -s web giveback', '<%= config.bin %> -s web giveback --wait']
  static flags = {...moveFlags}

  async run(): Promise<void> {
    const {flags} = await this.parse(Giveback)
    const r = await givebackService(await this.session(), flags.service, moveOptions(flags))
    if (flags.format === 'json') this.printJson(r)
    else this.log(describeMove(r))
  }
}
