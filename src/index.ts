/**
 * svcmgr's public surface for driver authors: the driver API types.
 * A plugin imports these as types only; run-time helpers reach it through its contexts.
 */
export * from './drivers/api.js'
export type {ServiceHookOptions, ServiceHookResult, SvcmgrHooks} from './drivers/hook.js'
