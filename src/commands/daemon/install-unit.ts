import path from 'node:path'
import {Flags} from '@oclif/core'
import {SvcmgrCommand} from '../../cli/base.js'
import {agentUnitText, installUnit} from '../../services/agent-control.js'

export default class DaemonInstallUnit extends SvcmgrCommand {
  static description =
    "Write the node agent's systemd unit (Restart=always; ExecStart this svcmgr's `daemon run` by absolute path; Environment= for SVCMGR_ROOT, SVCMGR_CONFIG and DOCKER_HOST as this command has them). A different file there is refused without --force."
  static examples = [
    '<%= config.bin %> daemon install-unit && systemctl daemon-reload && systemctl enable --now svcmgr',
    '<%= config.bin %> daemon install-unit --print',
  ]
  static flags = {
    path: Flags.string({description: 'Where to write the unit.', default: '/etc/systemd/system/svcmgr.service'}),
    force: Flags.boolean({description: 'Replace a different file at --path.'}),
    print: Flags.boolean({description: 'Print the unit on stdout and write nothing.'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(DaemonInstallUnit)
    const {settings} = await this.session()
    const script = path.join(this.config.root, 'bin', 'run.js')
    if (flags.print) {
      process.stdout.write(agentUnitText(settings, script))
      return
    }
    const r = installUnit(settings, {path: flags.path, force: flags.force, script})
    if (flags.format === 'json') this.printJson({path: r.path, changed: r.changed})
    else if (!r.changed) this.log(`${r.path} is already this unit: unchanged`)
    else
      this.log(
        `wrote ${r.path}; then: systemctl daemon-reload && systemctl enable --now ${path.basename(r.path, '.service')}`,
      )
  }
}
