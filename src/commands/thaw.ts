import {ServiceCommand} from '../cli/base.js'

export default class Thaw extends ServiceCommand {
  static description = 'Thaw the service.'
  static examples = ['<%= config.bin %> -s svc2 thaw']

  async run(): Promise<void> {
    const {flags} = await this.parse(Thaw)
    const {store} = await this.session()
    store.requireExists(flags.service)
    store.setFrozen(flags.service, false)
  }
}
