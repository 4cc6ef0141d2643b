import {Flags} from '@oclif/core'
import {ServiceCommand} from '../cli/base.js'
import {describeMove, moveFlags, moveOptions} from '../cli/move-flags.js'
import {switchService} from '../services/cluster-move.js'

export default class Switch extends ServiceCommand {
  static description =
    'Move a cluster service to another of its nodes: the owner stops it, ownership passes only if the stop succeeded, the node asked starts it. Writes the request to etcd; the agents carry it out (--wait waits for it). Refused for a node not in DEFAULT.nodes (exit 2) and while the service is frozen (exit 1).'
  static examples = [
    '<%= config.bin %> -s web switch --to n2',
    '<%= config.bin %> -s web switch --to n2 --wait --timeout 2m',
  ]
  static flags = {
    to: Flags.string({description: 'The node to run the service on (one of its DEFAULT.nodes).', required: true}),
    ...moveFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Switch)
    const r = await switchService(await this.session(), flags.service, flags.to, moveOptions(flags))
    if (flags.format === 'json') this.printJson(r)
    else this.log(describeMove(r))
  }
}
