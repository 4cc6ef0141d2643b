/** Gathers the drivers every installed plugin provides through the `svcmgr:drivers` hook. */
import type {Hook, Interfaces} from '@oclif/core'
import {DRIVER_API_VERSION} from './api.js'
import {DriverRegistry} from './registry.js'
import type {SvcmgrHooks} from './hook.js'

export async function loadDriverRegistry(config: Interfaces.Config): Promise<DriverRegistry> {
  const registry = new DriverRegistry()
  const result = (await config.runHook('svcmgr:drivers', {apiVersion: DRIVER_API_VERSION})) as Hook.Result<SvcmgrHooks['svcmgr:drivers']['return']>
  for (const s of result.successes) {
    // plugins without a handler for this hook do not appear; a handler returning nothing is a bug worth naming
    registry.add(s.plugin.name, s.result)
  }
  for (const f of result.failures) {
    registry.problems.push({plugin: f.plugin.name, message: f.error instanceof Error ? f.error.message : String(f.error)})
  }
  return registry
}
