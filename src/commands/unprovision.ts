import {ActionCommand} from '../cli/action-command.js'

export default class Unprovision extends ActionCommand {
  static description = 'Stop then unprovision the resources (remove containers...).'
  static action = 'unprovision' as const
  static examples = [
    '<%= config.bin %> -s svc2 unprovision',
    '<%= config.bin %> -s svc2 unprovision --rid container#3',
    '<%= config.bin %> -s svc2 unprovision --dry-run',
  ]
}
