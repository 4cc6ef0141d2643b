/** The `svcmgr:drivers` hook: registers container.docker and the DEFAULT keywords of private engines. */
import type {Hook} from '@oclif/core'
import type {KeywordSpec, SvcmgrHooks} from 'svcmgr'
import {dockerDriver} from '../drivers/container-docker.js'

/** The driver API versions this plugin was written against. */
const SUPPORTED_API = [1]

export const DEFAULT_KEYWORDS: readonly KeywordSpec[] = [
  {
    name: 'docker_daemon_private',
    type: 'bool',
    default: 'false',
    help: "Run the service's containers in a private dockerd (socket in the service's var folder), started before its first container and stopped after its last. Implied by docker_data_dir.",
  },
  {
    name: 'docker_data_dir',
    help: "The private dockerd's data root (images, containers), e.g. on a filesystem resource of the service. Setting it makes the engine private.",
    check: v => (v.trim().startsWith('/') ? undefined : 'an absolute path'),
  },
  {
    name: 'docker_daemon_args',
    type: 'list',
    help: 'Extra dockerd arguments for the private daemon, as shell-like words (e.g. --ip 37.59.71.25).',
  },
]

export const registration = {drivers: [dockerDriver], defaultKeywords: DEFAULT_KEYWORDS}

const hook: Hook<'svcmgr:drivers', SvcmgrHooks> = async function (options) {
  if (!SUPPORTED_API.includes(options.apiVersion))
    throw new Error(`@svcmgr/plugin-docker supports the driver API version ${SUPPORTED_API.join(', ')}; this svcmgr core speaks version ${options.apiVersion}: upgrade the plugin or the core so they match`)
  return registration
}

export default hook
