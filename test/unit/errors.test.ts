import {expect} from 'chai'
import {SvcmgrCommand} from '../../src/cli/base.js'
import * as errors from '../../src/errors.js'
import {ActionFailedError, EXIT, SvcmgrError, exitCodeOf} from '../../src/errors.js'
import {SIGNAL_EXIT_CODE} from '../../src/services/interrupts.js'

/** The exit code of each error class: what scripts read. A class added to errors.ts without a row here fails the first test. */
const EXPECTED: Record<string, number> = {
  SvcmgrError: 1,
  UsageError: 2,
  SettingsError: 2,
  IniSyntaxError: 2,
  ConfigFormatError: 2,
  ConfigError: 2,
  PlanError: 2,
  StalePlanError: 3,
  LockError: 1,
  AgentError: 1,
  NotUnderstoodError: 1,
  ConfigChangedError: 1,
  CommandError: 1,
  WaitTimeoutError: 1,
  ClusterStateError: 1,
  ActionFailedError: 1,
}

type ErrorClass = new (...args: never[]) => SvcmgrError

function errorClasses(): Array<[string, ErrorClass]> {
  const isErrorClass = (value: unknown): value is ErrorClass =>
    typeof value === 'function' && (value === SvcmgrError || value.prototype instanceof SvcmgrError)
  return Object.entries(errors as Record<string, unknown>).flatMap(([name, value]): Array<[string, ErrorClass]> =>
    isErrorClass(value) ? [[name, value]] : [],
  )
}

function instance(name: string, E: ErrorClass): SvcmgrError {
  // ConfigError takes its list of problems; the others a message
  return name === 'ConfigError'
    ? new (E as unknown as typeof errors.ConfigError)(['container#1.image: required'])
    : new (E as unknown as new (m: string) => SvcmgrError)('boom')
}

/** A command whose catch can be called in-process: oclif's exit() throws its ExitError carrying the code. */
class Probe extends SvcmgrCommand {
  readonly stderr: string[] = []
  async run(): Promise<void> {}
  logToStderr(message = ''): void {
    this.stderr.push(message)
  }
}

async function caughtExitCode(error: Error): Promise<{code: number; stderr: string[]}> {
  const probe = new Probe([], {} as never)
  try {
    await probe.catch(error)
  } catch (exit) {
    return {code: (exit as {oclif: {exit: number}}).oclif.exit, stderr: probe.stderr}
  }
  throw new Error('catch() did not exit')
}

describe('errors: each class carries its exit code', () => {
  it('every class exported by src/errors.ts has its row, and carries that code', () => {
    const classes = errorClasses()
    expect(classes.map(([n]) => n).sort()).to.deep.equal(Object.keys(EXPECTED).sort())
    for (const [name, E] of classes) {
      const e = instance(name, E)
      expect(e, name).to.be.instanceOf(Error)
      expect(e.exitCode, name).to.equal(EXPECTED[name])
      expect(exitCodeOf(e), name).to.equal(EXPECTED[name])
    }
  })

  it('ConfigError lists its problems in its message', () => {
    expect(new errors.ConfigError(['a.b: x']).message).to.equal('a.b: x')
    expect(new errors.ConfigError(['a.b: x', 'c.d: y']).message).to.equal(
      '2 problems in the configuration:\n  a.b: x\n  c.d: y',
    )
  })

  it('ActionFailedError carries 1 or 128 + the signal number', () => {
    expect(new ActionFailedError('failed').exitCode).to.equal(EXIT.failed)
    for (const [signal, code] of Object.entries(SIGNAL_EXIT_CODE))
      expect(new ActionFailedError(`interrupted by ${signal}`, code).exitCode).to.equal(code)
    expect(SIGNAL_EXIT_CODE).to.deep.equal({SIGHUP: 129, SIGINT: 130, SIGTERM: 143})
  })

  it('an error of another kind is exit 1, even one with an exitCode of its own (a failed child process)', () => {
    expect(exitCodeOf(new Error('x'))).to.equal(1)
    expect(exitCodeOf(Object.assign(new Error('docker run: exit code 125'), {exitCode: 125}))).to.equal(1)
    expect(exitCodeOf('a string')).to.equal(1)
    expect(exitCodeOf(undefined)).to.equal(1)
  })

  it("the command base class ends with the error's code, and prints its message except for an already reported action", async () => {
    for (const [name, E] of errorClasses()) {
      const {code, stderr} = await caughtExitCode(instance(name, E))
      expect(code, name).to.equal(EXPECTED[name])
      if (name === 'ActionFailedError') expect(stderr, name).to.deep.equal([])
      else expect(stderr[0], name).to.match(/^svcmgr: /)
    }
    expect((await caughtExitCode(new ActionFailedError('interrupted by SIGTERM', 143))).code).to.equal(143)
    expect(await caughtExitCode(Object.assign(new Error('exit code 125'), {exitCode: 125}))).to.deep.equal({
      code: 1,
      stderr: ['svcmgr: exit code 125'],
    })
  })
})
