import {Command, Flags} from '@oclif/core'
import {pingAddress} from '../../engine/address.js'
import {DaemonError, daemonPid, ownEngineSpec, startDaemon} from '../../engine/daemon.js'
import {configuredAddress, coreSettings, CoreSettingsError} from '../../engine/core-settings.js'

export interface EngineStartResult {
  readonly address: string
  readonly started: boolean
  readonly own: boolean
  readonly pid?: number
}

export default class EngineStart extends Command {
  static summary = "Start svcmgr's own docker engine when no engine answers."
  static description = `For machines without a running Docker engine: starts a private dockerd (socket <root>/var/engine/docker.sock, data in <root>/var/engine/data, <root> being svcmgr's state root from its settings; no iptables rules, no bridge) unless an engine already answers at DOCKER_HOST (or the dockerHost setting) or the default socket. Prints the DOCKER_HOST to use on standard output, so that eval "$(svcmgr engine start)" sets it; svcmgr's services use this engine by themselves when no other answers. Needs dockerd (apt-get install docker.io).`
  static enableJsonFlag = true
  static flags = {
    timeout: Flags.integer({description: 'Seconds to wait for the engine to answer.', default: 60, min: 1}),
  }
  static examples = ['<%= config.bin %> engine start', 'eval "$(<%= config.bin %> engine start)"']

  async run(): Promise<EngineStartResult> {
    const {flags} = await this.parse(EngineStart)
    let kit
    try {
      kit = await coreSettings(this.config)
    } catch (error) {
      if (error instanceof CoreSettingsError) this.error(error.message, {exit: error.exitCode})
      throw error
    }
    const existing = configuredAddress(kit.settings)
    let result: EngineStartResult
    if (await pingAddress(existing)) {
      this.logToStderr(`a docker engine already answers at ${existing}: nothing to start`)
      result = {address: existing, started: false, own: false}
    } else {
      const spec = ownEngineSpec(kit.settings.root)
      try {
        const outcome = await startDaemon(kit.host, spec, {
          timeoutMs: flags.timeout * 1000,
          onSpawn: line => this.logToStderr(`starting ${spec.title}: ${kit.formatCommandLine(line)}`),
        })
        const pid = await daemonPid(kit.host, spec)
        this.logToStderr(
          outcome === 'started'
            ? `${spec.title} answers at ${spec.address} (pid ${pid ?? '?'}, data in ${spec.dataRoot}, log ${spec.logFile})`
            : `${spec.title} already runs at ${spec.address}${pid ? ` (pid ${pid})` : ''}`,
        )
        result = {address: spec.address, started: outcome === 'started', own: true, pid}
      } catch (error) {
        if (error instanceof DaemonError) this.error(error.message, {exit: 1})
        throw error
      }
    }
    this.log(`export DOCKER_HOST=${result.address}`)
    return result
  }
}
