import path from 'node:path'
import {SvcmgrCommand} from '../../cli/base.js'
import {runDaemon} from '../../services/daemon.js'

export default class DaemonRun extends SvcmgrCommand {
  static description =
    'Run the node agent in the foreground: it watches the started services, restarts their resources (restart, restart_delay, monitor) and starts the orchestrate = start ones. Logs to stderr; SIGTERM stops it.'
  static examples = ['<%= config.bin %> daemon run']

  async run(): Promise<void> {
    await this.parse(DaemonRun)
    await runDaemon(await this.session(), {script: path.join(this.config.root, 'bin', 'run.js')})
  }
}
