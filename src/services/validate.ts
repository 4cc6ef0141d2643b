/** Checks a config (a service's stored one, or a file) as an action would, without touching the host or any engine. */
import path from 'node:path'
import {parseDocument} from '../config/document.js'
import {ConfigError} from '../errors.js'
import type {Service} from '../model/service.js'
import {buildPlan} from '../planner/plan.js'
import {readConfigInput} from './config-edit.js'
import type {Session} from './session.js'

export interface ValidateRequest {
  /** The service whose stored config to check. */
  readonly service?: string
  /** A config file to check instead (- for standard input). */
  readonly config?: string
}

export interface Validated {
  readonly name: string
  readonly service: Service
}

/** Throws ConfigError (exit 2) naming section.keyword; dependency cycles are config problems too. */
export async function validateConfig(session: Session, request: ValidateRequest): Promise<Validated> {
  // a file is named after itself ("svc2.json" → svc2) in messages
  const name =
    request.service ??
    (request.config && request.config !== '-' ? path.basename(request.config).replace(/\.[^.]*$/, '') : 'svc')
  const doc = request.config
    ? await (async () => {
        const input = await readConfigInput(request.config!)
        return parseDocument(input.text, name, input.origin)
      })()
    : session.store.read(name)
  // the plugins this config cannot need are not loaded (nothing changes once they are)
  session.skipFor([doc])
  const service = await session.compile(name, doc)
  try {
    // the order and its cycles, not the steps: describing 10,000 tasks was a third of a large validate
    buildPlan(service, 'start', {}, {describe: false})
  } catch (error) {
    throw new ConfigError([(error as Error).message])
  }
  return {name, service}
}
