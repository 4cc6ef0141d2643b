/** The compiled, validated service: what the planner, the executor and status work from. */
import type {Driver, KeywordValue, Resource, ServiceView} from '../drivers/api.js'
import {formatWords} from '../drivers/command-line.js'

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
