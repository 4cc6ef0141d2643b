/**
 * The config an action acts on. `stop` of a service whose stored config no longer validates:
 * the sections that compile are stopped, the ones that cannot are never counted as stopped:
 * the action fails naming them. Every other action compiles strictly (an invalid config
 * refuses with exit 2). Once the lock is taken the config must still be the one planned from.
 */
import type {UnusableSection} from '../config/compile.js'
import {type ServiceDocument, documentToIni} from '../config/document.js'
import type {ExecutionResult} from '../executor/execute.js'
import type {Service} from '../model/service.js'
import type {Selection, ServiceAction} from '../planner/types.js'
import type {Session} from './session.js'
import {ConfigChangedError, NotUnderstoodError} from '../errors.js'

export interface ActionService {
  readonly service: Service
  /** The stored config as loaded, to check it did not change before the lock was taken. */
  readonly doc: ServiceDocument
  /** The selection without the sections that cannot be used. */
  readonly selection: Selection
  /** Selected sections that cannot be used: the action cannot have acted on them. */
  readonly unusable: readonly UnusableSection[]
}

function rawList(doc: ServiceDocument, rid: string, keyword: string): string[] {
  return (
    doc
      .find(s => s.name === rid)
      ?.entries.find(([k]) => k === keyword)?.[1]
      .split(/[\s,]+/)
      .filter(Boolean) ?? []
  )
}

function selects(doc: ServiceDocument, u: UnusableSection, selection: Selection): boolean {
  const {rids, tags, subsets} = selection
  if (rids && !rids.some(s => s === u.rid || s === u.group || s === `${u.group}.${u.type}`)) return false
  // tags and subsets as written: the section could not be compiled
  if (tags && !rawList(doc, u.rid, 'tags').some(t => tags.includes(t))) return false
  if (subsets && !rawList(doc, u.rid, 'subset').some(t => subsets.includes(t))) return false
  return true
}

export async function loadForAction(
  session: Session,
  name: string,
  action: ServiceAction,
  selection: Selection,
): Promise<ActionService> {
  if (action !== 'stop') return {...(await session.load(name)), selection, unusable: []}
  const {doc, service, unusable} = await session.loadLenient(name)
  const selected = unusable.filter(u => selects(doc, u, selection))
  const rids = selection.rids?.filter(s => !selected.some(u => s === u.rid))
  const described = selected.map(u => `${u.rid} (${u.problems.join('; ')})`).join(', ')
  // a selection of unusable sections only must not become "no selection" (the whole service)
  if (selected.length > 0 && (service.resources.length === 0 || (rids && rids.length === 0)))
    throw new NotUnderstoodError(
      `${action} ${name} failed: not stopped, state unknown: ${described}: fix the config (svcmgr -s ${name} set/unset, or edit ${session.store.configPath(name)})`,
    )
  return {service, doc, selection: rids ? {...selection, rids} : selection, unusable: selected}
}

/**
 * Called holding the lock: an edit that landed between the load and the lock (edits wait for
 * no one once the lock is free) would make the action work on sections no longer configured
 * (a deleted section's container left as an orphan). Refused: nothing has been done yet.
 */
export function assertConfigUnchanged(
  session: Session,
  name: string,
  action: ServiceAction,
  loaded: ServiceDocument,
): void {
  let now: string | undefined
  try {
    now = documentToIni(session.store.read(name))
  } catch {}
  if (now !== documentToIni(loaded))
    throw new ConfigChangedError(
      `${action} ${name}: the config changed while waiting for the lock: nothing was done; run the ${action} again`,
    )
}

/** The result of the action on the understood sections, failed when selected sections could not be acted on. */
export function withUnusable(result: ExecutionResult, unusable: readonly UnusableSection[]): ExecutionResult {
  if (unusable.length === 0) return result
  const what = `not stopped, state unknown (config section cannot be used): ${unusable.map(u => `${u.rid} (${u.problems.join('; ')})`).join(', ')}`
  return {...result, ok: false, error: result.error ? `${result.error}; ${what}` : what}
}
