import {Flags} from '@oclif/core'
import {writeFileSync} from 'node:fs'
import {SvcmgrCommand} from '../../cli/base.js'
import {configSchema} from '../../services/schema.js'

export default class PrintSchema extends SvcmgrCommand {
  static description =
    "Print a JSON Schema (draft 2020-12) of a service config in its JSON form, built from the installed drivers' keyword manifests, for editors and CI to validate JSON configs."
  static examples = [
    '<%= config.bin %> print schema > svcmgr.schema.json',
    '<%= config.bin %> print schema --output .vscode/svcmgr.schema.json',
  ]
  static flags = {
    output: Flags.string({char: 'o', description: 'Write the schema to this file instead of standard output.'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(PrintSchema)
    const text = JSON.stringify(await configSchema(await this.session()), null, 2) + '\n'
    if (flags.output) writeFileSync(flags.output, text)
    else process.stdout.write(text)
  }
}
