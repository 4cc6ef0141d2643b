import {ServiceCommand} from '../cli/base.js'
import {setServiceFrozen} from '../services/freeze.js'

export default class Freeze extends ServiceCommand {
  static description =
    'Freeze the service: the instance shows frozen and the node agent never starts, restarts or moves it. A cluster service is frozen cluster-wide (its etcd frozen key) and on this node.'
  static examples = ['<%= config.bin %> -s svc2 freeze']

  async run(): Promise<void> {
    const {flags} = await this.parse(Freeze)
    const r = await setServiceFrozen(await this.session(), flags.service, true)
    if (flags.format === 'json') this.printJson(r)
    else if (r.cluster)
      this.log(
        r.was
          ? `${r.service} was already frozen cluster-wide (by ${r.was.by} at ${r.was.time}); frozen on this node`
          : `${r.service} frozen cluster-wide and on this node: no agent starts or moves it`,
      )
  }
}
