import {ServiceCommand} from '../../cli/base.js'
import {formatConfig} from '../../render/config-text.js'

export default class PrintConfig extends ServiceCommand {
  static description = "Print the service's config as written (INI, or JSON with --format json)."
  static examples = ['<%= config.bin %> -s svc2 print config', '<%= config.bin %> -s svc2 print config --format json']

  async run(): Promise<void> {
    const {flags} = await this.parse(PrintConfig)
    const doc = (await this.session()).store.read(flags.service)
    process.stdout.write(formatConfig(doc, flags.format as 'text' | 'json'))
  }
}
