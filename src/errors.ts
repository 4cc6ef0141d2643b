/**
 * svcmgr's errors, in one place: each carries the exit code a command ends with when it
 * reaches the command (src/cli/base.ts). Scripts rely on the codes: 0 done, 1 the action
 * failed or the lock could not be taken, 2 bad usage or an invalid config (nothing changed),
 * 3 a saved plan that no longer matches the config or the observed state (nothing changed),
 * 4 (`--detailed-exitcode` on a dry-run only) changes pending, 128 + n interrupted by a signal (SIGHUP 129, SIGINT 130, SIGTERM 143: ./services/interrupts.ts).
 * No imports at run time: any layer may throw these. Plugins do not: src/index.ts stays types
 * only, a driver's throw is its task's failure (exit 1) and its keyword problems are check()
 * sentences that the core turns into a ConfigError (exit 2).
 */
import type {RunResult} from './drivers/api.js'

export const EXIT = {ok: 0, failed: 1, usage: 2, stale: 3, pending: 4} as const

/** The base of svcmgr's errors; an error of another kind ends a command with EXIT.failed. */
export class SvcmgrError extends Error {
  readonly exitCode: number = EXIT.failed
}

/** Exit code 2: a flag, argument or service name that cannot be used; nothing was done. */
export class UsageError extends SvcmgrError {
  override readonly exitCode: number = EXIT.usage
}

/** Exit code 2: svcmgr's own settings file or environment holds an unknown setting or a bad value. */
export class SettingsError extends SvcmgrError {
  override readonly exitCode: number = EXIT.usage
}

/** Exit code 2: INI text that does not read as configparser reads it, or that a config file cannot hold. */
export class IniSyntaxError extends SvcmgrError {
  override readonly exitCode: number = EXIT.usage
}

/** Exit code 2: a config document (INI or JSON) that is not one: empty, duplicate keys, a bad JSON shape. */
export class ConfigFormatError extends SvcmgrError {
  override readonly exitCode: number = EXIT.usage
}

/** Exit code 2: a config that does not validate against the drivers' manifests; every problem names section.keyword. */
export class ConfigError extends SvcmgrError {
  override readonly exitCode: number = EXIT.usage
  constructor(readonly problems: readonly string[]) {
    super(
      problems.length === 1
        ? problems[0]
        : `${problems.length} problems in the configuration:\n  ${problems.join('\n  ')}`,
    )
  }
}

/** Exit code 2: no plan can be made (a dependency cycle, a selection that matches nothing). */
export class PlanError extends SvcmgrError {
  override readonly exitCode: number = EXIT.usage
}

/**
 * Exit code 3: a saved plan (`svcmgr apply plan.json`) made from a config or an observed state
 * that differs now; the message names the resource and what changed. Nothing was done.
 */
export class StalePlanError extends SvcmgrError {
  override readonly exitCode: number = EXIT.stale
}

/** Exit code 1: the service lock is held by someone else past the wait. */
export class LockError extends SvcmgrError {}

/** Exit code 1: the node agent could not be started or stopped as asked (or already runs); its state is said. */
export class AgentError extends SvcmgrError {}

/** Exit code 1: a stop of sections that cannot be understood: their state is unknown, nothing is claimed stopped. */
export class NotUnderstoodError extends SvcmgrError {}

/** Exit code 1: the config changed while the action waited for the lock; nothing was done. */
export class ConfigChangedError extends SvcmgrError {}

/** Exit code 1: a command run by a driver (ctx.run) failed, timed out or exited with a code it did not accept. */
export class CommandError extends SvcmgrError {
  constructor(
    message: string,
    readonly result?: RunResult,
  ) {
    super(message)
  }
}

/** Exit code 1: a driver's ctx.waitFor timed out or was interrupted. */
export class WaitTimeoutError extends SvcmgrError {}

/** Exit code 1: a cluster request refused for the cluster's state (frozen, a target node whose agent is not alive); nothing written. */
export class ClusterStateError extends SvcmgrError {}

/**
 * An action that did not do all its work, already reported (done, not done, rolled back): it
 * only carries the exit code, 1 or 128 + the number of the signal that interrupted it.
 */
export class ActionFailedError extends SvcmgrError {
  constructor(
    message: string,
    override readonly exitCode: number = EXIT.failed,
  ) {
    super(message)
  }
}

/**
 * The exit code an error ends a command with. By class, not by an `exitCode` property alone: a
 * child process' error (execa's) has one too, and a failed `docker` must not become exit 125.
 */
export function exitCodeOf(error: unknown): number {
  return error instanceof SvcmgrError ? error.exitCode : EXIT.failed
}
