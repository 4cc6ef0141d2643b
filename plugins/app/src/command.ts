/**
 * From a command keyword to the argument vector that runs it: limits through prlimit, the
 * user through setpriv, the working folder through env -C, then the command's own words.
 * ctx.run() takes a cwd, a uid and a gid, but neither supplementary groups nor limits: these
 * standard util-linux and coreutils tools do all of it in the command line, so --dry-run shows
 * exactly what runs.
 */
import type {DriverContext, Resource} from 'svcmgr'
import {type AppKeywords, LIMITS} from './keywords.js'

export interface Invocation {
  readonly file: string
  readonly args: string[]
  /** Variables added to svcmgr's environment. */
  readonly env: Record<string, string>
}

export interface UserInfo {
  readonly name: string
  readonly uid: number
  readonly gid: number
  readonly home: string
}

export function environmentOf(kw: AppKeywords): Record<string, string> {
  const env: Record<string, string> = {}
  for (const entry of kw.environment ?? []) {
    const eq = entry.indexOf('=')
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1)
  }
  return env
}

/** The wrapper words in front of a command; `user` is resolved (uid, gid) for a real run, by name for a description. */
function wrappers(kw: AppKeywords, cwd: string, user: UserInfo | string | undefined): string[] {
  const words: string[] = []
  const limits = LIMITS.filter(l => kw[l.keyword] !== undefined).map(l => {
    const v = kw[l.keyword] as number
    const n = l.type === 'duration' ? Math.ceil(v / 1000) : v
    return `${l.option}=${n}`
  })
  if (limits.length > 0) words.push('prlimit', ...limits, '--')
  if (user !== undefined) {
    if (typeof user === 'string')
      words.push('setpriv', `--reuid=${user}`, `--regid=<${user}'s group>`, '--init-groups', '--')
    else words.push('setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--')
  }
  words.push('env', '-C', cwd, '--')
  return words
}

export function defaultCwd(res: Resource<AppKeywords>, varDir: string): string {
  return res.kw.cwd ?? varDir
}

/** The invocation of a command keyword, for a real run. */
export function invocation(
  kw: AppKeywords,
  words: readonly string[],
  cwd: string,
  user: UserInfo | undefined,
): Invocation {
  const all = [...wrappers(kw, cwd, user), ...words]
  const env = {...(user ? {HOME: user.home, USER: user.name, LOGNAME: user.name} : {}), ...environmentOf(kw)}
  return {file: all[0], args: all.slice(1), env}
}

/** The command line of a command keyword, for --dry-run (pure: the user stays a name), quoted by the core's `format`. */
export function describeCommand(
  kw: AppKeywords,
  words: readonly string[],
  cwd: string,
  format: (words: readonly string[]) => string,
): string {
  const env = Object.entries(environmentOf(kw)).map(([k, v]) => `${k}=${v}`)
  const shown = [...wrappers(kw, cwd, kw.user), ...words]
  return (env.length > 0 ? `${format(env)} ` : '') + format(shown)
}

/** Resolves `user` with getent (names from any NSS source), memoized per command run. */
export async function resolveUser(ctx: DriverContext<AppKeywords>, user: string): Promise<UserInfo> {
  const key = `app:user:${user}`
  const hit = ctx.cache.get(key) as Promise<UserInfo> | undefined
  if (hit) return hit
  const p = (async () => {
    const r = await ctx.run('getent', ['passwd', user], {quiet: true, okExitCodes: [0, 2], timeout: 10_000})
    const fields = r.stdout.trim().split('\n')[0]?.split(':') ?? []
    if (r.exitCode !== 0 || fields.length < 7)
      throw new Error(`user: no user "${user}" on this node (getent passwd ${user})`)
    return {name: fields[0], uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5]}
  })()
  ctx.cache.set(key, p)
  p.catch(() => ctx.cache.delete(key))
  return p
}
