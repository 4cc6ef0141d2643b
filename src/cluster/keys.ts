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
