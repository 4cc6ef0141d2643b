import {spawn} from 'node:child_process'
import {Command, Flags} from '@oclif/core'
import type {SvcmgrHooks} from 'svcmgr'
import {pingAddress} from '../engine/address.js'
import {resolveEngine} from '../engine/client.js'

export default class Docker extends Command {
  static summary = "Run the docker CLI against a service's engine."
  static description = `Runs the real docker CLI with -H set to the engine the service's containers live in: its private dockerd when it has one (DEFAULT docker_data_dir or docker_daemon_private), else the shared engine svcmgr uses. Arguments pass through untouched, standard input and output are the terminal's, and docker's exit code is svcmgr's. Put docker's arguments after -- when one of them is -s.`
  static strict = false
  static flags = {
    service: Flags.string({char: 's', required: true, description: 'The service whose engine docker talks to.'}),
  }
  static examples = [
    '<%= config.bin %> -s svc2 docker ps -a',
    '<%= config.bin %> -s svc2 docker images',
    '<%= config.bin %> docker -s svc2 -- ps -s',
  ]

  async run(): Promise<void> {
    // oclif's parser refuses unknown flags even when not strict (`ps -a`): the arguments are
    // split here instead, and `flags` above only documents -s for --help
    const {service, args: argv} = splitDockerArgv(this.argv)
    if (!service)
      this.error(
        'Missing required flag service: svcmgr -s <service> docker ARGS... (or svcmgr docker -s <service> -- ARGS...)',
        {exit: 2},
      )
    const flags = {service}
    const result = await this.config.runHook<'svcmgr:service', SvcmgrHooks>('svcmgr:service', {service: flags.service})
    const failure = result.failures[0]
    if (failure) this.error(failure.error instanceof Error ? failure.error.message : String(failure.error), {exit: 1})
    const answer = result.successes[0]?.result
    if (!answer)
      this.error(
        'no plugin answered the svcmgr:service hook: this svcmgr core cannot load services for plugin commands',
        {exit: 1},
      )
    const engine = await resolveEngine(answer.service, answer.settings)
    if (engine.daemon && !(await pingAddress(engine.address)))
      this.warn(
        `the private docker daemon of ${flags.service} is not running (it starts with the service's first container): ${engine.address}`,
      )
    const args = ['-H', engine.address, ...argv]
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn('docker', args, {stdio: 'inherit'})
      child.on('error', e =>
        reject(
          (e as NodeJS.ErrnoException).code === 'ENOENT'
            ? new Error('the docker CLI is not installed: apt-get install docker.io')
            : e,
        ),
      )
      child.on('exit', (c, signal) => resolve(c ?? 128 + (signal ? signalNumber(signal) : 0)))
    }).catch(error => this.error((error as Error).message, {exit: 127}))
    if (code !== 0) this.exit(code)
  }
}

const isServiceFlag = (a: string) => a === '-s' || a === '--service'
const inlineService = (a: string) =>
  a.startsWith('--service=') ? a.slice('--service='.length) : /^-s[^-]/.test(a) ? a.slice(2) : undefined

/**
 * Splits `docker` command words into the service and docker's own arguments. The service
 * flag is taken before docker's arguments (`docker -s svc2 [--] ps -a`) or as the last words,
 * where svcmgr's entry point moves a leading one (`svcmgr -s svc2 docker ps -a` arrives as
 * `ps -a -s svc2`). Everything else reaches docker untouched, `-s` included (`ps -s`).
 */
export function splitDockerArgv(argv: readonly string[]): {service?: string; args: string[]} {
  let service: string | undefined
  let i = 0
  for (;;) {
    const a = argv[i]
    if (a === undefined) break
    if (isServiceFlag(a) && i + 1 < argv.length) {
      service = argv[i + 1]
      i += 2
    } else if (inlineService(a) !== undefined) {
      service = inlineService(a)
      i += 1
    } else break
  }
  let args = argv.slice(i)
  if (service === undefined) {
    const n = args.length
    if (n >= 2 && isServiceFlag(args[n - 2])) {
      service = args[n - 1]
      args = args.slice(0, n - 2)
    } else if (n >= 1 && args[n - 1].startsWith('--service=')) {
      service = inlineService(args[n - 1])
      args = args.slice(0, n - 1)
    }
  }
  if (args[0] === '--') args = args.slice(1)
  return {service, args}
}

function signalNumber(signal: NodeJS.Signals): number {
  const n = {SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13}[signal as string]
  return n ?? 1
}
