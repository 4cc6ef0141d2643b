import {ServiceCommand} from '../cli/base.js'
import {parseWaitlock, waitlockFlag} from '../cli/action-command.js'
import {clearService} from '../services/clear.js'

export default class Clear extends ServiceCommand {
  static description =
    'Clear the failed state the node agent left the instance in (its restarts exhausted): back to idle, restarts reset, watched again. On an instance that is not failed, says so and changes nothing. Under the service lock: refused while an action runs, unless --waitlock.'
  static examples = ['<%= config.bin %> -s svc2 clear', '<%= config.bin %> -s svc2 clear && svcmgr -s svc2 start']
  static flags = {
    waitlock: waitlockFlag('an action running on this service'),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Clear)
    const r = await clearService(await this.session(), flags.service, parseWaitlock(flags.waitlock))
    if (flags.format === 'json') this.printJson(r)
    else if (!r.cleared) this.log(`${r.service} is not failed (monitor state ${r.was}): nothing to clear`)
    else
      this.log(
        r.was === 'unreadable'
          ? `${r.service}: an unreadable monitor state was replaced by idle`
          : `${r.service}: failed state cleared (was: ${r.reason ?? 'no reason recorded'}); restarts reset`,
      )
  }
}
