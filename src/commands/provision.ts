import {ActionCommand} from '../cli/action-command.js'

export default class Provision extends ActionCommand {
  static description = 'Provision (pull images, create containers, make filesystems...) then start the resources.'
  static action = 'provision' as const
  static examples = [
    '<%= config.bin %> -s svc2 provision',
    '<%= config.bin %> -s svc2 provision --rid container#3',
    '<%= config.bin %> -s svc2 provision --dry-run',
  ]
}
