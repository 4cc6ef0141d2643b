/** The exit codes of every command, as `svcmgr apply --help` and the README list them (test/unit/exit-codes.test.ts keeps them agreeing with src/errors.ts). */
export const EXIT_CODES_HELP = `Exit codes:
  0  done, or already in sync (--dry-run: the plan was made)
  1  the action failed (rolled back as start does) or the lock could not be taken
  2  usage or config error: nothing changed
  3  stale plan: the stored config or the observed state differs from the saved plan's: nothing changed
  4  --detailed-exitcode with --dry-run (apply or an action): changes pending (0 then means no changes)
  129/130/143  interrupted by SIGHUP/SIGINT/SIGTERM (after the rollback)`
