#!/usr/bin/env node
// svcmgr's entry point. OpenSVC users write the service first (`svcmgr -s svc2 start`):
// oclif needs the command first, so leading service options move after it (src/main.ts).
// The signal handlers come before the CLI bundle loads: a signal while it loads exits with 128+n too.
// A plain `print status`, action or apply runs without oclif when nothing installed could change it
// (src/cli/lean-status.ts, bundles lean.mjs and lean-actions.mjs); everything else goes to oclif. This file is not the bundle: oclif
// imports the bundle for its commands and hooks, which must not wait on this module's top-level await.
import {installInterruptHandlers} from '../dist/bundle/interrupts.mjs'

installInterruptHandlers()
// built-in modules as CommonJS: an ES module import of each goes through the ES loader (see
// scripts/bundle.mjs, which does the same in the bundles)
const module = process.getBuiltinModule('node:module')
const os = process.getBuiltinModule('node:os')
const path = process.getBuiltinModule('node:path')
// V8's code cache on disk (Node >= 22.1; absent on Node 20, where this does nothing), in the
// user's own cache folder (oclif's cacheDir), not Node's default under the shared /tmp
module.enableCompileCache?.(
  path.join(
    process.env.SVCMGR_CACHE_DIR ||
      path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'svcmgr'),
    'compile-cache',
  ),
)
const argv = process.argv.slice(2)
const LEAN_ACTIONS = new Set(['start', 'stop', 'restart', 'provision', 'unprovision', 'apply', 'validate'])
const root = new URL('..', import.meta.url).pathname
// lean.mjs (print status) and lean-actions.mjs (a plain action, src/cli/lean-action.ts, apply,
// lean-apply.ts, or validate, lean-validate.ts) are bundles of their own (no chunk shared with
// svcmgr.mjs): only a command that may be one of theirs loads one; each declines what is not
// plainly its own
let done = false
if (argv.includes('print') && argv.includes('status'))
  done = await (await import('../dist/bundle/lean.mjs')).runLeanStatus(argv, root)
if (!done && argv.some(a => LEAN_ACTIONS.has(a)))
  done = await (await import('../dist/bundle/lean-actions.mjs')).runLeanStatus(argv, root)
if (!done) {
  const {run} = await import('../dist/bundle/svcmgr.mjs')
  await run(argv, import.meta.url)
}
