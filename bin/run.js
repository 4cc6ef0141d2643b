#!/usr/bin/env node
// svcmgr's entry point. OpenSVC users write the service first (`svcmgr -s svc2 start`):
// oclif needs the command first, so leading service options move after it (src/main.ts).
// The signal handlers come before the CLI bundle loads: a signal while it loads exits with 128+n too.
// A separate file from the bundle: oclif imports the bundle for its commands and hooks, which
// must not wait on this module's top-level await.
import {installInterruptHandlers} from '../dist/bundle/interrupts.mjs'

installInterruptHandlers()
const {run} = await import('../dist/bundle/svcmgr.mjs')
await run(process.argv.slice(2), import.meta.url)
