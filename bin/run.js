#!/usr/bin/env node
// svcmgr's entry point. OpenSVC users write the service first (`svcmgr -s svc2 start`):
// oclif needs the command first, so leading service options move after it.
// The signal handlers come before oclif loads: a signal while it loads exits with 128+n too.
import {installInterruptHandlers} from '../dist/services/interrupts.js'

installInterruptHandlers()
const {execute} = await import('@oclif/core')
const {moveLeadingServiceFlag} = await import('../dist/cli/argv.js')
await execute({dir: import.meta.url, args: moveLeadingServiceFlag(process.argv.slice(2))})
