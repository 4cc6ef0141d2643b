import {existsSync} from 'node:fs'
import path from 'node:path'
import {commands} from '@oclif/plugin-plugins'

/**
 * `svcmgr plugins install`: @oclif/plugin-plugins' command (this root command takes precedence
 * over the core plugin's), with local paths made to work: plugin-plugins takes any argument
 * holding a "/" for a GitHub repository (https://github.com//tmp/x.tgz, failing after a long
 * network timeout); an existing local tarball or folder is given to it as a file: URL instead.
 */
const PluginsInstall: (typeof commands)['plugins:install'] = commands['plugins:install']

/** A local tarball or folder as a file: URL; anything else (npm names, URLs, flags) as it is. */
export function localPluginSpec(arg: string): string {
  if (arg.startsWith('-') || arg.includes(':')) return arg
  const local = arg.startsWith('.') || arg.startsWith('/') || arg.startsWith('~') || /\.(tgz|tar\.gz)$/.test(arg)
  return local && existsSync(arg) ? `file:${path.resolve(arg)}` : arg
}

export default class Install extends PluginsInstall {
  static examples = [...PluginsInstall.examples, {command: '<%= config.bin %> <%= command.id %> ./svcmgr-plugin-app-0.1.0.tgz', description: 'Install a plugin from a local tarball or folder.'}]
  async run(): Promise<void> {
    this.argv = this.argv.map(localPluginSpec)
    return super.run()
  }
}
