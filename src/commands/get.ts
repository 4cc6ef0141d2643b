import {Flags} from '@oclif/core'
import {ServiceCommand, parseKwAssignment} from '../cli/base.js'
import {formatKeywordValue} from '../render/keyword-value.js'
import {evaluatedKeywordValue, rawKeywordValue} from '../services/keyword-value.js'

export default class Get extends ServiceCommand {
  static description = 'Print the raw value of a keyword; with --eval, its parsed value with defaults applied.'
  static examples = [
    '<%= config.bin %> -s svc2 get --kw container#3.image',
    '<%= config.bin %> -s svc2 get --kw container#3.stop_timeout --eval',
  ]
  static flags = {
    kw: Flags.string({description: '<section>.<keyword> (no section: DEFAULT).', required: true}),
    eval: Flags.boolean({description: 'The value as the driver sees it: typed, default applied (durations in ms).'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Get)
    const {section, keyword} = parseKwAssignment(flags.kw, false)
    const session = await this.session()
    const query = {service: flags.service, section, keyword, spec: flags.kw}
    const value = flags.eval ? await evaluatedKeywordValue(session, query) : rawKeywordValue(session, query)
    this.log(formatKeywordValue(value, flags.format as 'text' | 'json'))
  }
}
