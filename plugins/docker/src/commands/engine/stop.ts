import {Command, Flags} from '@oclif/core'
import {DaemonError, daemonPid, ownEngineSpec, stopDaemon} from '../../engine/daemon.js'
import {coreSettings, CoreSettingsError} from '../../engine/core-settings.js'

export default class EngineStop extends Command {
  static summary = "Stop svcmgr's own docker engine."
  static description =
    'Stops the dockerd that `svcmgr engine start` started (SIGTERM; dockerd stops its containers on the way out; SIGKILL after --timeout). Engines svcmgr did not start are left alone.'
  static enableJsonFlag = true
  static flags = {
    timeout: Flags.integer({description: 'Seconds to wait after SIGTERM before SIGKILL.', default: 30, min: 1}),
  }
  static examples = ['<%= config.bin %> engine stop']

  async run(): Promise<{stopped: boolean; pid?: number}> {
    const {flags} = await this.parse(EngineStop)
    let kit
    try {
      kit = await coreSettings(this.config)
    } catch (error) {
      if (error instanceof CoreSettingsError) this.error(error.message, {exit: error.exitCode})
      throw error
    }
    const spec = ownEngineSpec(kit.settings.root)
    const pid = await daemonPid(kit.host, spec)
    try {
      const outcome = await stopDaemon(kit.host, spec, {timeoutMs: flags.timeout * 1000})
      this.log(outcome === 'stopped' ? `${spec.title} (pid ${pid}) stopped` : `${spec.title} is not running`)
      return {stopped: outcome === 'stopped', pid}
    } catch (error) {
      if (error instanceof DaemonError) this.error(error.message, {exit: 1})
      throw error
    }
  }
}
