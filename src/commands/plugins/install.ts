import {existsSync, mkdirSync, statSync} from 'node:fs'
import path from 'node:path'
import {commands} from '@oclif/plugin-plugins'

/**
 * `svcmgr plugins install`: @oclif/plugin-plugins' command (this root command takes precedence
 * over the core plugin's), with local paths made to work:
 * - plugin-plugins takes any argument holding a "/" for a GitHub repository
 *   (https://github.com//tmp/x.tgz, failing after a long network timeout): an existing local
 *   tarball is given to it as a file: URL instead;
 * - it finds the name of an installed file: dependency by comparing tarball basenames, and a
 *   folder matches whichever folder dependency comes first: a local folder is packed into a
 *   tarball kept under the data dir (npm resolves the dependency from it again on later installs).
 */
const PluginsInstall: (typeof commands)['plugins:install'] = commands['plugins:install']

function isLocal(arg: string): boolean {
  if (arg.startsWith('-') || arg.includes(':')) return false
  return (
    (arg.startsWith('.') || arg.startsWith('/') || arg.startsWith('~') || /\.(tgz|tar\.gz)$/.test(arg)) &&
    existsSync(arg)
  )
}

/** A local tarball as a file: URL; anything else (npm names, URLs, flags) as it is. */
export function localPluginSpec(arg: string): string {
  return isLocal(arg) && !statSync(arg).isDirectory() ? `file:${path.resolve(arg)}` : arg
}

export default class Install extends PluginsInstall {
  static examples = [
    ...PluginsInstall.examples,
    {
      command: '<%= config.bin %> <%= command.id %> ./svcmgr-plugin-app-0.1.0.tgz',
      description: 'Install a plugin from a local tarball.',
    },
    {
      command: '<%= config.bin %> <%= command.id %> ./plugins/app',
      description: 'Install a plugin from a local folder (packed with npm pack first).',
    },
  ]

  async run(): Promise<void> {
    const argv: string[] = []
    for (const arg of this.argv)
      argv.push(isLocal(arg) && statSync(arg).isDirectory() ? await this.pack(arg) : localPluginSpec(arg))
    this.argv = argv
    return super.run()
  }

  /** npm pack of a folder into <dataDir>/packed; returns the tarball as a file: URL. */
  private async pack(folder: string): Promise<string> {
    const {execa} = await import('execa')
    const destination = path.join(this.config.dataDir, 'packed')
    mkdirSync(destination, {recursive: true})
    const r = await execa('npm', ['pack', '--silent', '--pack-destination', destination], {
      cwd: path.resolve(folder),
      timeout: 300_000,
    })
    const tarball = r.stdout.trim().split('\n').pop()!
    return `file:${path.join(destination, tarball)}`
  }
}
