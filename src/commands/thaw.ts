import {ServiceCommand} from '../cli/base.js'
import {setServiceFrozen} from '../services/freeze.js'

export default class Thaw extends ServiceCommand {
  static description =
    'Thaw the service. A cluster service is thawed cluster-wide (its etcd frozen key removed) and on this node: the agents place it again.'
  static examples = ['<%= config.bin %> -s svc2 thaw']

  async run(): Promise<void> {
    const {flags} = await this.parse(Thaw)
    const r = await setServiceFrozen(await this.session(), flags.service, false)
    if (flags.format === 'json') this.printJson(r)
    else if (r.cluster)
      this.log(
        r.was
          ? `${r.service} thawed cluster-wide (was frozen by ${r.was.by} at ${r.was.time}) and on this node`
          : `${r.service} was not frozen cluster-wide; thawed on this node`,
      )
  }
}
