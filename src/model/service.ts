/** The compiled, validated service: what the planner, the executor and status work from. */
import type {Capability, Driver, KeywordValue, Need, Resource, ServiceView} from '../drivers/api.js'
import {formatWords} from '../drivers/command-line.js'
import {Capabilities} from './capabilities.js'

export interface SubsetConfig {
  readonly group: string
  readonly name: string
  readonly parallel: boolean
}

export interface ServiceResource extends Resource {
  readonly driver: Driver
  /** The plugin the driver came from. */
  readonly plugin: string
}

export class Service implements ServiceView {
  private readonly byRid: Map<string, ServiceResource>
  /** What the resources provide and need, matched (see ./capabilities.ts). */
  readonly capabilities: Capabilities

  constructor(
    readonly name: string,
    readonly id: string,
    readonly nodename: string,
    readonly defaults: Readonly<Record<string, string>>,
    readonly kw: Readonly<Record<string, KeywordValue>>,
    readonly resources: readonly ServiceResource[],
    readonly subsets: ReadonlyMap<string, SubsetConfig>,
    readonly varDir: string,
  ) {
    this.byRid = new Map(resources.map(r => [r.rid, r]))
    this.capabilities = new Capabilities(this, resources)
  }

  provided(rid: string): readonly Capability[] {
    return this.capabilities.provided(rid)
  }

  needed(rid: string): readonly Need[] {
    return this.capabilities.needed(rid)
  }

  providers(capability: Capability, except?: string): ServiceResource[] {
    return this.capabilities.providers(capability, except)
  }

  users(capability: Capability, except?: string): ServiceResource[] {
    return this.capabilities.users(capability, except)
  }

  resource(rid: string): ServiceResource | undefined {
    return this.byRid.get(rid)
  }

  formatCommandLine(words: readonly string[]): string {
    return formatWords(words)
  }

  subset(group: string, name: string | undefined): SubsetConfig | undefined {
    return name === undefined ? undefined : this.subsets.get(`${group}:${name}`)
  }
}
