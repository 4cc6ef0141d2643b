/**
 * The netns = container#N chain check of container.docker's validate(): each container's
 * chain of namespace owners must end. The containers whose chains are known to end are kept
 * per resource list, so a walk stops where an earlier one ended: a chain of 10,000 containers
 * is walked once, not once per container (and each step no longer scans the path walked).
 */
import type {Resource, ServiceView} from 'svcmgr'
import type {DockerKeywords} from './container-docker.keywords.js'
import {netnsOwner} from './spec.js'

const endsCleanly = new WeakMap<readonly Resource[], Set<string>>()

/**
 * The rids from `res` through its namespace owners (`peer` first) up to the first one seen
 * again, when the chain is a cycle; undefined when it ends (an owner that is not a docker
 * container of the service, or none).
 */
export function netnsCycle(res: Resource, peer: Resource, svc: ServiceView): string[] | undefined {
  let clean = endsCleanly.get(svc.resources)
  if (!clean) endsCleanly.set(svc.resources, (clean = new Set()))
  const seen = [res.rid]
  const seenSet = new Set(seen)
  let cur: Resource | undefined = peer
  while (cur && cur.type === 'docker') {
    if (clean.has(cur.rid)) break
    if (seenSet.has(cur.rid)) return [...seen, cur.rid]
    seen.push(cur.rid)
    seenSet.add(cur.rid)
    const next = netnsOwner(cur as unknown as Resource<DockerKeywords>)
    cur = next ? svc.resource(next) : undefined
  }
  // every container walked leads to the end of the chain
  for (const rid of seen) clean.add(rid)
  return undefined
}
