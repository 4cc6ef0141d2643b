/**
 * A driver test harness: compiles a service config against given driver registrations and
 * runs single driver operations for real, with the core's own contexts. No engine is faked:
 * drivers talk to whatever real system they manage. Exported as `svcmgr/testing`, with the
 * config helpers of ./compile.ts.
 */
import os from 'node:os'
import path from 'node:path'
import type {ChangeResult, ResourceStatus, StepAction} from '../drivers/api.js'
import {createActionContext, createDriverContext, type ContextShared} from '../drivers/context.js'
import {compileConfig, type Registrations} from './compile.js'
import {type ActionEvent, EventCollector} from '../log/events.js'
import type {Service} from '../model/service.js'

export interface HarnessOptions {
  /** The service config, as INI or JSON text, or a JSON object. */
  readonly config: string | object
  readonly registrations: Registrations
  readonly name?: string
  readonly nodename?: string
  /** State root; a fresh temp folder when absent. */
  readonly root?: string
  readonly dockerHost?: string
}

export interface DriverHarness {
  readonly service: Service
  readonly events: ActionEvent[]
  status(rid: string): Promise<ResourceStatus>
  /** Runs one action; returns its result and the undo steps it registered (run them with undoAll). */
  act(rid: string, action: StepAction, options?: {force?: boolean}): Promise<{change: ChangeResult; undo: Array<{description: string; fn: () => Promise<void>}>}>
  messages(rid?: string): string[]
}

export function createDriverHarness(options: HarnessOptions): DriverHarness {
  const name = options.name ?? 'svc'
  const root = options.root ?? path.join(os.tmpdir(), `svcmgr-harness-${process.pid}`)
  const service = compileConfig(options.config, options.registrations, {name, nodename: options.nodename ?? os.hostname(), varDir: path.join(root, 'var', name)})
  const collector = new EventCollector()
  const shared: ContextShared = {
    service,
    settings: {root, nodename: service.nodename, dockerHost: options.dockerHost ?? process.env.DOCKER_HOST},
    sink: collector,
    signal: new AbortController().signal,
    cache: new Map(),
  }
  const resource = (rid: string) => {
    const r = service.resource(rid)
    if (!r) throw new Error(`no resource ${rid} in the harness service`)
    return r
  }
  return {
    service,
    events: collector.events,
    status: rid => resource(rid).driver.status(createDriverContext(shared, resource(rid))),
    async act(rid, action, opts = {}) {
      const r = resource(rid)
      const undo: Array<{description: string; fn: () => Promise<void>}> = []
      const ctx = createActionContext(shared, r, action, opts.force ?? false, {undo: (description, fn) => undo.push({description, fn})})
      const op = r.driver[action]
      if (!op) throw new Error(`${r.group}.${r.type} has no ${action}`)
      const change = await op.call(r.driver, ctx)
      return {change, undo}
    },
    messages: rid => collector.events.filter(e => rid === undefined || e.rid === rid).map(e => e.message),
  }
}

export {compileConfig, configProblems, printedConfig, registryOf, resourceEdges, type Registrations} from './compile.js'
