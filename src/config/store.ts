/** The service config store: one INI file per service under <root>/etc, written atomically, private to its owner. */
import fs from 'node:fs'
import path from 'node:path'
import type {Settings} from './settings.js'
import {type ServiceDocument, documentToIni, isEmptyDocument} from './document.js'
import {ConfigFormatError} from '../errors.js'
import {parseIni} from './ini.js'
import {writeStateFileAtomic} from './state-files.js'
import {UsageError} from '../errors.js'

const NAME_RE = /^[a-z0-9][a-z0-9_.-]{0,62}$/i

export function checkServiceName(name: string): void {
  if (!NAME_RE.test(name) || name.includes('..'))
    throw new UsageError(
      `-s/--service: expected a service name of letters, digits, '.', '_' or '-' (at most 63, starting with a letter or digit), got ${JSON.stringify(name)}`,
    )
}

export class ServiceStore {
  constructor(private readonly settings: Settings) {}

  configPath(name: string): string {
    return path.join(this.settings.etcDir, `${name}.conf`)
  }

  varDir(name: string): string {
    return path.join(this.settings.varDir, name)
  }

  logFile(name: string): string {
    return path.join(this.settings.logDir, `${name}.log`)
  }

  exists(name: string): boolean {
    return fs.existsSync(this.configPath(name))
  }

  list(): string[] {
    try {
      return fs
        .readdirSync(this.settings.etcDir)
        .filter(f => f.endsWith('.conf'))
        .map(f => f.slice(0, -5))
        .sort()
    } catch {
      return []
    }
  }

  read(name: string): ServiceDocument {
    checkServiceName(name)
    let text: string
    try {
      text = fs.readFileSync(this.configPath(name), 'utf8')
    } catch {
      throw this.noSuchService(name)
    }
    const doc = parseIni(text, this.configPath(name))
    // a stored file emptied by hand or truncated is not a service with nothing in it
    if (isEmptyDocument(doc))
      throw new ConfigFormatError(
        `${this.configPath(name)}: the stored config of ${name} is empty (no section, or only an empty [DEFAULT]): \`svcmgr -s ${name} create --force --config FILE\` replaces it, \`svcmgr -s ${name} delete\` removes the service`,
      )
    return doc
  }

  /** Refuses a name that has no config, without parsing it (a config that no longer parses can still be deleted). */
  requireExists(name: string): void {
    checkServiceName(name)
    if (!this.exists(name)) throw this.noSuchService(name)
  }

  private noSuchService(name: string): UsageError {
    return new UsageError(
      `-s/--service: no service named "${name}" (config ${this.configPath(name)} not found; \`svcmgr ls\` lists them)`,
    )
  }

  /**
   * Writes a private (0600) temporary file next to the target, fsyncs, then renames: readers see
   * the old file or the new one. The text is made first: a document the printer refuses (or an
   * empty one, which read() would refuse) leaves no temporary file and the stored config as it was.
   */
  write(name: string, doc: ServiceDocument): void {
    checkServiceName(name)
    if (isEmptyDocument(doc))
      throw new ConfigFormatError(
        `${name}: refusing to store an empty config (no section, or only an empty [DEFAULT]): \`svcmgr -s ${name} delete\` removes the service`,
      )
    const text = documentToIni(doc)
    writeStateFileAtomic(this.configPath(name), text)
  }

  remove(name: string): void {
    fs.rmSync(this.configPath(name), {force: true})
    fs.rmSync(this.varDir(name), {recursive: true, force: true})
  }

  isFrozen(name: string): boolean {
    return fs.existsSync(path.join(this.varDir(name), 'frozen'))
  }

  setFrozen(name: string, frozen: boolean): void {
    const flag = path.join(this.varDir(name), 'frozen')
    if (frozen) {
      writeStateFileAtomic(flag, new Date().toISOString() + '\n')
    } else {
      fs.rmSync(flag, {force: true})
    }
  }
}
