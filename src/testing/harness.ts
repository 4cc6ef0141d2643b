/**
 * A driver test harness: compiles a service config against given driver registrations and
 * runs single driver operations for real, with the core's own contexts. No engine is faked:
 * drivers talk to whatever real system they manage. Exported as `svcmgr/testing`, with the
 * config helpers of ./compile.ts.
 */
import os from 'node:os'
import path from 'node:path'
import type {ChangeResult, HostKit, ResourceStatus, StepAction} from '../drivers/api.js'
import {commandRunner, createActionContext, createDriverContext, type ContextShared} from '../drivers/context.js'
import {createHostKit} from '../drivers/host.js'
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
  act(
    rid: string,
    action: StepAction,
    options?: {force?: boolean},
  ): Promise<{change: ChangeResult; undo: Array<{description: string; fn: () => Promise<void>}>}>
  messages(rid?: string): string[]
  /**
   * What follows is another command: a new per-command cache (ctx.cache), as a new CLI process
   * has; the calls before shared one, as one command's resources do.
   */
  newCommand(): void
}

export function createDriverHarness(options: HarnessOptions): DriverHarness {
  const name = options.name ?? 'svc'
  const root = options.root ?? path.join(os.tmpdir(), `svcmgr-harness-${process.pid}`)
  const service = compileConfig(options.config, options.registrations, {
    name,
    nodename: options.nodename ?? os.hostname(),
    varDir: path.join(root, 'var', name),
  })
  const collector = new EventCollector()
  let shared: ContextShared = {
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
      const ctx = createActionContext(shared, r, action, opts.force ?? false, {
        undo: (description, fn) => undo.push({description, fn}),
      })
      const op = r.driver[action]
      if (!op) throw new Error(`${r.group}.${r.type} has no ${action}`)
      const change = await op.call(r.driver, ctx)
      return {change, undo}
    },
    messages: rid => collector.events.filter(e => rid === undefined || e.rid === rid).map(e => e.message),
    newCommand() {
      shared = {...shared, cache: new Map()}
    },
  }
}

/** The kit's host helpers as a plugin command gets them (its device probe runs quiet, with no deadline but its own). */
export function testHostKit(): HostKit {
  const silent = () => undefined
  return createHostKit(
    commandRunner({info: silent, warn: silent, error: silent, debug: silent}, () => new AbortController().signal),
  )
}

export {compileConfig, configProblems, printedConfig, registryOf, resourceEdges, type Registrations} from './compile.js'
// what a plugin's package.json `svcmgrPlugin.serves` must say: a test compares the two
export {servesOf, type PluginServes} from '../drivers/serves.js'

// What driver tests use beyond one driver: documents, a registry, plans and their text, a whole
// plan run, a context of a compiled service's resource, and the kit's host helpers themselves.
// A plugin's tests import these from 'svcmgr/testing', never from the core's files.
export {compileService, normalizeDocument} from '../config/compile.js'
export {documentToIni, parseDocument} from '../config/document.js'
export {DriverRegistry} from '../drivers/registry.js'
export {createDriverContext, type ContextShared} from '../drivers/context.js'
export {createHostKit, formatWords as formatCommandLine} from '../drivers/host.js'
export {buildPlan} from '../planner/plan.js'
export type {Plan} from '../planner/types.js'
export {formatPlanText} from '../render/plan-text.js'
// what --dry-run and the log show of a plan: its secret keyword values masked
export {maskPlan, secretMasker} from '../log/mask.js'
export {executePlan} from '../executor/execute.js'
export {EventCollector, type ActionEvent} from '../log/events.js'
export type {Service, ServiceResource} from '../model/service.js'
