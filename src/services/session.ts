/** What a command needs to work on services: settings, the store, the drivers, and loading a service. */
import type {Interfaces} from '@oclif/core'
import {type LenientCompile, compileService, compileServiceLenient} from '../config/compile.js'
import {type Settings, loadSettings} from '../config/settings.js'
import {ServiceStore} from '../config/store.js'
import type {ServiceDocument} from '../config/document.js'
import {loadDriverRegistry} from '../drivers/load.js'
import type {DriverRegistry} from '../drivers/registry.js'
import {type DeclaringPlugin, unneededByAll, unneededPlugins} from '../drivers/serves.js'
import type {Driver, PrefetchRequest} from '../drivers/api.js'
import {parseRid} from '../model/rid.js'
import type {Service} from '../model/service.js'

/** How long a read-only pass waits for the drivers' prefetch requests to be sent (Driver.prefetch). */
export const PREFETCH_SEND_WAIT_MS = 100

export class Session {
  private registryPromise?: Promise<DriverRegistry>
  /** The plugins whose svcmgr:drivers hook this command does not run (skipUnneeded). */
  private skip: ReadonlySet<string> = new Set()
  /** How many times registryFor loaded every plugin after a skip (a compile waiting meanwhile takes the new registry). */
  private reloads = 0
  /** The plugin problems already written to stderr (a reload for another config writes only new ones). */
  private readonly reported = new Set<string>()
  /** A stored config read ahead for this command (readAhead), until the next load of that service takes it. */
  private readAheadDoc?: {readonly name: string; readonly doc: ServiceDocument}
  /** Where the warnings about stored configs and stale locks go (the agent says each once). */
  warn: (line: string) => void = line => process.stderr.write(line)

  private constructor(
    readonly config: Interfaces.Config,
    readonly settings: Settings,
    readonly store: ServiceStore,
  ) {}

  static async open(config: Interfaces.Config): Promise<Session> {
    const settings = await loadSettings()
    return new Session(config, settings, new ServiceStore(settings))
  }

  /**
   * The drivers of every plugin but those skipUnneeded left out; a plugin that failed or
   * conflicts is reported by name, the others keep working.
   */
  registry(): Promise<DriverRegistry> {
    this.registryPromise ??= loadDriverRegistry(this.config, this.skip).then(registry => {
      for (const p of registry.problems) {
        const line = `svcmgr: warning: plugin ${p.plugin}: ${p.message}\n`
        if (!this.reported.has(line)) process.stderr.write(line)
        this.reported.add(line)
      }
      return registry
    })
    return this.registryPromise
  }

  /**
   * For a command on one service: leaves out the plugins that declare what they serve and that
   * neither its stored config (read ahead: the command's load takes this reading) nor any of
   * `others` (apply's new config, with which the stored one is optional) can need. Nothing is
   * left out when the stored config cannot be read (its error is the command's), nor once the
   * drivers are loaded. A config compiled later that needs a skipped plugin loads them all
   * (registryFor).
   */
  skipUnneeded(service: string, others?: readonly ServiceDocument[]): void {
    if (this.registryPromise) return
    const docs = [...(others ?? [])]
    try {
      if (!others || this.store.exists(service)) docs.push(this.readAhead(service))
    } catch {
      return
    }
    this.skipFor(docs)
  }

  /** Leaves out the declaring plugins none of these configs can need (nothing once the drivers are loaded). */
  skipFor(docs: readonly ServiceDocument[]): void {
    if (this.registryPromise) return
    this.skip = unneededByAll(docs, [...this.config.plugins.values()] as DeclaringPlugin[])
  }

  /** The plugins this command's drivers were loaded without. */
  get skipped(): ReadonlySet<string> {
    return this.skip
  }

  /** The registry, with every plugin when the one loaded left out a plugin this config may need. */
  private async registryFor(doc: ServiceDocument): Promise<DriverRegistry> {
    const reloads = this.reloads
    const registry = await this.registry()
    // another config's compile reloaded them all meanwhile: that registry, not the one awaited
    if (this.reloads !== reloads) return this.registry()
    if (this.skip.size === 0) return registry
    const unneeded = unneededPlugins(doc, [...this.config.plugins.values()] as DeclaringPlugin[])
    if (unneeded && [...this.skip].every(name => unneeded.has(name))) return registry
    this.skip = new Set()
    this.registryPromise = undefined
    this.reloads++
    return this.registry()
  }

  async compile(name: string, doc: ServiceDocument): Promise<Service> {
    return compileService(doc, await this.registryFor(doc), {
      name,
      nodename: this.settings.nodename,
      varDir: this.store.varDir(name),
    })
  }

  /**
   * Reads a service's stored config now and keeps it for the next load of that service (once):
   * the lean path reads it to choose the plugins (src/cli/lean-status.ts), and the command's own
   * load then uses that reading instead of parsing the file a second time. Only the next load:
   * every later one reads the file, and so does the check under the lock that it did not change.
   */
  readAhead(name: string): ServiceDocument {
    const doc = this.store.read(name)
    this.readAheadDoc = {name, doc}
    return doc
  }

  /** The read-ahead config of this service, once, else the stored file as it is now. */
  private readStored(name: string): ServiceDocument {
    const ahead = this.readAheadDoc
    this.readAheadDoc = undefined
    return ahead?.name === name ? ahead.doc : this.store.read(name)
  }

  /**
   * A read-only pass's cache with the reads the drivers start before the config is compiled
   * (Driver.prefetch): each driver with `prefetch` is given its sections of the stored config
   * (read ahead: the load that follows takes that reading). A config that does not read, or a
   * driver that throws, starts nothing: the pass finds and reports what is wrong as always.
   */
  async prefetch(name: string): Promise<Map<string, unknown>> {
    const cache = new Map<string, unknown>()
    let doc: ServiceDocument
    try {
      doc = this.readAheadDoc?.name === name ? this.readAheadDoc.doc : this.readAhead(name)
    } catch {
      return cache
    }
    const registry = await this.registry()
    const byDriver = new Map<Driver, PrefetchRequest['sections'][number][]>()
    let defaults: Record<string, string> = {}
    for (const section of doc) {
      if (section.name === 'DEFAULT') {
        defaults = Object.fromEntries(section.entries)
        continue
      }
      // a resource section (subsets and names that are no rid are the compile's to report)
      const rid = parseRid(section.name)
      if (!rid) continue
      const kw = Object.fromEntries(section.entries)
      const driver = registry.find(rid.group, kw.type?.trim() || undefined)?.driver
      if (!driver?.prefetch) continue
      let list = byDriver.get(driver)
      if (!list) byDriver.set(driver, (list = []))
      list.push({rid: section.name, group: rid.group, index: rid.index, kw})
    }
    const sending: Promise<unknown>[] = []
    for (const [driver, sections] of byDriver)
      try {
        const sent = driver.prefetch!({
          service: {name, varDir: this.store.varDir(name)},
          defaults,
          sections,
          settings: this.driverSettings,
          cache,
        })
        if (sent) sending.push(sent.catch(() => undefined))
      } catch {
        // a prefetch is an optimisation: the pass reads and reports for itself
      }
    // their requests written before the compile holds the event loop; never waited on for long
    if (sending.length > 0) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([Promise.all(sending), new Promise(r => (timer = setTimeout(r, PREFETCH_SEND_WAIT_MS)))])
      clearTimeout(timer)
    }
    return cache
  }

  async load(name: string): Promise<{doc: ServiceDocument; service: Service}> {
    const doc = this.readStored(name)
    return {doc, service: await this.compile(name, doc)}
  }

  /**
   * What can be understood of a stored config that may no longer validate (status, stop): each
   * problem ignored or section left out is warned about on stderr. A config that does not
   * parse still throws.
   */
  async loadLenient(name: string): Promise<{doc: ServiceDocument} & LenientCompile> {
    const doc = this.readStored(name)
    const compiled = compileServiceLenient(doc, await this.registryFor(doc), {
      name,
      nodename: this.settings.nodename,
      varDir: this.store.varDir(name),
    })
    for (const w of compiled.warnings)
      this.warn(
        `svcmgr: warning: ${name}'s stored config: ${w} (ignored; start and provision refuse until it is fixed)\n`,
      )
    for (const u of compiled.unusable)
      this.warn(
        `svcmgr: warning: ${name}'s stored config: ${u.problems.join('; ')} (section ${u.rid} cannot be used: its state is unknown)\n`,
      )
    return {doc, ...compiled}
  }

  get driverSettings() {
    return {root: this.settings.root, nodename: this.settings.nodename, dockerHost: this.settings.dockerHost}
  }
}
