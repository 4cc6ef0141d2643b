import {ServiceCommand} from '../cli/base.js'

export default class Freeze extends ServiceCommand {
  static description = 'Freeze the service: the instance shows frozen (svcmgr never orchestrates a frozen service).'
  static examples = ['<%= config.bin %> -s svc2 freeze']

  async run(): Promise<void> {
    const {flags} = await this.parse(Freeze)
    const {store} = await this.session()
    store.requireExists(flags.service)
    store.setFrozen(flags.service, true)
  }
}
