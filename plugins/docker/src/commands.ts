/** The plugin's commands by id, for oclif's explicit command strategy (the bundle's dist/bundle/commands.mjs; package.json oclif.commands). */
import Docker from './commands/docker.js'
import EngineStart from './commands/engine/start.js'
import EngineStatus from './commands/engine/status.js'
import EngineStop from './commands/engine/stop.js'

export const COMMANDS = {
  docker: Docker,
  'engine:start': EngineStart,
  'engine:status': EngineStatus,
  'engine:stop': EngineStop,
}
