import {ServiceCommand} from '../../cli/base.js'
import {documentToIni, documentToJson} from '../../config/document.js'

export default class PrintConfig extends ServiceCommand {
  static description = "Print the service's config as written (INI, or JSON with --format json)."
  static examples = ['<%= config.bin %> -s svc2 print config', '<%= config.bin %> -s svc2 print config --format json']

  async run(): Promise<void> {
    const {flags} = await this.parse(PrintConfig)
    const doc = (await this.session()).store.read(flags.service)
    if (flags.format === 'json') this.printJson(documentToJson(doc))
    else process.stdout.write(documentToIni(doc))
  }
}
