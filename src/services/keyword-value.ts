/** `get`: a keyword's value as written in the stored config, or as the driver sees it (typed, default applied). */
import {genericKeywordValue} from '../drivers/generic-keywords.js'
import {UsageError} from '../errors.js'
import type {Session} from './session.js'

export interface KeywordQuery {
  readonly service: string
  readonly section: string
  readonly keyword: string
  /** The --kw flag as given, for messages. */
  readonly spec: string
}

/** The raw string as written; refused (exit 2) when it is not set. */
export function rawKeywordValue(session: Session, q: KeywordQuery): string {
  const entry = session.store
    .read(q.service)
    .find(s => s.name === q.section)
    ?.entries.find(([k]) => k === q.keyword)
  if (!entry) throw new UsageError(`--kw ${q.spec}: not set in ${q.service}`)
  return entry[1]
}

/** The parsed value (durations in ms, lists as arrays), undefined when unset without a default; refused for a keyword the driver does not have. */
export async function evaluatedKeywordValue(session: Session, q: KeywordQuery): Promise<unknown> {
  const {service} = await session.load(q.service)
  const r = service.resource(q.section)
  if (!r) throw new UsageError(`--kw ${q.spec}: no resource ${q.section} in ${q.service}`)
  const generic = genericKeywordValue(r, q.keyword)
  if (generic) return generic.value
  const value = (r.kw as Record<string, unknown>)[q.keyword]
  if (value === undefined && !r.driver.keywords.some(k => k.name === q.keyword))
    throw new UsageError(`--kw ${q.spec}: ${r.group}.${r.type} has no keyword ${q.keyword}`)
  return value
}
