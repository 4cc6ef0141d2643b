import path from 'node:path'
import {Flags} from '@oclif/core'
import {SvcmgrCommand} from '../../cli/base.js'
import {buildPlan} from '../../planner/plan.js'
import {readConfigInput} from '../../services/config-edit.js'
import {parseDocument} from '../../config/document.js'
import {ConfigError, UsageError} from '../../errors.js'

export default class ValidateConfig extends SvcmgrCommand {
  static description = "Check a service's config (or a config file) against the loaded drivers, without touching the host or any engine."
  static examples = ['<%= config.bin %> -s svc2 validate config', '<%= config.bin %> validate config --config svc2.json']
  static flags = {
    service: Flags.string({char: 's', description: 'The service whose stored config to check.'}),
    config: Flags.string({description: 'A config file to check instead (- for standard input).'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(ValidateConfig)
    if (!flags.service && !flags.config) throw new UsageError('validate config: give -s/--service or --config')
    const session = await this.session()
    // a file is named after itself ("svc2.json" → svc2) in messages
    const name = flags.service ?? (flags.config && flags.config !== '-' ? path.basename(flags.config).replace(/\.[^.]*$/, '') : 'svc')
    const doc = flags.config ? await (async () => {
      const input = await readConfigInput(flags.config!)
      return parseDocument(input.text, name, input.origin)
    })() : session.store.read(name)
    const service = await session.compile(name, doc)
    // ordering problems (dependency cycles) are config problems too
    try {
      buildPlan(service, 'start')
    } catch (error) {
      throw new ConfigError([(error as Error).message])
    }
    if (flags.format === 'json') this.printJson({valid: true, service: name, resources: service.resources.map(r => r.rid)})
    else this.log(`${name}: config is valid (${service.resources.length} resources)`)
  }
}
