import {Flags} from '@oclif/core'
import {ServiceCommand, parseKwAssignment} from '../cli/base.js'
import {UsageError} from '../errors.js'

export default class Get extends ServiceCommand {
  static description = 'Print the raw value of a keyword; with --eval, its parsed value with defaults applied.'
  static examples = ['<%= config.bin %> -s svc2 get --kw container#3.image', '<%= config.bin %> -s svc2 get --kw container#3.stop_timeout --eval']
  static flags = {
    kw: Flags.string({description: '<section>.<keyword> (no section: DEFAULT).', required: true}),
    eval: Flags.boolean({description: 'The value as the driver sees it: typed, default applied (durations in ms).'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Get)
    const {section, keyword} = parseKwAssignment(flags.kw, false)
    const session = await this.session()
    if (flags.eval) {
      const {service} = await session.load(flags.service)
      const r = service.resource(section)
      if (!r) throw new UsageError(`--kw ${flags.kw}: no resource ${section} in ${flags.service}`)
      const generic: Record<string, unknown> = {type: r.type, tags: r.tags, subset: r.subset, optional: r.optional, disable: r.disabled, standby: r.standby}
      const value = keyword in generic ? generic[keyword] : (r.kw as Record<string, unknown>)[keyword]
      if (value === undefined && !(keyword in generic) && !r.driver.keywords.some(k => k.name === keyword)) throw new UsageError(`--kw ${flags.kw}: ${r.group}.${r.type} has no keyword ${keyword}`)
      this.log(flags.format === 'json' ? JSON.stringify(value ?? null) : Array.isArray(value) ? value.join(' ') : String(value ?? ''))
      return
    }
    const entry = session.store.read(flags.service).find(s => s.name === section)?.entries.find(([k]) => k === keyword)
    if (!entry) throw new UsageError(`--kw ${flags.kw}: not set in ${flags.service}`)
    this.log(flags.format === 'json' ? JSON.stringify(entry[1]) : entry[1])
  }
}
