/**
 * The keyword manifest of the app drivers: OpenSVC's [app#N] keywords that svcmgr implements.
 * Command keywords are `list`s: the core splits them like a shell splits words (quotes,
 * backslashes, no expansion) and the driver runs the words as an argument vector. A shell
 * runs only when the value names one: start = /bin/sh -c "exec mydaemon >log 2>&1 &".
 */
import type {KeywordManifest, KeywordSpec, KeywordsOf} from 'svcmgr'

const absolutePath = (v: string) => (v.trim().startsWith('/') ? undefined : 'an absolute path')

const ENV_ENTRY = /^[A-Za-z_][A-Za-z0-9_]*=/

/** Checks `environment`: each word KEY=VALUE. The core gives the parsed words; a core older than that only the raw text. */
function checkEnvironment(raw: string, parsed?: unknown): string | undefined {
  const words = Array.isArray(parsed)
    ? (parsed as string[])
    : (raw.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? []).map(w => w.replace(/^["']/, ''))
  const bad = words.find(w => !ENV_ENTRY.test(w))
  return bad === undefined ? undefined : `KEY=VALUE words (got ${JSON.stringify(bad)})`
}

const USER_NAME = /^(?:[a-z_][a-z0-9_.-]*\$?|\d+)$/i

/** prlimit's resource option of each limit_* keyword, with its value type. */
export const LIMITS = [
  {keyword: 'limit_as', option: '--as', type: 'size', help: 'address space'},
  {keyword: 'limit_core', option: '--core', type: 'size', help: 'core file size'},
  {keyword: 'limit_cpu', option: '--cpu', type: 'duration', help: 'CPU time (whole seconds)'},
  {keyword: 'limit_data', option: '--data', type: 'size', help: 'data segment size'},
  {keyword: 'limit_fsize', option: '--fsize', type: 'size', help: 'size of files written'},
  {keyword: 'limit_memlock', option: '--memlock', type: 'size', help: 'locked memory'},
  {keyword: 'limit_nofile', option: '--nofile', type: 'int', help: 'number of open files'},
  {keyword: 'limit_nproc', option: '--nproc', type: 'int', help: 'number of processes of the user'},
  {keyword: 'limit_rss', option: '--rss', type: 'size', help: 'resident set size'},
  {keyword: 'limit_stack', option: '--stack', type: 'size', help: 'stack size'},
] as const satisfies ReadonlyArray<{keyword: string; option: string; type: 'int' | 'size' | 'duration'; help: string}>

function commandKeyword<const N extends string>(name: N, help: string) {
  return {name, type: 'list', help} as const satisfies KeywordSpec
}

export function appKeywords(kind: 'forking' | 'simple') {
  const startHelp =
    kind === 'forking'
      ? 'The command starting the application, as shell-like words run without a shell. It must return once the application runs in the background (a daemon forks; a script ends with "mydaemon >log 2>&1 &"): svcmgr waits for it to exit and for its output to close.'
      : 'The command running the application in the foreground; svcmgr runs it detached, its output in <service var>/app/<index>.log and its pid in <index>.pid.'
  return [
    commandKeyword('start', startHelp),
    commandKeyword(
      'stop',
      kind === 'forking'
        ? 'The command stopping the application. Without it, stop does nothing.'
        : 'The command stopping the application. Without it, stop sends SIGTERM to the started process (SIGKILL after stop_timeout).',
    ),
    commandKeyword(
      'check',
      'The command telling whether the application runs: exit code 0 is up, 1 is down, any other is warn with its output in the status log. start is skipped when it says up, stop when it says down.' +
        (kind === 'simple'
          ? ' Without it, the started process being alive is up.'
          : ' Without it, the status is n/a and start and stop always run their commands.'),
    ),
    commandKeyword('info', 'A command whose output lines (KEY: VALUE) are shown in the status log.'),
    {name: 'timeout', type: 'duration', help: 'The default of start_timeout and stop_timeout.'},
    {name: 'start_timeout', type: 'duration', help: 'How long start may take (default: timeout, else 5m).'},
    {name: 'stop_timeout', type: 'duration', help: 'How long stop may take (default: timeout, else 5m).'},
    {
      name: 'check_timeout',
      type: 'duration',
      default: '10s',
      help: 'How long check may take; past it the status is warn.',
    },
    {name: 'info_timeout', type: 'duration', default: '10s', help: 'How long info may take.'},
    {name: 'cwd', help: 'The working folder of the commands (default: the service var folder).', check: absolutePath},
    {
      name: 'user',
      help: 'Run the commands as this user (name or uid; svcmgr must run as root), with its primary group, supplementary groups, HOME and USER.',
      check: v => (USER_NAME.test(v.trim()) ? undefined : 'a user name or uid'),
    },
    {
      name: 'environment',
      type: 'list',
      secret: 'values',
      help: 'Variables set for the commands, as KEY=VALUE words (e.g. environment = LANG=C "OPTS=-x -y").',
      check: checkEnvironment,
    },
    ...LIMITS.map(
      l =>
        ({
          name: l.keyword,
          type: l.type,
          help: `The ${l.help} limit of the commands (soft and hard, set with prlimit).`,
        }) satisfies KeywordSpec,
    ),
  ] as const satisfies KeywordManifest
}

/** The parsed keywords a driver receives (durations in ms, sizes in bytes), derived from the manifest. */
export type AppKeywords = KeywordsOf<ReturnType<typeof appKeywords>>
