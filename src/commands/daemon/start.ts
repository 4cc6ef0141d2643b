import path from 'node:path'
import {Flags} from '@oclif/core'
import {SvcmgrCommand} from '../../cli/base.js'
import {parseDurationFlag} from '../../cli/duration-flag.js'
import {startAgent} from '../../services/agent-control.js'
import {UsageError} from '../../errors.js'

export default class DaemonStart extends SvcmgrCommand {
  static description =
    'Start the node agent in the background (`svcmgr daemon run`, detached, logging to <root>/agent/agent.log); done once its first heartbeat is written. Refused while an agent runs.'
  static examples = ['<%= config.bin %> daemon start', '<%= config.bin %> daemon start --timeout 1m']
  static flags = {
    timeout: Flags.string({
      description: "How long to wait for the agent's first heartbeat (e.g. 30s).",
      default: '30s',
    }),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(DaemonStart)
    const timeoutMs = parseDurationFlag('timeout', flags.timeout)
    if (timeoutMs <= 0)
      throw new UsageError(`--timeout: expected a duration above 0, got ${JSON.stringify(flags.timeout)}`)
    const {settings} = await this.session()
    const r = await startAgent(settings, {script: path.join(this.config.root, 'bin', 'run.js'), timeoutMs})
    if (flags.format === 'json') this.printJson({agent: 'running', pid: r.pid, log: r.log})
    else
      this.log(
        `agent started (pid ${r.pid}; log ${r.log})${r.replacedStale ? `; the stale pid file of dead pid ${r.replacedStale} was removed` : ''}`,
      )
  }
}
