/** The JSON Schema of service configs, from the installed drivers' manifests. */
import {buildConfigSchema} from '../schema/config-schema.js'
import type {Session} from './session.js'

export async function configSchema(session: Session): Promise<ReturnType<typeof buildConfigSchema>> {
  const registry = await session.registry()
  return buildConfigSchema({drivers: registry.drivers(), defaultKeywords: registry.defaultKeywords})
}
