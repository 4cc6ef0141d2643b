/**
 * OpenSVC's config files follow Python's configparser (strict, no interpolation), not the `ini`
 * package: comments only on lines of their own (`#` or `;` first, indented or not), `#` kept
 * inside section names and values, a line indented deeper than its keyword continues the value
 * (across blank lines, as configparser does). Stricter where configparser guesses: a duplicate
 * [DEFAULT], text after a section header's "]", whitespace around a section name are refused.
 * What the printer writes both read back unchanged; what it cannot write is refused.
 */
import {IniSyntaxError} from '../errors.js'

export interface IniSection {
  name: string
  entries: Array<[key: string, value: string]>
}

/**
 * Characters no config line may hold: C0 controls but TAB (NUL, CR, ESC...), DEL, C1 controls,
 * the Unicode line separators (editors and Python's splitlines break lines there), U+FEFF (an
 * invisible byte order mark: JavaScript trims it as whitespace, Python does not) and lone
 * surrogates (UTF-8 cannot encode them: they would be written as U+FFFD).
 */
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const FORBIDDEN_CHAR = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ufeff]|\p{Cs}/u

/** "the control character U+001B" for the first character no config line may hold, if any. */
function forbiddenChar(text: string): string | undefined {
  const c = FORBIDDEN_CHAR.exec(text)?.[0]
  if (c === undefined) return undefined
  const code = c.codePointAt(0)!
  return `the ${code < 0xa0 ? 'control ' : ''}character U+${code.toString(16).toUpperCase().padStart(4, '0')}`
}

/** A name as messages show it: quoted, with escapes, when it holds anything unusual, so a message never carries a control character. */
export function shownName(name: string): string {
  return name !== '' && name.trim() === name && !forbiddenChar(name) ? name : quoted(name)
}

/** JSON.stringify for messages: it escapes C0 controls and lone surrogates; this also escapes DEL, C1 controls and U+2028/U+2029. */
export function quoted(value: unknown): string {
  return (JSON.stringify(value) ?? String(value)).replace(
    /[\x7f-\x9f\u2028\u2029]/g,
    c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

function sectionProblem(name: string): string | undefined {
  const c = forbiddenChar(name)
  if (c) return `a section name cannot hold ${c}`
  if (name.trim() === '') return 'a section name cannot be empty'
  if (name.trim() !== name) return 'a section name cannot start or end with whitespace'
  if (name.includes(']')) return 'a section name cannot hold "]"'
  return undefined
}

function keywordProblem(key: string): string | undefined {
  const c = forbiddenChar(key)
  if (c) return `a keyword cannot hold ${c}`
  if (key.trim() === '') return 'a keyword cannot be empty'
  if (key.trim() !== key) return 'a keyword cannot start or end with whitespace'
  if (/[=:]/.test(key)) return 'a keyword cannot hold "=" or ":"'
  if (/^[#;[]/.test(key)) return 'a keyword cannot start with "#", ";" or "["'
  return undefined
}

function valueProblem(value: string): string | undefined {
  const lines = value.split('\n')
  if (lines.length > 1 && lines.at(-1) === '') return 'the value ends with a line break, which an INI file drops'
  for (const [i, line] of lines.entries()) {
    const which = lines.length > 1 ? `line ${i + 1} of the value` : 'the value'
    const c = forbiddenChar(line)
    if (c) return `${which} holds ${c}, which a config file cannot hold`
    if (line.trim() !== line) return `${which} starts or ends with whitespace, which an INI file does not keep`
    if (i > 0 && /^[#;]/.test(line)) return `${which} starts with "${line[0]}", which an INI file reads as a comment`
  }
  return undefined
}

/**
 * Why these sections cannot be written as INI text that reads back the same, one sentence each
 * naming [section] or section.keyword; empty when they can.
 */
export function iniProblems(sections: readonly IniSection[]): string[] {
  const problems: string[] = []
  const names = new Set<string>()
  for (const s of sections) {
    const name = shownName(s.name)
    const sp = sectionProblem(s.name)
    if (sp) problems.push(`[${name}]: ${sp}`)
    if (names.has(s.name)) problems.push(`[${name}]: section appears twice`)
    names.add(s.name)
    const keys = new Set<string>()
    for (const [k, v] of s.entries) {
      const where = `${name}.${shownName(k)}`
      const problem = keywordProblem(k) ?? valueProblem(v)
      if (problem) problems.push(`${where}: ${problem}`)
      if (keys.has(k)) problems.push(`${where}: keyword appears twice in [${name}]`)
      keys.add(k)
    }
  }
  return problems
}

export function problemsMessage(problems: readonly string[]): string {
  return problems.length === 1
    ? problems[0]
    : `${problems.length} problems in the configuration:\n  ${problems.join('\n  ')}`
}

/**
 * A character forbiddenChar refuses, in a whole file: the same set but the line break (a lone
 * CR is still refused, CR LF is a line end). A file without one needs no check line by line.
 */
// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const FORBIDDEN_IN_FILE = /[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff]|\r(?!\n)|\p{Cs}/u

/** Index of the first non-blank character of a line (String.prototype.trim's whitespace), -1 when blank. */
function firstNonBlank(line: string): number {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i)
    // the common case in one comparison: a printable ASCII character
    if (c > 32 && c < 127) return i
    if (!/\s/.test(line[i])) return i
  }
  return -1
}

export function parseIni(text: string, source = 'config'): IniSection[] {
  const sections: IniSection[] = []
  // the names seen and the current section's keywords: each check is one lookup, so the parse stays linear
  const names = new Set<string>()
  let keys = new Set<string>()
  let current: IniSection | undefined
  // the entry whose value is being read, and its continuation lines (none for most values)
  let open: [string, string] | undefined
  let continued: string[] | undefined
  let indent = 0
  // a value's lines are joined once, when it ends, not again at every continuation line
  const close = () => {
    if (open && continued) open[1] = [open[1], ...continued].join('\n').replace(/\n+$/, '')
    open = undefined
    continued = undefined
  }
  // a byte order mark starts the file, not its first line
  const body = text.replace(/^\uFEFF/, '')
  const lines = body.split(/\r?\n/)
  // the check line by line, for its line number, only when the file holds such a character
  const checkLines = FORBIDDEN_IN_FILE.test(body)
  // made only for a message, not for each of 40,000 lines
  const lineAt = (i: number) => `${source} line ${i + 1}`
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    if (checkLines) {
      const c = forbiddenChar(line)
      if (c) throw new IniSyntaxError(`${lineAt(i)}: holds ${c}, which a config file cannot hold`)
    }
    const level = firstNonBlank(line)
    const first = level < 0 ? '' : line[level]
    // configparser: a comment is a line whose first non-blank character is # or ;, and it does not end a value
    if (first === '#' || first === ';') continue
    // configparser: a line indented deeper than its keyword's continues the value, blank lines
    // in between included (blank lines at the value's end are dropped)
    if (level < 0 || (open && level > indent)) {
      if (open) (continued ??= []).push(level < 0 ? '' : line.trim())
      continue
    }
    indent = level
    close()
    const content = line.trim()
    if (first === '[') {
      const header = /^\[([^\]]+)\]$/.exec(content)
      if (header) {
        const name = header[1]
        if (name.trim() !== name || name === '')
          throw new IniSyntaxError(
            `${lineAt(i)}: a section name cannot be empty or start or end with whitespace, got ${quoted(content)}`,
          )
        if (names.has(name)) throw new IniSyntaxError(`${lineAt(i)}: section [${name}] appears twice`)
        names.add(name)
        keys = new Set()
        current = {name, entries: []}
        sections.push(current)
        continue
      }
    }
    // "keyword = value": the first "=" or ":" ends the keyword (forbidden characters, line
    // breaks among them, are refused above, so the rest of the line is the value)
    const eq = content.indexOf('='),
      colon = content.indexOf(':')
    const cut = eq < 0 ? colon : colon < 0 ? eq : Math.min(eq, colon)
    if (cut <= 0 || first === '[')
      throw new IniSyntaxError(`${lineAt(i)}: expected "[section]" or "keyword = value", got ${quoted(content)}`)
    const key = content.slice(0, cut).trimEnd()
    if (!current) throw new IniSyntaxError(`${lineAt(i)}: keyword "${key}" appears before any [section]`)
    if (keys.has(key)) throw new IniSyntaxError(`${lineAt(i)}: keyword "${key}" appears twice in [${current.name}]`)
    keys.add(key)
    open = [key, content.slice(cut + 1).trimStart()]
    current.entries.push(open)
  }
  close()
  return sections
}

/** Writes sections as INI text; refuses (IniSyntaxError, naming section.keyword) what would not read back the same. */
export function formatIni(sections: readonly IniSection[]): string {
  const problems = iniProblems(sections)
  if (problems.length > 0) throw new IniSyntaxError(problemsMessage(problems))
  const out: string[] = []
  for (const s of sections) {
    if (out.length > 0) out.push('')
    out.push(`[${s.name}]`)
    // continuation lines indented, blank ones left empty
    for (const [k, v] of s.entries)
      out.push(
        `${k} = ${v
          .split('\n')
          .map((l, i) => (i === 0 || l === '' ? l : `\t${l}`))
          .join('\n')}`,
      )
  }
  return out.join('\n') + '\n'
}
