#!/usr/bin/env node
// svcmgr's entry point. OpenSVC users write the service first (`svcmgr -s svc2 start`):
// oclif needs the command first, so leading service options move after it.
import {execute} from '@oclif/core'
import {moveLeadingServiceFlag} from '../dist/cli/argv.js'

await execute({dir: import.meta.url, args: moveLeadingServiceFlag(process.argv.slice(2))})
