import {ServiceCommand} from '../../cli/base.js'
import {formatStatusTree} from '../../render/status-tree.js'
import {serviceStatus} from '../../services/status.js'

export default class PrintStatus extends ServiceCommand {
  static description =
    "Print the service's status: the service, the instance, and each resource with its flags, status and label."
  static examples = ['<%= config.bin %> -s svc2 print status', '<%= config.bin %> -s svc2 print status --format json']

  async run(): Promise<void> {
    const {flags} = await this.parse(PrintStatus)
    const session = await this.session()
    // the plugins the service cannot need are not loaded
    session.skipUnneeded(flags.service)
    const report = await serviceStatus(session, flags.service)
    if (flags.format === 'json') this.printJson(report)
    else process.stdout.write(formatStatusTree(report))
  }
}
