import {SvcmgrCommand} from '../../cli/base.js'
import {runFence} from '../../agent/fence-run.js'

/** Internal: the cluster agent spawns it (src/agent/fence.ts); hidden from help and the reference. */
export default class DaemonFence extends SvcmgrCommand {
  static hidden = true
  static description =
    "The cluster agent's watchdog (spawned by `svcmgr daemon run` with etcd set, not run by hand): stops the cluster services of this node when the agent's lease passes its local deadline without a renewal."

  async run(): Promise<void> {
    await this.parse(DaemonFence)
    await runFence(await this.session())
  }
}
