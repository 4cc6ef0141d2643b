/** Keywords every resource section accepts, whatever its driver, and the DEFAULT section's own. */
import type {KeywordSpec} from './api.js'

export const GENERIC_RESOURCE_KEYWORDS: readonly KeywordSpec[] = [
  {name: 'type', help: 'The driver type within the section group (e.g. docker, netns, vg, ext4).'},
  {name: 'tags', type: 'list', help: 'Words selecting this resource with --tags.'},
  {name: 'subset', help: 'The subset of its driver group this resource belongs to; subsets run in alphanumerical order.'},
  {name: 'optional', type: 'bool', default: 'false', help: 'A failure only logs a warning; the resource does not count in the service availability.'},
  {name: 'disable', type: 'bool', default: 'false', help: 'Skip this resource in every action; its status is n/a.'},
  {name: 'standby', type: 'bool', default: 'false', help: 'Keep the resource up on stop unless --force (status stdby up/down).'},
  {name: 'comment', help: 'Free text, shown by print config only.'},
]

export const CORE_DEFAULT_KEYWORDS: readonly KeywordSpec[] = [
  {name: 'id', help: 'The service UUID; generated at create when absent.', check: v => (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v) ? undefined : 'a UUID')},
  {name: 'nodes', type: 'list', help: 'Nodes the service may run on (accepted for OpenSVC compatibility; svcmgr manages the local node).'},
  {name: 'autostart_node', type: 'list', help: 'Nodes where the service starts at boot (accepted for OpenSVC compatibility).'},
  {name: 'app', help: 'The application code, for reporting.'},
  {name: 'env', help: 'The environment (DEV, PRD, ...), for reporting.'},
  {name: 'orchestrate', choices: ['no', 'ha', 'start'], help: 'Accepted for OpenSVC compatibility; svcmgr does not orchestrate across nodes.'},
  {name: 'comment', help: 'Free text.'},
]

export const SUBSET_KEYWORDS: readonly KeywordSpec[] = [
  {name: 'parallel', type: 'bool', default: 'false', help: 'Run the members of this subset concurrently.'},
]
