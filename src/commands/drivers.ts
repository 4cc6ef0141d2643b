import {Args} from '@oclif/core'
import {SvcmgrCommand} from '../cli/base.js'
import type {Driver, KeywordSpec} from '../drivers/api.js'
import {GENERIC_RESOURCE_KEYWORDS} from '../drivers/generic-keywords.js'
import type {DriverRegistry, RegisteredDriver} from '../drivers/registry.js'
import {UsageError} from '../errors.js'

interface KeywordInfo {
  name: string
  type: string
  default?: string
  choices?: string[]
  required: boolean
  aliases: string[]
  help: string
}

interface DriverInfo {
  type: string
  group: string
  plugin: string
  pluginVersion?: string
  description: string
  isDefaultType: boolean
  typeAliases: string[]
  sections: string[]
  keywords: KeywordInfo[]
}

function keywordInfo(k: KeywordSpec): KeywordInfo {
  return {
    name: k.name,
    type: k.type ?? 'string',
    ...(k.default === undefined ? {} : {default: k.default}),
    ...(k.choices ? {choices: [...k.choices]} : {}),
    required: k.required === true,
    aliases: [...(k.aliases ?? [])],
    help: k.help,
  }
}

/** One entry per driver (the registry lists a driver under each name it answers to), sorted by group.type. */
function uniqueDrivers(registry: DriverRegistry): RegisteredDriver[] {
  const seen = new Set<Driver>()
  return registry
    .drivers()
    .filter(d => !seen.has(d.driver) && seen.add(d.driver))
    .sort((a, b) => `${a.driver.group}.${a.driver.type}`.localeCompare(`${b.driver.group}.${b.driver.type}`))
}

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

export default class Drivers extends SvcmgrCommand {
  static description = 'List the resource driver types the installed plugins provide (group.type, plugin, keywords), or describe the keywords of one.'
  static examples = ['<%= config.bin %> drivers', '<%= config.bin %> drivers app.forking', '<%= config.bin %> drivers container.docker --format json']
  static args = {
    type: Args.string({description: 'A driver type as group.type (e.g. container.docker), or a group whose default type to show (e.g. app).'}),
  }

  private info(d: RegisteredDriver): DriverInfo {
    const {driver} = d
    const version = this.config.plugins.get(d.plugin)?.version
    return {
      type: `${driver.group}.${driver.type}`,
      group: driver.group,
      plugin: d.plugin,
      ...(version ? {pluginVersion: version} : {}),
      description: driver.description,
      isDefaultType: driver.isDefaultType === true,
      typeAliases: [...(driver.typeAliases ?? [])],
      sections: [driver.group, ...(driver.sectionAliases ?? [])].map(s => `${s}#N`),
      keywords: driver.keywords.filter(k => k.name !== 'type').map(keywordInfo),
    }
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Drivers)
    const registry = await (await this.session()).registry()
    const drivers = uniqueDrivers(registry)
    if (!args.type) {
      const infos = drivers.map(d => this.info(d))
      if (flags.format === 'json') return this.printJson(infos)
      if (infos.length === 0) return this.log('No driver installed (install a driver plugin with `svcmgr plugins install`).')
      for (const i of infos) {
        const notes = [i.isDefaultType ? `default type of [${i.group}#N]` : '', i.typeAliases.length ? `also type = ${i.typeAliases.join(', ')}` : '', i.sections.length > 1 ? `sections ${i.sections.slice(1).join(', ')}` : '']
          .filter(Boolean)
          .join('; ')
        this.log(`${i.type.padEnd(20)} ${i.plugin}${i.pluginVersion ? ` ${i.pluginVersion}` : ''}${notes ? `  (${notes})` : ''}`)
        for (const l of wrap(i.description, '    ')) this.log(l)
        for (const l of wrap(`keywords: ${i.keywords.map(k => k.name).join(', ')}`, '    ')) this.log(l)
      }
      this.log('')
      this.log(`Every resource section also takes: ${GENERIC_RESOURCE_KEYWORDS.map(k => k.name).join(', ')}. \`${this.config.bin} drivers <group.type>\` describes a type's keywords.`)
      return
    }
    const [group, type] = args.type.includes('.') ? [args.type.slice(0, args.type.indexOf('.')), args.type.slice(args.type.indexOf('.') + 1)] : [args.type, undefined]
    const found = registry.find(group, type)
    if (!found) {
      const known = drivers.map(d => `${d.driver.group}.${d.driver.type}`).join(', ')
      throw new UsageError(`drivers: no driver type "${args.type}" is installed (installed: ${known || 'none'})`)
    }
    const i = this.info(found)
    if (flags.format === 'json') return this.printJson({...i, genericKeywords: GENERIC_RESOURCE_KEYWORDS.filter(k => k.name !== 'type').map(keywordInfo)})
    this.log(`${i.type}: from plugin ${i.plugin}${i.pluginVersion ? ` ${i.pluginVersion}` : ''}`)
    for (const l of wrap(i.description, '  ')) this.log(l)
    const how = [`sections: ${i.sections.map(s => `[${s}]`).join(', ')}`, `type = ${[found.driver.type, ...i.typeAliases].join(' | ')}`, i.isDefaultType ? `(or no type: the default of ${i.group})` : '']
    this.log(`  ${how.filter(Boolean).join('  ')}`)
    this.log('')
    this.log('Keywords:')
    for (const k of i.keywords) {
      this.log(`  ${k.name}  ${keywordTraits(k)}`)
      for (const l of wrap(k.help, '      ')) this.log(l)
    }
    this.log('')
    this.log(`Generic keywords (every resource): ${GENERIC_RESOURCE_KEYWORDS.filter(k => k.name !== 'type').map(k => `${k.name} ${keywordTraits(keywordInfo(k))}`).join(', ')}`)
  }
}
