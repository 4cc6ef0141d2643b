import {SvcmgrCommand} from '../../cli/base.js'
import {formatAgentStatus} from '../../render/agent-status.js'
import {agentStatus} from '../../services/agent-control.js'

export default class DaemonStatus extends SvcmgrCommand {
  static description =
    "Print the node agent's state (running, stale: alive without a fresh heartbeat, stopped), pid, uptime, the services it watches, its last event and heartbeat age. Exit 0 whenever it could be read: the state is in the output."
  static examples = ['<%= config.bin %> daemon status', '<%= config.bin %> daemon status --format json']

  async run(): Promise<void> {
    const {flags} = await this.parse(DaemonStatus)
    const {settings} = await this.session()
    const report = agentStatus(settings)
    if (flags.format === 'json') this.printJson(report)
    else process.stdout.write(formatAgentStatus(report))
  }
}
