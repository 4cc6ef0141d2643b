/**
 * Capabilities matched by the core: what each resource's driver says it provides and needs
 * (Driver.provides / Driver.needs), and which resources meet a need. No driver names
 * another: an fs provides `path:<mnt>`, a container needing `path:<data dir>` finds it here.
 */
import path from 'node:path'
import type {Capability, Dependency, Need, ServiceView} from '../drivers/api.js'
import {naturalCompare} from './rid.js'
import type {ServiceResource} from './service.js'

const kindOf = (c: Capability): string => c.slice(0, Math.max(0, c.indexOf(':')))
// the one kind matched otherwise than exactly, told without cutting the kind out of the string
const isPath = (c: Capability): boolean => c.startsWith('path:')

/** pathOf's answers: a large service asks about each of its mount points and their parents many times. */
const pathsOf = new Map<Capability, string | null>()

/** "/opt/x/" → "/opt/x"; "/" stays "/"; undefined when not an absolute path. */
function pathOf(c: Capability): string | undefined {
  let n = pathsOf.get(c)
  if (n === undefined) {
    const p = c.slice('path:'.length).trim()
    if (!p.startsWith('/')) n = null
    // most are normal already (no "//", no "." segment, no trailing "/"): normalize is the slow part
    else if (p.length === 1 || (!p.includes('//') && !p.includes('/.') && !p.endsWith('/'))) n = p
    else {
      n = path.posix.normalize(p)
      if (n.length > 1) n = n.replace(/\/+$/, '')
    }
    // bounded, for a long-lived agent reading many services
    if (pathsOf.size >= 100_000) pathsOf.clear()
    pathsOf.set(c, n)
  }
  return n ?? undefined
}

interface Match {
  readonly resource: ServiceResource
  readonly capability: Capability
}

const NO_MATCH: readonly Match[] = []

/** The matches but `except`'s: the list itself when it holds none of them (most lists: a large service asks each many times). */
function without(list: readonly Match[] | undefined, except: string | undefined): readonly Match[] {
  if (!list) return NO_MATCH
  for (const m of list) if (m.resource.rid === except) return list.filter(x => x.resource.rid !== except)
  return list
}

export class Capabilities {
  private readonly byRid: ReadonlyMap<string, ServiceResource>
  private readonly provides = new Map<string, readonly Capability[]>()
  private readonly needs = new Map<string, readonly Need[]>()
  /** Built on first use: exact capability → its enabled providers; the enabled path providers. */
  private needers?: Map<string, Set<ServiceResource>>
  private index?: {
    /** capability → its providers, in resource order, each with the capability it matched */
    exact: Map<Capability, Match[]>
    /** normalized path → its providers, in resource order */
    paths: Map<string, Match[]>
  }

  constructor(
    private readonly service: ServiceView,
    private readonly resources: readonly ServiceResource[],
  ) {
    this.byRid = new Map(resources.map(r => [r.rid, r]))
  }

  provided(rid: string): readonly Capability[] {
    let found = this.provides.get(rid)
    if (!found) {
      const r = this.byRid.get(rid)
      found = (r && r.driver.provides?.(r, this.service)) ?? []
      this.provides.set(rid, found)
    }
    return found
  }

  needed(rid: string): readonly Need[] {
    let found = this.needs.get(rid)
    if (!found) {
      const r = this.byRid.get(rid)
      found = (r && r.driver.needs?.(r, this.service)) ?? []
      this.needs.set(rid, found)
    }
    return found
  }

  private built(): NonNullable<Capabilities['index']> {
    if (this.index) return this.index
    const exact = new Map<Capability, Match[]>()
    const paths = new Map<string, Match[]>()
    for (const r of this.resources) {
      if (r.disabled) continue
      const provided = this.provided(r.rid)
      for (const c of provided.length > 1 ? new Set(provided) : provided) {
        const p = isPath(c) ? pathOf(c) : undefined
        if (p !== undefined) {
          const list = paths.get(p)
          if (list) list.push({resource: r, capability: c})
          else paths.set(p, [{resource: r, capability: c}])
        } else if (!isPath(c)) {
          const list = exact.get(c)
          if (list) list.push({resource: r, capability: c})
          else exact.set(c, [{resource: r, capability: c}])
        }
      }
    }
    this.index = {exact, paths}
    return this.index
  }

  /**
   * The enabled providers, other than `except`, meeting a need of `capability`, each with what it
   * provides that matched. The answer may be the index's own list: read it, do not change it.
   */
  matches(capability: Capability, except?: string): readonly Match[] {
    const {exact, paths} = this.built()
    if (!isPath(capability)) return without(exact.get(capability), except)
    const wanted = pathOf(capability)
    if (wanted === undefined) return NO_MATCH
    // the longest provided path holding `wanted`: wanted itself, then each parent folder up to /
    for (let p = wanted; ;) {
      const here = without(paths.get(p), except)
      if (here.length > 0) return here
      if (p === '/') return NO_MATCH
      const cut = p.lastIndexOf('/')
      p = cut <= 0 ? '/' : p.slice(0, cut)
    }
  }

  providers(capability: Capability, except?: string): ServiceResource[] {
    return [...new Set(this.matches(capability, except).map(m => m.resource))].sort((a, b) =>
      naturalCompare(a.rid, b.rid),
    )
  }

  users(capability: Capability, except?: string): ServiceResource[] {
    const needers = this.needersIndex()
    const kind = kindOf(capability)
    const start = this.providers(capability, except)
    const seen = new Set(start.map(p => p.rid))
    const found: ServiceResource[] = []
    const queue = [...start]
    while (queue.length > 0) {
      // a user is a provider of the same kind again (a namespace joined through a joiner): its users are too
      for (const u of needers.get(`${kind}\n${queue.shift()!.rid}`) ?? []) {
        if (u.rid === except || seen.has(u.rid)) continue
        seen.add(u.rid)
        found.push(u)
        queue.push(u)
      }
    }
    return found.sort((a, b) => naturalCompare(a.rid, b.rid))
  }

  /** "<kind>\n<provider rid>" → the enabled resources with a need of that kind it meets, without preparing it. Built once. */
  private needersIndex(): Map<string, Set<ServiceResource>> {
    if (this.needers) return this.needers
    const index = new Map<string, Set<ServiceResource>>()
    for (const r of this.resources) {
      if (r.disabled) continue
      for (const n of this.needed(r.rid)) {
        if (n.prepares !== undefined) continue
        for (const m of this.matches(n.capability, r.rid)) {
          const key = `${kindOf(n.capability)}\n${m.resource.rid}`
          const list = index.get(key) ?? new Set<ServiceResource>()
          list.add(r)
          index.set(key, list)
        }
      }
    }
    this.needers = index
    return index
  }

  /** The start-order edges the needs of `r` make: its providers before it, it before the users of what it prepares. */
  edges(r: ServiceResource): Dependency[] {
    const deps: Dependency[] = []
    const needs = this.needed(r.rid)
    // indexed: asked of each of 10,000 resources
    for (let i = 0; i < needs.length; i++) {
      const need = needs[i]
      const found = this.matches(need.capability, r.rid)
      for (let k = 0; k < found.length; k++) {
        const m = found[k]
        const reason =
          typeof need.reason === 'function' ? need.reason({rid: m.resource.rid, capability: m.capability}) : need.reason
        // gate assigned, not spread from a literal: one object per edge
        const dep: {-readonly [K in keyof Dependency]: Dependency[K]} = {before: m.resource.rid, after: r.rid, reason}
        if (need.gate === 'started') dep.gate = 'started'
        deps.push(dep)
      }
      if (need.prepares !== undefined)
        for (const u of this.users(need.capability, r.rid))
          deps.push({before: r.rid, after: u.rid, reason: need.prepares})
    }
    return deps
  }
}
