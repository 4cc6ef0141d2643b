/**
 * A service's configuration as written: ordered sections of raw keyword values.
 * Built from INI text or from JSON (flat sections, or wrapped as {"<svc>": {sections}}).
 */
import {type IniSection, formatIni, parseIni} from './ini.js'

export type ServiceDocument = IniSection[]

export class ConfigFormatError extends Error {}

function looksLikeSectionName(name: string): boolean {
  return name === 'DEFAULT' || name.includes('#')
}

function jsonValueToRaw(section: string, key: string, value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value) && value.every(v => typeof v === 'string' || typeof v === 'number'))
    return value.map(v => (/[\s"']/.test(String(v)) ? JSON.stringify(String(v)) : String(v))).join(' ')
  throw new ConfigFormatError(`${section}.${key}: expected a string, number, boolean or list of strings, got ${JSON.stringify(value)}`)
}

export function documentFromJson(data: unknown, serviceName: string): ServiceDocument {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new ConfigFormatError('expected a JSON object of sections')
  let sections = data as Record<string, unknown>
  const keys = Object.keys(sections)
  // wrapped form: {"svc2": {"DEFAULT": ..., "container#1": ...}}
  if (keys.length === 1 && !looksLikeSectionName(keys[0]) && typeof sections[keys[0]] === 'object' && sections[keys[0]] !== null) {
    if (keys[0] !== serviceName && Object.keys(sections[keys[0]] as object).some(looksLikeSectionName))
      throw new ConfigFormatError(`the JSON wraps a service named "${keys[0]}", but the command names "${serviceName}"`)
    sections = sections[keys[0]] as Record<string, unknown>
  }
  return Object.entries(sections).map(([name, body]) => {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new ConfigFormatError(`[${name}]: expected an object of keywords, got ${JSON.stringify(body)}`)
    return {name, entries: Object.entries(body).map(([k, v]) => [k, jsonValueToRaw(name, k, v)] as [string, string])}
  })
}

/** Parses a config given as text: JSON when it starts with "{", INI otherwise. */
export function parseDocument(text: string, serviceName: string, source: string): ServiceDocument {
  const trimmed = text.trimStart()
  if (trimmed.startsWith('{')) {
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch (error) {
      throw new ConfigFormatError(`${source}: invalid JSON: ${(error as Error).message}`)
    }
    return documentFromJson(data, serviceName)
  }
  return parseIni(text, source)
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
