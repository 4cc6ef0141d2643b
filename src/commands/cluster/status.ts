import {SvcmgrCommand} from '../../cli/base.js'
import {formatClusterStatus} from '../../render/cluster-status.js'
import {clusterStatus} from '../../services/cluster-status.js'
import {EXIT} from '../../errors.js'

export default class ClusterStatus extends SvcmgrCommand {
  static description =
    "List the cluster's nodes (agent alive, last seen) and each etcd member's health (reachable, leader, raft term). Exit 1 when etcd could not tell which nodes there are."
  static examples = ['<%= config.bin %> cluster status', '<%= config.bin %> cluster status --format json']

  async run(): Promise<void> {
    const {flags} = await this.parse(ClusterStatus)
    const report = await clusterStatus()
    if (flags.format === 'json') this.printJson(report)
    else process.stdout.write(formatClusterStatus(report))
    if (report.nodes === null) this.exit(EXIT.failed)
  }
}
