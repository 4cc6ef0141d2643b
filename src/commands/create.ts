import {Flags} from '@oclif/core'
import {ServiceCommand} from '../cli/base.js'
import {parseWaitlock, runAndReport, waitlockFlag} from '../cli/action-command.js'
import {createService, readConfigInput} from '../services/config-edit.js'

export default class Create extends ServiceCommand {
  static description =
    'Create a service from a config (INI or JSON; flat sections or {"<svc>": {...}}), optionally provisioning it.'
  static examples = [
    'cat svc2.json | <%= config.bin %> -s svc2 create --config=- --provision --local',
    '<%= config.bin %> -s svc2 create --config svc2.conf',
  ]
  static flags = {
    config: Flags.string({description: 'The config file, or - for standard input.', required: true}),
    provision: Flags.boolean({description: 'Provision and start the service once created.'}),
    force: Flags.boolean({description: 'Replace the config of an existing service.'}),
    local: Flags.boolean({description: 'Act on this node only (accepted for OpenSVC compatibility).'}),
    waitlock: waitlockFlag('an action running on this service (--force)'),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Create)
    const session = await this.session()
    const input = await readConfigInput(flags.config)
    await createService(session, flags.service, input.text, input.origin, flags.force, {
      waitlockMs: parseWaitlock(flags.waitlock),
    })
    if (flags.format !== 'json') this.log(`created ${flags.service} (${session.store.configPath(flags.service)})`)
    if (!flags.provision) return
    await runAndReport(
      this,
      session,
      {service: flags.service, action: 'provision', selection: {}},
      {
        format: flags.format,
        hint: `(the config is kept: fix the cause and run \`svcmgr -s ${flags.service} provision\`)`,
      },
    )
  }
}
