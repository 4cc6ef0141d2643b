/**
 * The cluster config store (issue 15, item 2): a cluster service's config text in etcd at
 * /svcmgr/services/<name>/config, revisioned by etcd. Every change is a compare-and-swap on
 * the mod_revision the editor read: of two concurrent edits one lands, the other is refused
 * (ClusterConfigConflictError) and told to retry; none is lost silently. A node keeps a local
 * copy of the text beside its revision (writeLocalCopy), so that it knows which one it has.
 */
import fs from 'node:fs'
import path from 'node:path'
import {SvcmgrError, UsageError} from '../errors.js'
import {writeStateFileAtomic} from '../config/state-files.js'
import type {EtcdClient} from './etcd/client.js'
import {SERVICES_PREFIX, configKey} from './keys.js'

/** Exit code 1: the config changed in etcd since it was read; nothing was written. */
export class ClusterConfigConflictError extends SvcmgrError {}

export interface ClusterConfig {
  readonly name: string
  readonly text: string
  /** etcd's mod_revision of the key: the config's revision, the value a CAS compares. */
  readonly revision: number
}

type Client = Pick<EtcdClient, 'txn' | 'get' | 'range'>

export async function readClusterConfig(client: Client, name: string): Promise<ClusterConfig | undefined> {
  const kv = await client.get(configKey(name))
  return kv ? {name, text: kv.value, revision: kv.modRevision} : undefined
}

/** Stores a new service's config; refused when one exists (unless replacing `force` at its revision). */
export async function createClusterConfig(client: Client, name: string, text: string): Promise<ClusterConfig> {
  const key = configKey(name)
  const r = await client.txn(
    [{key, target: 'CREATE', createRevision: 0}],
    [{put: {key, value: text}}],
    [{range: {key}}],
  )
  if (!r.succeeded) {
    const existing = r.ranges[0]?.[0]
    // a retried create whose first try landed: the same text is there
    if (existing?.value === text) return {name, text, revision: existing.modRevision}
    throw new UsageError(
      `service ${name} already exists in the cluster (revision ${existing?.modRevision ?? '?'}); use --force to replace its config`,
    )
  }
  return {name, text, revision: r.revision}
}

/**
 * Replaces the config only if it is still at `expectedRevision` (the one the edit was made
 * from). Refused otherwise, naming both revisions: read it again and retry.
 */
export async function updateClusterConfig(
  client: Client,
  name: string,
  text: string,
  expectedRevision: number,
): Promise<ClusterConfig> {
  const key = configKey(name)
  const r = await client.txn(
    [{key, target: 'MOD', modRevision: expectedRevision}],
    [{put: {key, value: text}}],
    [{range: {key}}],
  )
  if (r.succeeded) return {name, text, revision: r.revision}
  const now = r.ranges[0]?.[0]
  if (!now) throw new UsageError(`service ${name} is not in the cluster (deleted meanwhile?)`)
  if (now.value === text) return {name, text, revision: now.modRevision} // a retry that had landed
  throw new ClusterConfigConflictError(
    `the config of ${name} changed in the cluster while it was edited (edited from revision ${expectedRevision}, now ${now.modRevision}): nothing written; run the command again`,
  )
}

/** Deletes the config only if it is still at `expectedRevision`. */
export async function deleteClusterConfig(client: Client, name: string, expectedRevision: number): Promise<void> {
  const key = configKey(name)
  const r = await client.txn([{key, target: 'MOD', modRevision: expectedRevision}], [{delete: {key}}], [{range: {key}}])
  if (r.succeeded) return
  const now = r.ranges[0]?.[0]
  if (!now) return // already gone
  throw new ClusterConfigConflictError(
    `the config of ${name} changed in the cluster (revision ${expectedRevision} read, now ${now.modRevision}): not deleted; run the command again`,
  )
}

/** A read-modify-write with the CAS: edit gets the current text, returns the new one. */
export async function editClusterConfig(
  client: Client,
  name: string,
  edit: (text: string) => string | Promise<string>,
): Promise<ClusterConfig> {
  const current = await readClusterConfig(client, name)
  if (!current) throw new UsageError(`service ${name} is not in the cluster`)
  return updateClusterConfig(client, name, await edit(current.text), current.revision)
}

/** The names of the cluster's services (those with a stored config), sorted. */
export async function listClusterServices(client: Client): Promise<string[]> {
  const r = await client.range(SERVICES_PREFIX, {prefix: true})
  return r.kvs
    .map(kv => kv.key.slice(SERVICES_PREFIX.length))
    .filter(rest => rest.endsWith('/config') && rest.split('/').length === 2)
    .map(rest => rest.slice(0, -'/config'.length))
    .sort()
}

/**
 * The node's local copy: <etcDir>/<name>.conf (what the local commands read) and, beside it,
 * <varDir>/<name>/cluster-config.json with the revision it is. A copy at the same or a newer
 * revision is kept: watch events may arrive after a direct read.
 */
export function writeLocalCopy(
  dirs: {etcDir: string; varDir: string},
  config: ClusterConfig,
): 'written' | 'up to date' {
  const meta = path.join(dirs.varDir, config.name, 'cluster-config.json')
  const have = localCopyRevision(dirs, config.name)
  if (have !== undefined && have >= config.revision) return 'up to date'
  writeStateFileAtomic(path.join(dirs.etcDir, `${config.name}.conf`), config.text)
  writeStateFileAtomic(meta, JSON.stringify({revision: config.revision}) + '\n')
  return 'written'
}

export function localCopyRevision(dirs: {varDir: string}, name: string): number | undefined {
  try {
    const r = (
      JSON.parse(fs.readFileSync(path.join(dirs.varDir, name, 'cluster-config.json'), 'utf8')) as {revision?: unknown}
    ).revision
    return typeof r === 'number' ? r : undefined
  } catch {
    return undefined
  }
}
