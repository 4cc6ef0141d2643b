/**
 * Keywords every resource section accepts, whatever its driver, and the DEFAULT section's own.
 * The generic resource keywords are one table: each says which Resource field its value fills
 * and how the core uses it; compile (src/config/compile.ts) fills the fields from it, `get`
 * (src/services/keyword-value.ts) reads them back through it, the schema and the drivers
 * catalogue list it.
 */
import type {KeywordManifest, KeywordSpec, KeywordsOf, KeywordValue, Resource} from './api.js'

/** A generic resource keyword: a KeywordSpec, the Resource field it fills and what the core does with it. */
export interface GenericKeywordSpec extends KeywordSpec {
  /** The Resource field the parsed value (or its default) lands in; none: the core keeps it in the config only. */
  readonly field?: keyof Resource
  /** It decides whether the resource is acted on: a bad value is fatal to the section, never replaced by the default. */
  readonly actedOn?: boolean
  /** How the core uses it (for readers of this table; the code is where it says). */
  readonly use: string
}

// the order is the one `print config` lists them in after a driver's own keywords (type first)
export const GENERIC_RESOURCE_KEYWORDS = [
  {
    name: 'type',
    field: 'type',
    help: 'The driver type within the section group (e.g. docker, netns, vg, ext4).',
    use: 'selects the driver (DriverRegistry.find); Resource.type is the canonical type',
  },
  {
    name: 'tags',
    type: 'list',
    field: 'tags',
    help: 'Words selecting this resource with --tags.',
    use: '--tags selection (src/planner/select.ts); shown by print status',
  },
  {
    name: 'subset',
    field: 'subset',
    help: 'The subset of its driver group this resource belongs to; subsets run in alphanumerical order.',
    use: 'the stage the resource runs in (src/planner/order.ts), the status order (src/status/status.ts)',
  },
  {
    name: 'optional',
    type: 'bool',
    default: 'false',
    field: 'optional',
    help: 'A failure only logs a warning; the resource does not count in the service availability.',
    use: 'left out of avail (src/status/status.ts)',
  },
  {
    name: 'disable',
    type: 'bool',
    default: 'false',
    field: 'disabled',
    actedOn: true,
    help: 'Skip this resource in every action; its status is n/a.',
    use: 'not planned (src/planner/plan.ts); status n/a without a probe (src/status/status.ts)',
  },
  {
    name: 'standby',
    type: 'bool',
    default: 'false',
    field: 'standby',
    actedOn: true,
    help: 'Keep the resource up on stop unless --force (status stdby up/down).',
    use: 'skipped by stop unless --force (src/planner/plan.ts); status stdby up/down (src/status/status.ts)',
  },
  {
    name: 'restart',
    type: 'int',
    default: '0',
    field: 'restart',
    check: (_raw, v) => (typeof v === 'number' && v >= 0 ? undefined : 'an integer >= 0'),
    help: 'How many times the node agent (svcmgr daemon) restarts this resource when it goes down while the service should be up, counted per start of the service.',
    use: "the agent's restarts (src/agent/decide.ts); print status's monitor view",
  },
  {
    name: 'restart_delay',
    type: 'duration',
    default: '500ms',
    field: 'restartDelay',
    help: 'How long the node agent waits after it saw this resource go down before it restarts it.',
    use: "the agent's wait before a restart (src/agent/watcher.ts)",
  },
  {
    name: 'monitor',
    type: 'bool',
    default: 'false',
    field: 'monitor',
    help: 'When this resource stays down after its restarts, the node agent marks the instance failed and does nothing more for it until `clear` or a start or stop.',
    use: "the agent's failed state (src/agent/decide.ts)",
  },
  {name: 'comment', help: 'Free text, shown by print config only.', use: 'none: kept in the config'},
] as const satisfies readonly GenericKeywordSpec[]

const GENERIC_NAMES: ReadonlySet<string> = new Set(GENERIC_RESOURCE_KEYWORDS.map(k => k.name))

/** Generic keywords whose bad value the section cannot do without (disable, standby). */
export const ACTED_ON_KEYWORDS: ReadonlySet<string> = new Set(
  GENERIC_RESOURCE_KEYWORDS.filter(k => 'actedOn' in k && k.actedOn).map(k => k.name),
)

type GenericSpec = (typeof GENERIC_RESOURCE_KEYWORDS)[number]
type FieldSpec = Extract<GenericSpec, {field: keyof Resource}>

/** The Resource fields the node agent reads (restart, restart_delay, monitor): not part of a status report's resource. */
export type MonitorFields = Pick<Resource, 'restart' | 'restartDelay' | 'monitor'>

/** The Resource fields the generic keywords fill, `type` and the agent's aside (the registry's canonical type goes there). */
export type GenericFields = Pick<Resource, Exclude<FieldSpec['field'], 'type' | keyof MonitorFields>>

/**
 * A section's parsed values (defaults applied) split into the generic keywords' Resource fields
 * and the driver's keywords (Resource.kw). A generic keyword left out (a bad value a lenient
 * compile ignored) gets its field's neutral value.
 */
export function splitGenericValues(values: Readonly<Record<string, KeywordValue>>): {
  generic: GenericFields & MonitorFields
  kw: Record<string, KeywordValue>
} {
  // each generic value was parsed by its own spec above, so it has that spec's type
  const g = values as Partial<KeywordsOf<typeof GENERIC_RESOURCE_KEYWORDS>>
  const generic: GenericFields & MonitorFields = {
    subset: g.subset,
    tags: g.tags ?? [],
    disabled: g.disable === true,
    optional: g.optional === true,
    standby: g.standby === true,
    restart: g.restart ?? 0,
    restartDelay: g.restart_delay ?? 500,
    monitor: g.monitor === true,
  }
  // a loop, not entries/filter/fromEntries: once per section, three arrays fewer each
  const kw: Record<string, KeywordValue> = {}
  for (const k of Object.keys(values)) if (!GENERIC_NAMES.has(k)) kw[k] = values[k]
  return {generic, kw}
}

/** A generic keyword's value as the resource holds it (`get --eval`), or undefined when `name` is not one with a field. */
export function genericKeywordValue(r: Resource, name: string): {value: unknown} | undefined {
  const spec = GENERIC_RESOURCE_KEYWORDS.find(k => k.name === name)
  return spec && 'field' in spec ? {value: r[spec.field]} : undefined
}

/**
 * The keywords of a resource section a driver serves: `type`, the driver's own, then the other
 * generic ones it does not redefine. The order `print config` lists a section in.
 */
export function resourceSectionKeywords(
  driverKeywords: readonly KeywordSpec[],
  generic: readonly KeywordSpec[] = GENERIC_RESOURCE_KEYWORDS,
): KeywordSpec[] {
  const own = new Set(driverKeywords.map(k => k.name))
  const type = generic.filter(k => k.name === 'type')
  return [
    ...type,
    ...driverKeywords.filter(k => k.name !== 'type'),
    ...generic.filter(k => k.name !== 'type' && !own.has(k.name)),
  ]
}

export const CORE_DEFAULT_KEYWORDS: KeywordManifest = [
  {
    name: 'id',
    help: 'The service UUID; generated at create when absent.',
    check: v => (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v) ? undefined : 'a UUID'),
  },
  {
    name: 'nodes',
    type: 'list',
    help: 'Nodes the service may run on, in placement order (with orchestrate = ha and the etcd setting: the first live, not frozen, not failed one runs it; docs/cluster.md).',
  },
  {
    name: 'autostart_node',
    type: 'list',
    help: 'Nodes where the service starts at boot (accepted for OpenSVC compatibility).',
  },
  {name: 'app', help: 'The application code, for reporting.'},
  {name: 'env', help: 'The environment (DEV, PRD, ...), for reporting.'},
  {
    name: 'orchestrate',
    choices: ['no', 'ha', 'start'],
    default: 'no',
    help: 'start: the node agent (svcmgr daemon) starts the service when the agent starts (node boot), unless it is frozen or a user stopped it since; no: it does not. ha: a cluster service (with the etcd setting): its config is kept in etcd, the agents place it on one of its nodes, own it through an etcd lease and fail it over (docs/cluster.md).',
  },
  {
    name: 'monitor_interval',
    type: 'duration',
    default: '10s',
    check: (_raw, v) => (typeof v === 'number' && v > 0 ? undefined : 'a duration > 0'),
    help: "How often the node agent polls the status of the service's resources that no event stream reports (a container's death is seen at once).",
  },
  {name: 'comment', help: 'Free text.'},
]

export const SUBSET_KEYWORDS: KeywordManifest = [
  {name: 'parallel', type: 'bool', default: 'false', help: 'Run the members of this subset concurrently.'},
]
