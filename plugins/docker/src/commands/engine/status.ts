import {Command} from '@oclif/core'
import {pingAddress} from '../../engine/address.js'
import {resolveSharedAddress} from '../../engine/client.js'
import {daemonPid, ownEngineSpec} from '../../engine/daemon.js'
import {configuredAddress, coreSettings, CoreSettingsError} from '../../engine/core-settings.js'

export interface EngineStatus {
  readonly configured: {address: string; answering: boolean}
  readonly own: {address: string; answering: boolean; pid?: number; dataRoot: string; logFile: string}
  /** The engine services without a private daemon use. */
  readonly used: string
  readonly dockerd?: string
}

export default class EngineStatusCommand extends Command {
  static summary = 'Tell which docker engine svcmgr uses and whether it answers.'
  static description =
    "Shows the engine at DOCKER_HOST (or the dockerHost setting, or the default socket), svcmgr's own engine (`svcmgr engine start`), and which one services without a private daemon use."
  static enableJsonFlag = true
  static examples = ['<%= config.bin %> engine status', '<%= config.bin %> engine status --json']

  async run(): Promise<EngineStatus> {
    let kit
    try {
      kit = await coreSettings(this.config)
    } catch (error) {
      if (error instanceof CoreSettingsError) this.error(error.message, {exit: error.exitCode})
      throw error
    }
    const spec = ownEngineSpec(kit.settings.root)
    const address = configuredAddress(kit.settings)
    const [answering, ownAnswering, pid, used, dockerd] = await Promise.all([
      pingAddress(address),
      pingAddress(spec.address),
      daemonPid(kit.host, spec),
      resolveSharedAddress(kit.settings),
      kit.host.which('dockerd'),
    ])
    const word = (ok: boolean) => (ok ? 'answers' : 'does not answer')
    this.log(`engine at ${address}: ${word(answering)}`)
    this.log(
      `svcmgr's own engine at ${spec.address}: ${ownAnswering ? `answers${pid ? ` (pid ${pid})` : ''}` : pid ? `does not answer (dockerd pid ${pid} still running)` : 'not running'}`,
    )
    this.log(`services use: ${used}`)
    if (!dockerd) this.log('dockerd: not installed (apt-get install docker.io)')
    return {
      configured: {address, answering},
      own: {address: spec.address, answering: ownAnswering, pid, dataRoot: spec.dataRoot, logFile: spec.logFile},
      used,
      dockerd,
    }
  }
}
