/** A service config as `print config` shows it: INI as written, or its JSON form. */
import {type ServiceDocument, documentToIni, documentToJson} from '../config/document.js'

export function formatConfig(doc: ServiceDocument, format: 'text' | 'json'): string {
  return format === 'json' ? JSON.stringify(documentToJson(doc), null, 2) + '\n' : documentToIni(doc)
}
