import ValidateConfig from './config.js'

/** `svcmgr validate --config F` (the form the driver guide uses) is `svcmgr validate config --config F`. */
export default class Validate extends ValidateConfig {
  static description =
    "Check a service's config (or a config file) against the loaded drivers, without touching the host or any engine (the same as `validate config`)."
  static examples = ['<%= config.bin %> -s svc2 validate', '<%= config.bin %> validate --config svc2.json']
}
