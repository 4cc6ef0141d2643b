/** The lean validate's work (./lean-validate.ts): the command's check and output, as oclif prints them. */
import {formatValidation, validationJson} from '../render/validation.js'
import {validateConfig} from '../services/validate.js'
import {type LeanValidateRequest, leanValidateRequest} from './lean-validate.js'
import {exitOnceWritten, type LeanCommand} from './lean-status.js'

export const leanValidateCommand: LeanCommand<LeanValidateRequest> = {
  request: leanValidateRequest,
  async run(session, _config, request) {
    const validated = await validateConfig(session, {service: request.service, config: request.config})
    // as the command's printJson and log
    await exitOnceWritten(
      request.format === 'json'
        ? JSON.stringify(validationJson(validated), null, 2) + '\n'
        : formatValidation(validated) + '\n',
    )
  },
}
