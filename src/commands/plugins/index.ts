import {commands} from '@oclif/plugin-plugins'
import {driverTypesByPlugin} from '../../services/drivers.js'

/**
 * `svcmgr plugins`: @oclif/plugin-plugins' list (this root command takes precedence over the
 * core plugin's), followed by the driver types each listed plugin provides; with --json,
 * each plugin gets a `driverTypes` list.
 */
const PluginsIndex: (typeof commands)['plugins'] = commands.plugins

export default class Plugins extends PluginsIndex {
  static description = 'List installed plugins, with the driver types each provides.'

  async run(): ReturnType<InstanceType<typeof PluginsIndex>['run']> {
    const {flags} = await this.parse(Plugins)
    const listed = await super.run()
    const types = await driverTypesByPlugin(this.config)
    const typesOf = (name: string) => types.get(name) ?? []
    if (this.jsonEnabled()) return listed.map(p => ({...p, driverTypes: typesOf(p.name)}))
    const shown = this.config
      .getPluginsList()
      .filter(
        p =>
          (flags.core || (p.type !== 'core' && p.type !== 'dev')) &&
          p.root !== this.config.root &&
          typesOf(p.name).length > 0,
      )
    if (shown.length > 0) {
      this.log('')
      this.log('Driver types:')
      for (const p of shown.sort((a, b) => a.name.localeCompare(b.name)))
        this.log(`  ${p.name}: ${typesOf(p.name).join(', ')}`)
    }
    return listed
  }
}
