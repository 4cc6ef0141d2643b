import {Args} from '@oclif/core'
import {SvcmgrCommand} from '../cli/base.js'
import {formatDriverDetail, formatDriverList} from '../render/drivers.js'
import {GENERIC_KEYWORD_NAMES, driverCatalogue, driverDetail} from '../services/drivers.js'

export default class Drivers extends SvcmgrCommand {
  static description =
    'List the resource driver types the installed plugins provide (group.type, plugin, keywords), or describe the keywords of one.'
  static examples = [
    '<%= config.bin %> drivers',
    '<%= config.bin %> drivers app.forking',
    '<%= config.bin %> drivers container.docker --format json',
  ]
  static args = {
    type: Args.string({
      description:
        'A driver type as group.type (e.g. container.docker), or a group whose default type to show (e.g. app).',
    }),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Drivers)
    const session = await this.session()
    if (!args.type) {
      const infos = await driverCatalogue(session)
      if (flags.format === 'json') return this.printJson(infos)
      for (const line of formatDriverList(infos, GENERIC_KEYWORD_NAMES, this.config.bin)) this.log(line)
      return
    }
    const detail = await driverDetail(session, args.type)
    if (flags.format === 'json') return this.printJson(detail)
    for (const line of formatDriverDetail(detail)) this.log(line)
  }
}
