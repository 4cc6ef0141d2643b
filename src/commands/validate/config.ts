import {Flags} from '@oclif/core'
import {SvcmgrCommand} from '../../cli/base.js'
import {UsageError} from '../../errors.js'
import {formatValidation, validationJson} from '../../render/validation.js'
import {validateConfig} from '../../services/validate.js'

export default class ValidateConfig extends SvcmgrCommand {
  static description =
    "Check a service's config (or a config file) against the loaded drivers, without touching the host or any engine."
  static examples = [
    '<%= config.bin %> -s svc2 validate config',
    '<%= config.bin %> validate config --config svc2.json',
  ]
  static flags = {
    service: Flags.string({char: 's', description: 'The service whose stored config to check.'}),
    config: Flags.string({description: 'A config file to check instead (- for standard input).'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(this.constructor as typeof ValidateConfig)
    if (!flags.service && !flags.config)
      throw new UsageError(`${this.id?.replaceAll(':', ' ')}: give -s/--service or --config`)
    const validated = await validateConfig(await this.session(), {service: flags.service, config: flags.config})
    if (flags.format === 'json') this.printJson(validationJson(validated))
    else this.log(formatValidation(validated))
  }
}
