/** Commands whose arguments pass through: the service flag goes right after the command word. */
const PASS_THROUGH = new Set(['docker'])

/**
 * `svcmgr -s svc2 print config` → `svcmgr print config -s svc2`.
 * Only options before the first word move; they go before a `--` if there is one, so
 * pass-through arguments (`svcmgr -s svc2 docker -- ps -s`) stay untouched.
 */
export function moveLeadingServiceFlag(argv: readonly string[]): string[] {
  const moved: string[] = []
  let i = 0
  while (i < argv.length) {
    const a = argv[i]
    if (a === '-s' || a === '--service') {
      if (i + 1 >= argv.length) break
      moved.push(a, argv[i + 1])
      i += 2
    } else if (a.startsWith('--service=') || (a.startsWith('-s') && a.length > 2 && !a.startsWith('--'))) {
      moved.push(a)
      i += 1
    } else {
      break
    }
  }
  if (moved.length === 0) return [...argv]
  const rest = argv.slice(i)
  if (PASS_THROUGH.has(rest[0])) return [rest[0], ...moved, ...rest.slice(1)]
  const dashdash = rest.indexOf('--')
  return dashdash === -1 ? [...rest, ...moved] : [...rest.slice(0, dashdash), ...moved, ...rest.slice(dashdash)]
}
