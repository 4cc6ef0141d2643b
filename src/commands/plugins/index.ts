import {commands} from '@oclif/plugin-plugins'
import {loadDriverRegistry} from '../../drivers/load.js'

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
    const registry = await loadDriverRegistry(this.config)
    for (const p of registry.problems) process.stderr.write(`svcmgr: warning: plugin ${p.plugin}: ${p.message}\n`)
    const types = new Map<string, Set<string>>()
    for (const {driver, plugin} of registry.drivers()) {
      if (!types.has(plugin)) types.set(plugin, new Set())
      types.get(plugin)!.add(`${driver.group}.${driver.type}`)
    }
    const typesOf = (name: string) => [...(types.get(name) ?? [])].sort()
    if (this.jsonEnabled()) return listed.map(p => ({...p, driverTypes: typesOf(p.name)}))
    const shown = this.config.getPluginsList().filter(p => (flags.core || (p.type !== 'core' && p.type !== 'dev')) && p.root !== this.config.root && typesOf(p.name).length > 0)
    if (shown.length > 0) {
      this.log('')
      this.log('Driver types:')
      for (const p of shown.sort((a, b) => a.name.localeCompare(b.name))) this.log(`  ${p.name}: ${typesOf(p.name).join(', ')}`)
    }
    return listed
  }
}
