/**
 * The commands of the runner (./context.ts) each lead a process group of their own, so that a
 * timeout, an abort or svcmgr's exit ends what a command started too (a `sh -c` probe's
 * `sleep`, a check script's pipeline), not only the command: a signal to the command alone left
 * its children running, and holding the output pipes, which kept the runner waiting past its
 * deadline.
 */

/** The groups of the commands still running. */
const running = new Set<number>()
let exitHooked = false

/** Signals every process of the group led by `pid`; nothing when it is gone. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // the group is gone (or was never made: the command did not start)
  }
}

/**
 * Tracks a running command's group until `settled`: if svcmgr exits meanwhile (an interrupt
 * that does not wait for it), the group is killed on the way out, as execa's cleanup killed the
 * command when it shared svcmgr's group.
 */
export function trackGroup(pid: number, settled: Promise<unknown>): void {
  if (!exitHooked) {
    exitHooked = true
    process.on('exit', () => {
      for (const group of running) signalGroup(group, 'SIGKILL')
    })
  }
  running.add(pid)
  void settled.finally(() => running.delete(pid))
}
