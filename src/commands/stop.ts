import {ActionCommand} from '../cli/action-command.js'

export default class Stop extends ActionCommand {
  static description = "Stop the service's resources, in reverse start order."
  static action = 'stop' as const
  static examples = [
    '<%= config.bin %> -s svc2 stop',
    '<%= config.bin %> -s svc2 stop --rid container#3',
    '<%= config.bin %> -s svc2 stop --dry-run',
  ]
}
