import {ActionCommand, noWaitFlag} from '../cli/action-command.js'

export default class Start extends ActionCommand {
  static description = "Start the service's resources, in order, rolling back on failure."
  static flags = {...ActionCommand.flags, 'no-wait': noWaitFlag}
  static action = 'start' as const
  static examples = [
    '<%= config.bin %> -s svc2 start',
    '<%= config.bin %> -s svc2 start --rid container#3',
    '<%= config.bin %> -s svc2 start --dry-run',
    '<%= config.bin %> -s svc2 start --no-wait',
  ]
}
