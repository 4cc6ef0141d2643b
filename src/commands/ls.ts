import {SvcmgrCommand} from '../cli/base.js'
import {serviceNames} from '../services/cluster-config.js'
import {EXIT} from '../errors.js'

export default class Ls extends SvcmgrCommand {
  static description =
    "List the services: this node's and, with the etcd setting, the cluster's (exit 1 when etcd did not answer: the list is partial)."
  static examples = ['<%= config.bin %> ls']

  async run(): Promise<void> {
    const {flags} = await this.parse(Ls)
    const {names, clusterError} = await serviceNames(await this.session())
    if (flags.format === 'json') this.printJson(names)
    else for (const n of names) this.log(n)
    if (clusterError) {
      this.logToStderr(`svcmgr: the cluster's services are not listed: ${clusterError}`)
      this.exit(EXIT.failed)
    }
  }
}
