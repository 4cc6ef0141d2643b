/**
 * The systemd unit of the node agent: `svcmgr daemon install-unit` writes it, docs/agent.md
 * shows it (made by this same function from DOCS_UNIT_EXAMPLE; a unit test checks the two
 * agree). ExecStart names the node binary and svcmgr's bin/run.js by absolute path: systemd's
 * PATH need not hold the node that installed svcmgr (nvm, a tarball in /opt).
 */
import {UsageError} from '../errors.js'

export interface UnitParameters {
  /** The node binary (process.execPath of the svcmgr that writes the unit). */
  readonly node: string
  /** svcmgr's entry point, bin/run.js, absolute. */
  readonly script: string
  /** Environment= lines (SVCMGR_ROOT, SVCMGR_CONFIG, DOCKER_HOST when the writer had them). */
  readonly environment: Readonly<Record<string, string>>
}

/** The values docs/agent.md shows the unit with: a global npm install, run as root with the default root. */
export const DOCS_UNIT_EXAMPLE: UnitParameters = {
  node: '/usr/bin/node',
  script: '/usr/lib/node_modules/svcmgr/bin/run.js',
  environment: {},
}

export const DEFAULT_UNIT_PATH = '/etc/systemd/system/svcmgr.service'

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/

function refuseControl(what: string, value: string): void {
  if (CONTROL.test(value))
    throw new UsageError(
      `${what}: a unit file cannot hold ${JSON.stringify(value)} (a control character or line break)`,
    )
}

/**
 * One word of ExecStart as systemd reads it back: `%` is a specifier (`%%`), `$` an
 * environment reference (`$$`), whitespace, quotes and backslashes need a quoted word.
 */
export function unitCommandWord(word: string): string {
  refuseControl('ExecStart', word)
  const escaped = word.replaceAll('%', '%%').replaceAll('$', '$$$$')
  if (word !== '' && /^[A-Za-z0-9_@+=:,./-]+$/.test(word.replaceAll('%', '').replaceAll('$', ''))) return escaped
  return `"${escaped.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}

/** An Environment= assignment, quoted when it must be (Environment= expands specifiers, not variables). */
export function unitEnvironment(name: string, value: string): string {
  refuseControl(`Environment ${name}`, value)
  const assignment = `${name}=${value}`.replaceAll('%', '%%')
  return /[\s"'\\]/.test(assignment) ? `"${assignment.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"` : assignment
}

export function systemdUnit(p: UnitParameters): string {
  const env = Object.entries(p.environment).map(([k, v]) => `Environment=${unitEnvironment(k, v)}`)
  return [
    '# The svcmgr node agent (docs/agent.md), written by `svcmgr daemon install-unit`.',
    '[Unit]',
    'Description=svcmgr node agent: watches and restarts local services',
    'Wants=network-online.target',
    'After=network-online.target docker.service',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${[p.node, p.script, 'daemon', 'run'].map(unitCommandWord).join(' ')}`,
    ...env,
    'Restart=always',
    'RestartSec=2',
    // stopping the agent stops the agent only: a private dockerd or an app it started for a
    // service stays up (the default control-group mode would kill everything in the unit's cgroup)
    'KillMode=process',
    // the agent ends its current action (under the service lock) before exiting on SIGTERM
    'TimeoutStopSec=120',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n')
}
