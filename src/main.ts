/**
 * The entry of the CLI bundle (scripts/bundle.mjs → dist/bundle/svcmgr.mjs): every root command
 * by id (oclif's "explicit" command strategy, package.json oclif.commands), the root hooks by
 * name (oclif.hooks' identifiers), and run(), which bin/run.js calls. One file instead of the
 * ~300 modules a pattern-discovered, unbundled oclif CLI opens at every start.
 *
 * `plugins` and `plugins install` extend @oclif/plugin-plugins' commands, which bring npm's
 * machinery: they live in an entry of their own (dist/bundle/plugins-commands.mjs, with
 * plugin-plugins loaded from node_modules), required only when oclif asks for one of the two
 * classes (running it, or `oclif manifest`); Node >= 20.19 requires an ES module synchronously.
 */
import {createRequire} from 'node:module'
import {execute} from '@oclif/core'
import {moveLeadingServiceFlag} from './cli/argv.js'
import Apply from './commands/apply.js'
import Clear from './commands/clear.js'
import ClusterStatus from './commands/cluster/status.js'
import Create from './commands/create.js'
import DaemonFence from './commands/daemon/fence.js'
import DaemonInstallUnit from './commands/daemon/install-unit.js'
import DaemonRun from './commands/daemon/run.js'
import DaemonStart from './commands/daemon/start.js'
import DaemonStatus from './commands/daemon/status.js'
import DaemonStop from './commands/daemon/stop.js'
import Delete from './commands/delete.js'
import Drivers from './commands/drivers.js'
import Freeze from './commands/freeze.js'
import Get from './commands/get.js'
import Giveback from './commands/giveback.js'
import Ls from './commands/ls.js'
import PrintConfig from './commands/print/config.js'
import PrintSchema from './commands/print/schema.js'
import PrintStatus from './commands/print/status.js'
import Provision from './commands/provision.js'
import Restart from './commands/restart.js'
import Set from './commands/set.js'
import Start from './commands/start.js'
import Stop from './commands/stop.js'
import Switch from './commands/switch.js'
import Takeover from './commands/takeover.js'
import Thaw from './commands/thaw.js'
import Unprovision from './commands/unprovision.js'
import Unset from './commands/unset.js'
import ValidateConfig from './commands/validate/config.js'
import Validate from './commands/validate/index.js'

export {default as serviceHook} from './hooks/service.js'
export {default as settingsHook} from './hooks/settings.js'

interface PluginsCommands {
  readonly Plugins: unknown
  readonly Install: unknown
}

let pluginsCommands: PluginsCommands | undefined
/** dist/bundle/plugins-commands.mjs (src/plugins-commands.ts), loaded on first use. */
function loadPluginsCommands(): PluginsCommands {
  pluginsCommands ??= createRequire(import.meta.url)('./plugins-commands.mjs') as PluginsCommands
  return pluginsCommands
}

/** Every root command by its id: a file under src/commands is `topic:name` (index: the topic); test/unit/main.test.ts checks both lists agree. */
export const COMMANDS = {
  apply: Apply,
  clear: Clear,
  'cluster:status': ClusterStatus,
  create: Create,
  'daemon:fence': DaemonFence,
  'daemon:install-unit': DaemonInstallUnit,
  'daemon:run': DaemonRun,
  'daemon:start': DaemonStart,
  'daemon:status': DaemonStatus,
  'daemon:stop': DaemonStop,
  delete: Delete,
  drivers: Drivers,
  freeze: Freeze,
  get: Get,
  giveback: Giveback,
  ls: Ls,
  get plugins() {
    return loadPluginsCommands().Plugins
  },
  get 'plugins:install'() {
    return loadPluginsCommands().Install
  },
  'print:config': PrintConfig,
  'print:schema': PrintSchema,
  'print:status': PrintStatus,
  provision: Provision,
  restart: Restart,
  set: Set,
  start: Start,
  stop: Stop,
  switch: Switch,
  takeover: Takeover,
  thaw: Thaw,
  unprovision: Unprovision,
  unset: Unset,
  validate: Validate,
  'validate:config': ValidateConfig,
}

/** Runs the CLI on these arguments (the process's, after the command name moves first). */
export async function run(argv: readonly string[], dir: string): Promise<void> {
  await execute({dir, args: moveLeadingServiceFlag(argv)})
}
