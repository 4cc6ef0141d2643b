#!/usr/bin/env node
// svcmgr's entry point. OpenSVC users write the service first (`svcmgr -s svc2 start`):
// oclif needs the command first, so leading service options move after it (src/main.ts).
// The signal handlers come before the CLI bundle loads: a signal while it loads exits with 128+n too.
// A plain `print status`, action or apply runs without oclif when nothing installed could change it
// (src/cli/lean-status.ts, script bundles lean.script.js and lean-actions.script.js run with a code
// cache: src/cli/cached-script.ts); everything else goes to oclif. This file is not the bundle: oclif
// imports the bundle for its commands and hooks, which must not wait on this module's top-level await.
import * as interrupts from '../dist/bundle/interrupts.mjs'
import {codeCacheDir, runCachedScript, saveAtExit, svcmgrCacheDir} from '../dist/bundle/cached-script.mjs'

interrupts.installInterruptHandlers()
// built-in modules as CommonJS: an ES module import of each goes through the ES loader (see
// scripts/bundle.mjs, which does the same in the bundles)
const module = process.getBuiltinModule('node:module')
const os = process.getBuiltinModule('node:os')
const path = process.getBuiltinModule('node:path')
// V8's code cache on disk for the ES modules (Node >= 22.1; absent on Node 20, where this does
// nothing), in the user's own cache folder (oclif's cacheDir), not Node's default under the shared /tmp
module.enableCompileCache?.(path.join(svcmgrCacheDir(process.env, os.homedir()), 'compile-cache'))
const argv = process.argv.slice(2)
const LEAN_ACTIONS = new Set(['start', 'stop', 'restart', 'provision', 'unprovision', 'apply', 'validate'])
const root = new URL('..', import.meta.url).pathname
// lean.script.js (print status) and lean-actions.script.js (a plain action, src/cli/lean-action.ts,
// apply, lean-apply.ts, or validate, lean-validate.ts) are bundles of their own: only a command
// that may be one of theirs runs one; each declines what is not plainly its own. They share this
// process's interrupt state (interrupts.mjs, loaded above), and their caches' folder.
function runLean(name) {
  const script = runCachedScript(path.join(root, 'dist/bundle', `${name}.script.js`), {
    cacheDir: codeCacheDir(process.env, os.homedir()),
    modules: {'./interrupts.mjs': interrupts},
  })
  saveAtExit(script)
  return script.exports.runLeanStatus(argv, root)
}
let done = false
if (argv.includes('print') && argv.includes('status')) done = await runLean('lean')
if (!done && argv.some(a => LEAN_ACTIONS.has(a))) done = await runLean('lean-actions')
if (!done) {
  const {run} = await import('../dist/bundle/svcmgr.mjs')
  await run(argv, import.meta.url)
}
