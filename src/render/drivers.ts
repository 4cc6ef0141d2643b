/** The text of `svcmgr drivers`: the list of driver types, or one type's keywords. */
import type {DriverDetail, DriverInfo, KeywordInfo} from '../services/drivers.js'

/** The one-line form of a keyword's properties: "(duration, default 10s, one of: a, b, required, aliases: x)". */
function keywordTraits(k: KeywordInfo): string {
  const traits = [k.type]
  if (k.default !== undefined) traits.push(`default ${k.default === '' ? '""' : k.default}`)
  if (k.choices) traits.push(`one of: ${k.choices.join(', ')}`)
  if (k.required) traits.push('required')
  if (k.aliases.length > 0) traits.push(`alias${k.aliases.length > 1 ? 'es' : ''}: ${k.aliases.join(', ')}`)
  return `(${traits.join('; ')})`
}

function wrap(text: string, indent: string, width = 100): string[] {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) lines.push(indent + line)
  return lines
}

/** One entry per type (plugin, version, how sections name it, description, keyword names), then the generic keywords. */
export function formatDriverList(
  infos: readonly DriverInfo[],
  genericKeywordNames: readonly string[],
  bin: string,
): string[] {
  if (infos.length === 0) return ['No driver installed (install a driver plugin with `svcmgr plugins install`).']
  const lines: string[] = []
  for (const i of infos) {
    const notes = [
      i.isDefaultType ? `default type of [${i.group}#N]` : '',
      i.typeAliases.length ? `also type = ${i.typeAliases.join(', ')}` : '',
      i.sections.length > 1 ? `sections ${i.sections.slice(1).join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; ')
    lines.push(
      `${i.type.padEnd(20)} ${i.plugin}${i.pluginVersion ? ` ${i.pluginVersion}` : ''}${notes ? `  (${notes})` : ''}`,
      ...wrap(i.description, '    '),
      ...wrap(`keywords: ${i.keywords.map(k => k.name).join(', ')}`, '    '),
    )
  }
  lines.push(
    '',
    `Every resource section also takes: ${genericKeywordNames.join(', ')}. \`${bin} drivers <group.type>\` describes a type's keywords.`,
  )
  return lines
}

export function formatDriverDetail(d: DriverDetail): string[] {
  const typeName = d.type.slice(d.group.length + 1)
  const how = [
    `sections: ${d.sections.map(s => `[${s}]`).join(', ')}`,
    `type = ${[typeName, ...d.typeAliases].join(' | ')}`,
    d.isDefaultType ? `(or no type: the default of ${d.group})` : '',
  ]
  const lines = [
    `${d.type}: from plugin ${d.plugin}${d.pluginVersion ? ` ${d.pluginVersion}` : ''}`,
    ...wrap(d.description, '  '),
    `  ${how.filter(Boolean).join('  ')}`,
    '',
    'Keywords:',
  ]
  for (const k of d.keywords) lines.push(`  ${k.name}  ${keywordTraits(k)}`, ...wrap(k.help, '      '))
  lines.push(
    '',
    `Generic keywords (every resource): ${d.genericKeywords.map(k => `${k.name} ${keywordTraits(k)}`).join(', ')}`,
  )
  return lines
}
