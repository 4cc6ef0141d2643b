import {SvcmgrCommand} from '../cli/base.js'

export default class Ls extends SvcmgrCommand {
  static description = 'List the services.'
  static examples = ['<%= config.bin %> ls']

  async run(): Promise<void> {
    const {flags} = await this.parse(Ls)
    const names = (await this.session()).store.list()
    if (flags.format === 'json') this.printJson(names)
    else for (const n of names) this.log(n)
  }
}
