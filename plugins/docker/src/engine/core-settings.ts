/**
 * svcmgr's settings and the driver kit for the `engine` commands, from the core's
 * `svcmgr:settings` hook: the settings file's root and dockerHost apply to them as to the
 * services, so `svcmgr engine start` puts its socket where the services look for it.
 */
import type {Config} from '@oclif/core'
import type {SettingsHookResult, SvcmgrHooks} from 'svcmgr'
import {DEFAULT_ADDRESS, normalizeAddress} from './address.js'

/** The core could not give its settings (a bad settings file: its error's exit code, 2; no answer: 1). */
export class CoreSettingsError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message)
  }
}

export async function coreSettings(config: Config): Promise<SettingsHookResult> {
  const result = await config.runHook<'svcmgr:settings', SvcmgrHooks>('svcmgr:settings', {})
  const failure = result.failures[0]
  if (failure) {
    const code = (failure.error as {exitCode?: unknown}).exitCode
    throw new CoreSettingsError(
      failure.error instanceof Error ? failure.error.message : String(failure.error),
      typeof code === 'number' ? code : 1,
    )
  }
  const answer = result.successes[0]?.result
  if (!answer)
    throw new CoreSettingsError(
      'no plugin answered the svcmgr:settings hook: this svcmgr core cannot give its settings to plugin commands',
    )
  return answer
}

/** The engine svcmgr would use before its own: the dockerHost setting (or DOCKER_HOST), else the default socket. */
export function configuredAddress(settings: SettingsHookResult['settings']): string {
  return settings.dockerHost ? normalizeAddress(settings.dockerHost) : DEFAULT_ADDRESS
}
