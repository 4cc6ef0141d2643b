/**
 * The saved plan of `apply --dry-run --out FILE`, executed by `svcmgr apply FILE`: the config it
 * stores, the stored config and the observed state it was made from (with their digests), and
 * the two plans it runs. Deterministic: sorted keys, arrays in plan order, task ids as planned,
 * a format version; its digest is the SHA-256 of that text without the digest itself.
 * The file holds the config as given, secret keyword values included: it is written 0600.
 */
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import type {ConfigDiffEntry} from '../config/diff.js'
import {type ServiceDocument, documentToIni} from '../config/document.js'
import {checkServiceName} from '../config/store.js'
import {stableStringify} from '../planner/observe.js'
import {PLAN_FORMAT_VERSION, type Plan} from '../planner/types.js'
import {UsageError} from '../errors.js'

export const SAVED_PLAN_FORMAT = 'svcmgr.apply-plan'
/** 1: the first format (issue 12). Its plans are PLAN_FORMAT_VERSION's. */
export const SAVED_PLAN_VERSION = 1

export interface PlannedConfig {
  /** sha256:<hex> of the config's INI text (documentToIni). */
  readonly digest: string
  readonly sections: ServiceDocument
}

export interface ApplyPlanOptions {
  readonly force: boolean
  readonly disableRollback: boolean
  readonly noWait: boolean
}

export interface ApplyPlan {
  readonly format: typeof SAVED_PLAN_FORMAT
  readonly version: number
  readonly service: string
  /** The config apply stores (normalized; the stored id kept when it gives none). */
  readonly config: PlannedConfig
  /** The stored config the plan was made against; null: the service did not exist. */
  readonly base: PlannedConfig | null
  readonly diff: readonly ConfigDiffEntry[]
  /** Stop and remove what the removed sections made, planned from the stored config; null: none removed. */
  readonly remove: Plan | null
  /** Provision and start the new config, from the observed state. */
  readonly converge: Plan
  /** sha256 of the tasks' observed states (both plans, observedDigestInput's form). */
  readonly observedDigest: string
  /** Anything to do: a config change, or a task whose change is not none. */
  readonly changes: boolean
  readonly options: ApplyPlanOptions
}

export interface SavedApplyPlan extends ApplyPlan {
  /** sha256:<hex> of the plan's canonical text without this field. */
  readonly digest: string
}

export const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`

export function configDigest(doc: ServiceDocument): string {
  return sha256(documentToIni(doc))
}

/** Every object's keys sorted, recursively (arrays keep their order): the canonical form. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, sortKeys(v)]),
    )
  return value
}

export function planDigest(plan: ApplyPlan): string {
  const {digest: _ignored, ...rest} = plan as SavedApplyPlan
  return sha256(stableStringify(sortKeys(rest)))
}

export function sealPlan(plan: ApplyPlan): SavedApplyPlan {
  return {...plan, digest: planDigest(plan)}
}

/** The file's text: sorted keys, two-space indentation, one final newline. */
export function serializePlan(plan: SavedApplyPlan): string {
  return JSON.stringify(sortKeys(plan), null, 2) + '\n'
}

export function writeSavedPlan(file: string, plan: SavedApplyPlan): void {
  try {
    fs.writeFileSync(file, serializePlan(plan), {mode: 0o600})
    // an existing file keeps its mode through writeFileSync: the config may hold secrets
    fs.chmodSync(file, 0o600)
  } catch (error) {
    throw new UsageError(
      `--out: cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    )
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function checkDocument(file: string, what: string, v: unknown): void {
  const ok =
    isRecord(v) &&
    typeof v.digest === 'string' &&
    Array.isArray(v.sections) &&
    v.sections.every(
      s =>
        isRecord(s) &&
        typeof s.name === 'string' &&
        Array.isArray(s.entries) &&
        s.entries.every(e => Array.isArray(e) && e.length === 2 && e.every(x => typeof x === 'string')),
    )
  if (!ok) throw new UsageError(`${file}: ${what}: expected {digest, sections: [{name, entries}]}`)
  const doc = v as unknown as PlannedConfig
  if (configDigest(doc.sections) !== doc.digest)
    throw new UsageError(`${file}: ${what}.digest does not match its sections (the file was edited)`)
}

function checkPlan(file: string, what: string, v: unknown): void {
  if (!isRecord(v) || !Array.isArray(v.tasks) || !Array.isArray(v.stages) || v.version !== PLAN_FORMAT_VERSION)
    throw new UsageError(`${file}: ${what}: expected a plan of format version ${PLAN_FORMAT_VERSION}`)
}

/** Reads and checks a saved plan: its format, version, shape and digest. Anything else is exit 2, naming the file. */
export function readSavedPlan(file: string): SavedApplyPlan {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (error) {
    throw new UsageError(
      `cannot read the plan ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    )
  }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new UsageError(`${file}: not a saved plan: invalid JSON: ${(error as Error).message}`)
  }
  if (!isRecord(data) || data.format !== SAVED_PLAN_FORMAT)
    throw new UsageError(
      `${file}: not a saved plan (expected "format": "${SAVED_PLAN_FORMAT}", made by svcmgr -s NAME apply --config FILE --dry-run --out ${file})`,
    )
  if (data.version !== SAVED_PLAN_VERSION)
    throw new UsageError(
      `${file}: saved plan version ${JSON.stringify(data.version)}, this svcmgr reads version ${SAVED_PLAN_VERSION}: make the plan again`,
    )
  if (typeof data.service !== 'string') throw new UsageError(`${file}: service: expected a service name`)
  checkServiceName(data.service)
  checkDocument(file, 'config', data.config)
  if (data.base !== null) checkDocument(file, 'base', data.base)
  if (data.remove !== null) checkPlan(file, 'remove', data.remove)
  checkPlan(file, 'converge', data.converge)
  if (!Array.isArray(data.diff) || typeof data.observedDigest !== 'string' || !isRecord(data.options))
    throw new UsageError(`${file}: expected diff, observedDigest and options`)
  const plan = data as unknown as SavedApplyPlan
  if (typeof plan.digest !== 'string' || planDigest(plan) !== plan.digest)
    throw new UsageError(`${file}: the plan's digest does not match its content (the file was edited or truncated)`)
  return plan
}
