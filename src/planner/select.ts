/** Resource selection (--rid, --tags, --subsets) and its dependency closure. */
import type {Service, ServiceResource} from '../model/service.js'
import {naturalCompare} from '../model/rid.js'
import {type DependencyGraph, reachable} from './dependencies.js'
import {type AddedResource, type Selection} from './types.js'
import {PlanError} from '../errors.js'

/** What a --rid selector can name a resource by: its rid, its group, its section's group, group.type. */
function ridSelectorKeys(r: ServiceResource): string[] {
  return [r.rid, r.group, r.rid.slice(0, r.rid.indexOf('#')), `${r.group}.${r.type}`]
}

/** The resources a selection names; every given criterion narrows it. Disabled resources are never selected. */
export function selectResources(service: Service, selection: Selection): ServiceResource[] {
  let candidates = service.resources.filter(r => !r.disabled)
  const {rids, tags, subsets} = selection
  if (rids && rids.length > 0) {
    // sets, not a scan of every resource per selector: --rid may list thousands
    const known = new Set(service.resources.flatMap(ridSelectorKeys))
    const unknown = rids.filter(s => !known.has(s))
    if (unknown.length > 0)
      throw new PlanError(
        `--rid: ${unknown.join(', ')} matches no resource of ${service.name} (resources: ${service.resources.map(r => r.rid).join(', ')})`,
      )
    const wanted = new Set(rids)
    candidates = candidates.filter(r => ridSelectorKeys(r).some(k => wanted.has(k)))
  }
  if (tags && tags.length > 0) {
    const wanted = new Set(tags)
    candidates = candidates.filter(r => r.tags.some(t => wanted.has(t)))
  }
  if (subsets && subsets.length > 0) {
    const wanted = new Set(subsets)
    candidates = candidates.filter(r => r.subset !== undefined && wanted.has(r.subset))
  }
  if (candidates.length === 0) {
    const what = [
      rids?.length ? `--rid ${rids.join(',')}` : '',
      tags?.length ? `--tags ${tags.join(',')}` : '',
      subsets?.length ? `--subsets ${subsets.join(',')}` : '',
    ]
      .filter(Boolean)
      .join(' ')
    throw new PlanError(`the selection ${what || '(all)'} matches no enabled resource of ${service.name}`)
  }
  return candidates
}

export interface Closure {
  readonly rids: Set<string>
  readonly added: AddedResource[]
}

function describeAdded(
  deps: DependencyGraph,
  rid: string,
  via: string,
  direction: 'requires' | 'required-by',
): AddedResource {
  const [before, after] = direction === 'requires' ? [rid, via] : [via, rid]
  return {rid, reason: `${deps.reason(before, after) ?? 'dependency'}: ${before} starts before ${after}`}
}

/** Start-like: add what the selection needs first. */
export function closeOverRequirements(deps: DependencyGraph, rids: Iterable<string>): Closure {
  const set = new Set(rids)
  const found = reachable(set, rid => deps.predecessors(rid))
  const added = [...found].map(([rid, via]) => describeAdded(deps, rid, via, 'requires'))
  for (const a of added) set.add(a.rid)
  return {rids: set, added: added.sort((a, b) => naturalCompare(a.rid, b.rid))}
}

/** Stop-like: add what would be left running on top of the selection (e.g. containers in a netns). */
export function closeOverDependents(deps: DependencyGraph, rids: Iterable<string>): Closure {
  const set = new Set(rids)
  const found = reachable(set, rid => deps.successors(rid))
  const added = [...found].map(([rid, via]) => describeAdded(deps, rid, via, 'required-by'))
  for (const a of added) set.add(a.rid)
  return {rids: set, added: added.sort((a, b) => naturalCompare(a.rid, b.rid))}
}
