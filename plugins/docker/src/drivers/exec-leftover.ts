/**
 * An exec probe whose command outlived the probe's deadline: the engine has no call that stops
 * an exec, and closing the stream leaves the command running inside the container (a probe
 * every interval that hangs piles them up). Killed from this host, as `docker exec`'s own
 * users do, only when it is ours: the engine is on this host (its unix socket), the exec still
 * runs, and the pid it names runs exactly the probe's argument vector.
 */
import fs from 'node:fs'
import type Dockerode from 'dockerode'
import {parseAddress} from '../engine/address.js'
import {engineCall} from '../engine/calls.js'

/** How long the exec's read-back may take once the probe gave up (the engine is not the slow one). */
const INSPECT_MS = 2_000

/** What became of the command, as the rest of a sentence beginning "the command". */
export async function reapExec(exec: Dockerode.Exec, argv: readonly string[], address: string): Promise<string> {
  let info: Dockerode.ExecInspectInfo
  try {
    info = await engineCall(`docker exec inspect ${exec.id}`, address, {timeoutMs: INSPECT_MS}, abortSignal =>
      exec.inspect({abortSignal}),
    )
  } catch {
    return 'could not be read back (the engine did not answer): left running'
  }
  if (!info.Running || !info.Pid) return 'has exited since'
  if (parseAddress(address).kind !== 'unix') return `was left running: pid ${info.Pid} is on the engine's host`
  let cmdline: string
  try {
    cmdline = fs.readFileSync(`/proc/${info.Pid}/cmdline`, 'utf8')
  } catch {
    return 'has exited since'
  }
  if (cmdline !== `${argv.join('\0')}\0`) return `was left running: pid ${info.Pid} does not run it as probed`
  try {
    process.kill(info.Pid, 'SIGKILL')
  } catch {
    return 'has exited since'
  }
  return `was killed (pid ${info.Pid})`
}
