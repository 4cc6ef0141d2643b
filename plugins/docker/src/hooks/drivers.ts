/** The `svcmgr:drivers` hook: registers container.docker and the DEFAULT keywords of private engines. */
import type {Hook} from '@oclif/core'
import type {DriverRegistration, KeywordSpec, SvcmgrHooks} from 'svcmgr'
import {dockerDriver} from '../drivers/container-docker.js'

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

/** apiVersion: the driver API this plugin was written for; the core checks it (src/drivers/load.ts). */
export const registration: DriverRegistration = {
  apiVersion: 1,
  drivers: [dockerDriver],
  defaultKeywords: DEFAULT_KEYWORDS,
}

const hook: Hook<'svcmgr:drivers', SvcmgrHooks> = async function () {
  return registration
}

export default hook
