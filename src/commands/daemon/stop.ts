import {Flags} from '@oclif/core'
import {SvcmgrCommand} from '../../cli/base.js'
import {parseDurationFlag} from '../../cli/duration-flag.js'
import {stopAgent} from '../../services/agent-control.js'
import {UsageError} from '../../errors.js'

export default class DaemonStop extends SvcmgrCommand {
  static description =
    'Stop the node agent: SIGTERM, then wait for it to end (it finishes the action it runs first). Still running past --timeout: exit 1. A stale pid file is reported and removed. The services are left as they are, but for the cluster services (orchestrate = ha with etcd): stopped, and the lease revoked so that another node takes over.'
  static examples = ['<%= config.bin %> daemon stop', '<%= config.bin %> daemon stop --timeout 5m']
  static flags = {
    timeout: Flags.string({description: 'How long to wait for the agent to end (e.g. 60s).', default: '60s'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(DaemonStop)
    const timeoutMs = parseDurationFlag('timeout', flags.timeout)
    if (timeoutMs <= 0)
      throw new UsageError(`--timeout: expected a duration above 0, got ${JSON.stringify(flags.timeout)}`)
    const {settings} = await this.session()
    const r = await stopAgent(settings, timeoutMs)
    if (flags.format === 'json') {
      this.printJson(r)
      return
    }
    if (r.result === 'not-running') this.log('the agent is not running')
    else if (r.result === 'stale-removed')
      this.log(`the agent is not running: removed the stale pid file ${r.pidFile} (pid ${r.pid} is gone)`)
    else this.log(`agent stopped (pid ${r.pid})`)
  }
}
