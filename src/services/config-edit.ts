/** Creating and editing service configs: everything is validated before the atomic write, holding the service lock. */
import fs from 'node:fs'
import {ensureServiceId, normalizeDocument} from '../config/compile.js'
import {type ServiceDocument, cloneDocument, parseDocument} from '../config/document.js'
import {checkServiceName} from '../config/store.js'
import {acquireServiceLock} from '../executor/lock.js'
import {parseRid, ridProblem} from '../model/rid.js'
import {tellWaiting} from './lock-wait.js'
import type {Session} from './session.js'
import {
  createInCluster,
  deleteInCluster,
  editInCluster,
  isClusterDocument,
  isClusterService,
  pullLocalCopy,
} from './cluster-config.js'
import {agentLivenessForStatus} from '../agent/liveness.js'
import {UsageError} from '../errors.js'

export async function readConfigInput(source: string): Promise<{text: string; origin: string}> {
  if (source === '-') {
    const chunks: Buffer[] = []
    for await (const c of process.stdin) chunks.push(c as Buffer)
    return {text: Buffer.concat(chunks).toString('utf8'), origin: 'standard input'}
  }
  try {
    return {text: fs.readFileSync(source, 'utf8'), origin: source}
  } catch (error) {
    throw new UsageError(
      `--config: cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    )
  }
}

/**
 * Runs a read-modify-write of a service's config holding the service lock: concurrent edits
 * queue instead of overwriting each other, and an edit during a running action waits for it
 * (up to waitlockMs) or is refused (LockError, exit 1) naming the holder.
 */
async function withEditLock<T>(
  session: Session,
  name: string,
  what: string,
  waitlockMs: number,
  edit: () => Promise<T>,
): Promise<T> {
  await session.registry()
  // the lock is also released if a signal ends the process during the edit (see executor/lock.ts)
  const lock = await acquireServiceLock(session.store.varDir(name), name, what, {
    waitMs: waitlockMs,
    edit: true,
    onWait: tellWaiting(name),
  })
  try {
    return await edit()
  } finally {
    lock.release()
  }
}

export interface EditOptions {
  /** How long to wait for a running action to finish (default: refuse at once). */
  readonly waitlockMs?: number
}

export async function createService(
  session: Session,
  name: string,
  text: string,
  origin: string,
  force: boolean,
  options: EditOptions = {},
): Promise<ServiceDocument> {
  checkServiceName(name)
  const refuseExisting = () => {
    if (session.store.exists(name) && !force)
      throw new UsageError(
        `service ${name} already exists (${session.store.configPath(name)}); use --force to replace its config`,
      )
  }
  refuseExisting()
  const doc = normalizeDocument(ensureServiceId(parseDocument(text, name, origin)), await session.registry())
  await session.compile(name, doc)
  // checked again under the lock: a concurrent create of the same name may have won
  return withEditLock(session, name, 'create', options.waitlockMs ?? 0, async () => {
    refuseExisting()
    // a cluster service (orchestrate = ha, etcd set): etcd first, then the local copy beside its revision
    if (session.settings.etcd && isClusterDocument(doc)) {
      await createInCluster(session, name, doc, force)
      return doc
    }
    session.store.write(name, doc)
    return doc
  })
}

export type KwEdit =
  {op: 'set'; section: string; keyword: string; value: string} | {op: 'unset'; section: string; keyword: string}

export async function editService(
  session: Session,
  name: string,
  edits: readonly KwEdit[],
  options: EditOptions = {},
): Promise<ServiceDocument> {
  await pullLocalCopy(session, name)
  session.store.requireExists(name)
  return withEditLock(
    session,
    name,
    edits.every(e => e.op === 'unset') ? 'unset' : 'set',
    options.waitlockMs ?? 0,
    () => applyEdits(session, name, edits),
  )
}

async function applyEdits(session: Session, name: string, edits: readonly KwEdit[]): Promise<ServiceDocument> {
  // a cluster service is edited from etcd's text and written back with a compare-and-swap
  if (await isClusterService(session, name, session.store.read(name)))
    return editInCluster(session, name, current => applyEditsTo(session, name, current, edits))
  const doc = await applyEditsTo(session, name, session.store.read(name), edits)
  session.store.write(name, doc)
  return doc
}

async function applyEditsTo(
  session: Session,
  name: string,
  stored: ServiceDocument,
  edits: readonly KwEdit[],
): Promise<ServiceDocument> {
  const doc = cloneDocument(stored)
  for (const e of edits) {
    let section = doc.find(s => s.name === e.section)
    if (e.op === 'unset') {
      const i = section?.entries.findIndex(([k]) => k === e.keyword) ?? -1
      if (!section || i === -1) throw new UsageError(`--kw ${e.section}.${e.keyword}: not set in ${name}`)
      section.entries.splice(i, 1)
      continue
    }
    if (!section) {
      const badRid = e.section.startsWith('subset#') ? undefined : ridProblem(e.section)
      if (badRid) throw new UsageError(`--kw ${e.section}.${e.keyword}: ${badRid}`)
      if (e.section !== 'DEFAULT' && !parseRid(e.section) && !e.section.startsWith('subset#'))
        throw new UsageError(`--kw ${e.section}.${e.keyword}: unknown section ${e.section}`)
      section = {name: e.section, entries: []}
      doc.push(section)
    }
    const existing = section.entries.find(([k]) => k === e.keyword)
    if (existing) existing[1] = e.value
    else section.entries.push([e.keyword, e.value])
  }
  const normalized = normalizeDocument(
    doc.filter(s => s.entries.length > 0 || s.name === 'DEFAULT'),
    await session.registry(),
  )
  await session.compile(name, normalized)
  return normalized
}

export async function deleteSections(
  session: Session,
  name: string,
  rids: readonly string[],
  options: EditOptions = {},
): Promise<ServiceDocument> {
  await pullLocalCopy(session, name)
  session.store.requireExists(name)
  return withEditLock(session, name, 'delete', options.waitlockMs ?? 0, async () => {
    const without = async (doc: ServiceDocument) => {
      const missing = rids.filter(r => !doc.some(s => s.name === r))
      if (missing.length > 0) throw new UsageError(`--rid: ${missing.join(', ')} is not a section of ${name}`)
      const kept = doc.filter(s => !rids.includes(s.name))
      await session.compile(name, kept)
      return kept
    }
    if (await isClusterService(session, name, session.store.read(name))) return editInCluster(session, name, without)
    const kept = await without(session.store.read(name))
    session.store.write(name, kept)
    return kept
  })
}

/** Removes a service's config and state, holding its lock: refused while an action runs; a stale lock is cleaned with the rest. */
/**
 * Deletes a service's config and state. A cluster service goes from etcd; its local copy then
 * goes as on every other node: this node's agent, when one runs, stops what runs here and removes
 * it (the copy removed under a running instance would leave nobody able to stop it); with no
 * agent running here, at once. Says which ('local copy removed' or 'left to the agent').
 */
export async function deleteService(
  session: Session,
  name: string,
  options: EditOptions = {},
): Promise<'local copy removed' | 'left to the agent'> {
  await pullLocalCopy(session, name)
  session.store.requireExists(name)
  return withEditLock(session, name, 'delete', options.waitlockMs ?? 0, async () => {
    if (await isClusterService(session, name)) {
      await deleteInCluster(session, name)
      if (agentLivenessForStatus(session.settings.root) === 'running') return 'left to the agent' as const
    }
    session.store.remove(name)
    return 'local copy removed' as const
  })
}
