/**
 * `svcmgr daemon run`: the node agent (src/agent) in the foreground, its lines on stderr. For
 * its whole life the process's interrupt scope is the agent's: the first SIGTERM/SIGINT/SIGHUP
 * stops it (an action in progress finishes first), a second one interrupts that action.
 */
import {runAgent} from '../agent/agent.js'
import {RunEventHub} from '../log/run-events.js'
import {LinesView} from '../render/renderer.js'
import {enterInterruptScope} from './interrupts.js'
import type {Session} from './session.js'

/** `script`: svcmgr's bin/run.js, absolute (the agent's fence is spawned from it). */
export async function runDaemon(session: Session, o: {script: string}): Promise<void> {
  const scope = enterInterruptScope({
    first: signal =>
      `svcmgr: ${signal} received: the agent stops; an action in progress finishes first (SIGINT or SIGTERM again interrupts it)`,
    second: signal => `svcmgr: second signal (${signal}): the action in progress is interrupted`,
  })
  const lines = new LinesView(session.settings.logLevel, line => process.stderr.write(line + '\n'))
  try {
    await runAgent(session, {
      stop: scope.abort,
      interrupt: scope.cut,
      script: o.script,
      // the run events of each action (src/log/run-events.ts), shown as lines
      view: (service, action) => new RunEventHub({node: session.settings.nodename, service, action}).subscribe(lines),
    })
  } finally {
    scope.close()
  }
}
