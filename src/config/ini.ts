/**
 * OpenSVC's config files follow Python's configparser, not the `ini` package:
 * comments only at the start of a line, `#` kept inside section names and values,
 * indented lines continue the previous value.
 */
export interface IniSection {
  name: string
  entries: Array<[key: string, value: string]>
}

export class IniSyntaxError extends Error {}

export function parseIni(text: string, source = 'config'): IniSection[] {
  const sections: IniSection[] = []
  let current: IniSection | undefined
  let lastKey: [string, string] | undefined
  const lines = text.split(/\r?\n/)
  for (const [i, line] of lines.entries()) {
    const where = `${source} line ${i + 1}`
    if (/^\s*$/.test(line)) {
      lastKey = undefined
      continue
    }
    if (/^[#;]/.test(line)) continue
    if (/^\s/.test(line) && lastKey) {
      lastKey[1] += '\n' + line.trim()
      continue
    }
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line)
    if (header) {
      const name = header[1].trim()
      if (sections.some(s => s.name === name)) throw new IniSyntaxError(`${where}: section [${name}] appears twice`)
      current = {name, entries: []}
      sections.push(current)
      lastKey = undefined
      continue
    }
    const kv = /^\s*([^=:\s][^=:]*?)\s*[=:]\s*(.*?)\s*$/.exec(line)
    if (!kv) throw new IniSyntaxError(`${where}: expected "[section]" or "keyword = value", got ${JSON.stringify(line.trim())}`)
    if (!current) throw new IniSyntaxError(`${where}: keyword "${kv[1]}" appears before any [section]`)
    if (current.entries.some(([k]) => k === kv[1])) throw new IniSyntaxError(`${where}: keyword "${kv[1]}" appears twice in [${current.name}]`)
    lastKey = [kv[1], kv[2]]
    current.entries.push(lastKey)
  }
  return sections
}

export function formatIni(sections: readonly IniSection[]): string {
  const out: string[] = []
  for (const s of sections) {
    if (out.length > 0) out.push('')
    out.push(`[${s.name}]`)
    for (const [k, v] of s.entries) out.push(`${k} = ${v.replace(/\n/g, '\n\t')}`)
  }
  return out.join('\n') + '\n'
}
