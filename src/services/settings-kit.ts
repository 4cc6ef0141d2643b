/** What a plugin command gets from the `svcmgr:settings` hook: the driver settings and the kit's host helpers. */
import type {DriverSettings, SettingsHookResult} from '../drivers/api.js'
import {commandRunner} from '../drivers/context.js'
import {createHostKit, formatWords} from '../drivers/host.js'

// a plugin command has no event log: the kit's probes run quiet, their failures are thrown
const SILENT = {info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined}
const NEVER = new AbortController().signal

export function settingsKit(settings: DriverSettings): SettingsHookResult {
  return {settings, host: createHostKit(commandRunner(SILENT, () => NEVER)), formatCommandLine: formatWords}
}
