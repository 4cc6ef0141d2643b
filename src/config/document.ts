/**
 * A service's configuration as written: ordered sections of raw keyword values.
 * Built from INI text or from JSON (flat sections, or wrapped as {"<svc>": {sections}}).
 * A JSON config is taken as written or refused: it is stored as INI, so what INI cannot hold
 * (a control character, whitespace at a value's ends) is refused rather than changed.
 */
import {type IniSection, formatIni, iniProblems, parseIni, problemsMessage, quoted, shownName} from './ini.js'
import {findDuplicateKey} from './json-duplicates.js'
import {ConfigFormatError} from '../errors.js'

export type ServiceDocument = IniSection[]

function looksLikeSectionName(name: string): boolean {
  return name === 'DEFAULT' || name.includes('#')
}

/** Quotes a list item so splitWords reads it back as the same single word. */
function quoteWord(word: string): string {
  if (word !== '' && !/[\s"'\\]/.test(word)) return word
  return `"${word.replace(/["\\$`]/g, '\\$&')}"`
}

function jsonValueToRaw(section: string, key: string, value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value) && value.every(v => typeof v === 'string' || typeof v === 'number'))
    return value.map(v => quoteWord(String(v))).join(' ')
  throw new ConfigFormatError(
    `${shownName(section)}.${shownName(key)}: expected a string, number, boolean or list of strings, got ${quoted(value)}`,
  )
}

/** The sections object of a JSON config and the service name it is wrapped in, if it is. */
function unwrap(data: unknown, serviceName: string): {sections: Record<string, unknown>; wrapper?: string} {
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new ConfigFormatError('expected a JSON object of sections')
  const sections = data as Record<string, unknown>
  const keys = Object.keys(sections)
  // wrapped form: {"svc2": {"DEFAULT": ..., "container#1": ...}}
  if (
    keys.length === 1 &&
    !looksLikeSectionName(keys[0]) &&
    typeof sections[keys[0]] === 'object' &&
    sections[keys[0]] !== null &&
    !Array.isArray(sections[keys[0]])
  ) {
    if (keys[0] !== serviceName && Object.keys(sections[keys[0]] as object).some(looksLikeSectionName))
      throw new ConfigFormatError(
        `the JSON wraps a service named ${quoted(keys[0])}, but the command names ${quoted(serviceName)}`,
      )
    return {sections: sections[keys[0]] as Record<string, unknown>, wrapper: keys[0]}
  }
  return {sections}
}

export function documentFromJson(data: unknown, serviceName: string): ServiceDocument {
  const doc = Object.entries(unwrap(data, serviceName).sections).map(([name, body]) => {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new ConfigFormatError(`[${shownName(name)}]: expected an object of keywords, got ${quoted(body)}`)
    return {name, entries: Object.entries(body).map(([k, v]) => [k, jsonValueToRaw(name, k, v)] as [string, string])}
  })
  const problems = iniProblems(doc)
  if (problems.length > 0) throw new ConfigFormatError(problemsMessage(problems))
  return doc
}

/** Refuses a key given twice in the JSON text, naming it the way the INI parser does. */
function refuseDuplicateKeys(text: string, data: unknown, serviceName: string, source: string): void {
  const dup = findDuplicateKey(text)
  if (!dup) return
  const depth = unwrap(data, serviceName).wrapper === undefined ? 0 : 1
  const where = `${source} line ${dup.line}`
  const key = shownName(dup.key)
  if (dup.path.length === depth) throw new ConfigFormatError(`${where}: section [${key}] appears twice`)
  if (dup.path.length === depth + 1)
    throw new ConfigFormatError(`${where}: keyword "${key}" appears twice in [${shownName(dup.path[depth])}]`)
  throw new ConfigFormatError(
    `${where}: "${key}" appears twice in ${dup.path.length === 0 ? 'the top-level object' : dup.path.map(shownName).join('.')}`,
  )
}

/**
 * Parses a config given as text: JSON when it starts with "{", INI otherwise. An empty config
 * (nothing, only comments, `{}`, only an empty DEFAULT) is refused: it is a mistake (a wrong
 * file, nothing on stdin), not a service. DEFAULT keywords without resources are a service, as
 * in OpenSVC (whether svcmgr should accept one is validation's call, not the parser's).
 */
export function parseDocument(input: string, serviceName: string, source: string): ServiceDocument {
  // editors on Windows start UTF-8 files with a byte order mark, which JSON.parse refuses
  const text = input.replace(/^\uFEFF/, '')
  const trimmed = text.trimStart()
  let doc: ServiceDocument
  if (trimmed.startsWith('{')) {
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch (error) {
      throw new ConfigFormatError(`${source}: invalid JSON: ${(error as Error).message}`)
    }
    refuseDuplicateKeys(text, data, serviceName, source)
    doc = documentFromJson(data, serviceName)
  } else {
    doc = parseIni(text, source)
  }
  if (isEmptyDocument(doc))
    throw new ConfigFormatError(
      `${source}: the config is empty (no section, or only an empty [DEFAULT]): expected a resource section such as [container#1] or [DEFAULT] keywords`,
    )
  return doc
}

/** No section, or only an empty DEFAULT: a mistake (a truncated file, nothing on stdin), not a service. */
export function isEmptyDocument(doc: ServiceDocument): boolean {
  return doc.every(s => s.name === 'DEFAULT' && s.entries.length === 0)
}

export function documentToIni(doc: ServiceDocument): string {
  return formatIni(doc.filter(s => s.entries.length > 0 || s.name !== 'DEFAULT'))
}

export function documentToJson(doc: ServiceDocument): Record<string, Record<string, string>> {
  return Object.fromEntries(doc.map(s => [s.name, Object.fromEntries(s.entries)]))
}

export function cloneDocument(doc: ServiceDocument): ServiceDocument {
  return doc.map(s => ({name: s.name, entries: s.entries.map(([k, v]) => [k, v] as [string, string])}))
}
