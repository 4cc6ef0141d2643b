import {ActionCommand, noWaitFlag} from '../cli/action-command.js'

export default class Restart extends ActionCommand {
  static description = 'Stop then start the selected resources (and those sharing their dependencies).'
  static flags = {...ActionCommand.flags, 'no-wait': noWaitFlag}
  static action = 'restart' as const
  static examples = [
    '<%= config.bin %> -s svc2 restart',
    '<%= config.bin %> -s svc2 restart --rid container#3',
    '<%= config.bin %> -s svc2 restart --dry-run',
  ]
}
