/** The etcd key layout of a svcmgr cluster: the one place the paths are made. */
export const CLUSTER_PREFIX = '/svcmgr/'

export const ownerKey = (service: string) => `/svcmgr/services/${service}/owner`
export const configKey = (service: string) => `/svcmgr/services/${service}/config`
export const SERVICES_PREFIX = '/svcmgr/services/'
/** On the agent's lease: the node's agent is alive while it exists. */
export const presenceKey = (node: string) => `/svcmgr/nodes/${node}`
export const PRESENCE_PREFIX = '/svcmgr/nodes/'
/** Not on a lease: every node that ever announced itself, with when it was last seen. */
export const seenKey = (node: string) => `/svcmgr/seen/${node}`
export const SEEN_PREFIX = '/svcmgr/seen/'

/**
 * The contract between the agents and the cluster commands / status view (issue 15). The names
 * are stable: src/cluster/instances.ts reads and writes them.
 * On the node's lease: one instance record per (service, node), published by that node's agent.
 */
export const instanceKey = (service: string, node: string) => `/svcmgr/services/${service}/instances/${node}`
export const instancesPrefix = (service: string) => `/svcmgr/services/${service}/instances/`
/** Not on a lease: present means the service is frozen cluster-wide (no agent starts or moves it). */
export const frozenKey = (service: string) => `/svcmgr/services/${service}/frozen`
/** Not on a lease: a requested move of the service to a node (switch/takeover/giveback). */
export const targetKey = (service: string) => `/svcmgr/services/${service}/target`
