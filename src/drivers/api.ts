/**
 * The driver API: the contract between svcmgr's core and the driver plugins.
 *
 * A plugin registers drivers through the `svcmgr:drivers` oclif hook (see ./hook.ts).
 * Drivers only `import type` from here; everything they need at run time (command
 * runner, logger, waits, peers) arrives in the context objects, so a plugin installed
 * anywhere works with whatever core loads it.
 */

/**
 * Bumped on incompatible changes. A plugin declares the version it was written for in its
 * registration (`apiVersion`); the core loads only registrations of its own version and reports
 * the others by plugin name (src/drivers/load.ts). The hook also receives it.
 */
export const DRIVER_API_VERSION = 1

export type StatusValue = 'up' | 'down' | 'warn' | 'n/a' | 'stdby up' | 'stdby down'

/** Each keyword value type and what a driver receives for it in `Resource.kw` (durations in ms, sizes in bytes). */
export interface KeywordValueTypes {
  string: string
  bool: boolean
  int: number
  duration: number
  size: number
  list: readonly string[]
}

export type KeywordType = keyof KeywordValueTypes

/** One keyword of a driver's manifest. `default` is written as a config file would write it. */
export interface KeywordSpec {
  readonly name: string
  readonly aliases?: readonly string[]
  readonly type?: KeywordType
  readonly default?: string
  readonly choices?: readonly string[]
  readonly required?: boolean
  readonly help: string
  /**
   * Extra check of a value, given as written and as parsed for its type (a list's words, a
   * duration's milliseconds): return what was expected ("an IPv4 address") or undefined when fine.
   */
  readonly check?: (raw: string, parsed: KeywordValue) => string | undefined
  /**
   * The core masks this keyword's value in every log line, event and dry-run plan of the
   * resource: true, the whole value (or each word of a list) shows as `***`; 'values', a list of
   * KEY=VALUE words whose VALUEs show as `KEY=***`. `print config` still shows the config as written.
   */
  readonly secret?: true | 'values'
  /**
   * For a value that holds secrets in a form of its own (docker's run_args: the words of its
   * -e/--env options): its KEY=VALUE words whose VALUEs are secret, masked as `secret: 'values'`
   * words are, wherever they appear (`--env=KEY=***` too).
   */
  readonly secretValues?: (value: KeywordValue) => readonly string[]
}

export type KeywordValue = string | number | boolean | readonly string[] | undefined

/**
 * A keyword manifest written `[...] as const satisfies KeywordManifest`: the literal names,
 * types, choices, defaults and required flags stay in its type, so `KeywordsOf` derives the
 * parsed record from it (type-only: a plugin needs nothing from svcmgr at run time).
 */
export type KeywordManifest = readonly KeywordSpec[]

/** The parsed value of one keyword: its type's (string by default), narrowed to its choices. */
export type KeywordValueOf<S extends KeywordSpec> = S extends {readonly choices: readonly (infer C extends string)[]}
  ? S extends {readonly type: 'list'}
    ? readonly C[]
    : C
  : S extends {readonly type: infer T extends KeywordType}
    ? KeywordValueTypes[T]
    : string

/** A keyword always present in `Resource.kw`: required, or defaulted. */
type AlwaysSet<S> = S extends {readonly required: true} ? true : S extends {readonly default: string} ? true : false

type Flatten<T> = {[P in keyof T]: T[P]} & {}

/**
 * The record a driver receives in `Resource.kw` for a manifest: `{image: string; start_timeout:
 * number; environment?: readonly string[]; ...}`. Required and defaulted keywords are present;
 * the others optional. `Driver<KeywordsOf<typeof MANIFEST>>` types a driver by its manifest.
 */
export type KeywordsOf<M extends KeywordManifest> = string extends M[number]['name']
  ? // a manifest typed KeywordSpec[] (not `as const`) says nothing of its names
    Readonly<Record<string, KeywordValue>>
  : Flatten<
      {readonly [S in M[number] as AlwaysSet<S> extends true ? S['name'] : never]: KeywordValueOf<S>} & {
        readonly [S in M[number] as AlwaysSet<S> extends true ? never : S['name']]?: KeywordValueOf<S>
      }
    >

/**
 * A resource of a service: its identity, the generic keywords (filled from the table in
 * src/drivers/generic-keywords.ts), and its driver keywords parsed and defaulted.
 */
export interface Resource<K = Record<string, KeywordValue>> {
  /** "container#3" */
  readonly rid: string
  /** "container" */
  readonly group: string
  /** "3" */
  readonly index: string
  /** The canonical driver type ("docker"), whatever alias the config wrote. */
  readonly type: string
  readonly subset?: string
  readonly tags: readonly string[]
  readonly disabled: boolean
  readonly optional: boolean
  readonly standby: boolean
  /** How many times the node agent restarts it when it goes down while the service should be up (keyword `restart`). */
  readonly restart: number
  /** Milliseconds the agent waits before such a restart (keyword `restart_delay`). */
  readonly restartDelay: number
  /** Restarts exhausted: the instance is failed (keyword `monitor`). */
  readonly monitor: boolean
  /** Driver keywords by canonical name, typed, defaults applied. Absent optional keywords are undefined. */
  readonly kw: K
}

export interface ServiceView {
  readonly name: string
  readonly id: string
  readonly nodename: string
  /** The DEFAULT section as written (keyword → raw value). */
  readonly defaults: Readonly<Record<string, string>>
  /** The DEFAULT keywords parsed for their types, defaults applied (e.g. docker_daemon_args as words). */
  readonly kw: Readonly<Record<string, KeywordValue>>
  readonly resources: readonly Resource[]
  resource(rid: string): Resource | undefined
  /** A folder private to this service for sockets, pid files and other runtime state. */
  readonly varDir: string
  /** Words as a command line, quoted as svcmgr logs every command: for describe() and label(), which get no context. */
  formatCommandLine(words: readonly string[]): string
  /** What a resource provides, as its driver's `provides()` declares it ([] when nothing, or no such rid). */
  provided(rid: string): readonly string[]
  /** What a resource needs, as its driver's `needs()` declares it ([] when nothing, or no such rid). */
  needed(rid: string): readonly Need[]
  /**
   * The enabled resources, other than `except`, that meet a need of `capability`: for a `path:`
   * the ones providing the longest prefix of it (the nearest enclosing mount), else the ones
   * providing exactly it. In natural rid order.
   */
  providers(capability: string, except?: string): readonly Resource[]
  /**
   * The enabled resources using `capability` as provided by its providers: those that need it
   * without preparing it, and, through what they provide of the same kind, those that need that
   * (a container joining a container that joined the namespace). In natural rid order.
   */
  users(capability: string, except?: string): readonly Resource[]
}

/**
 * A capability, as a resource provides or needs it: "<kind>:<value>". The core plugins use
 * `path:<absolute folder>` (an fs provides its mount point), `netns:<rid>` (a container's
 * network namespace; `netns:host` is the host's, which no resource provides) and `vg:<name>`
 * (a disk.vg's volume group). A `path:` need is met by the provider of its longest prefix;
 * any other by the same string.
 */
export type Capability = string

/** The resource and capability that met a need, given to a Need's reason. */
export interface Provision {
  readonly rid: string
  readonly capability: Capability
}

/** What a resource needs from the others: the core makes it start after their providers (and stop before them). */
export interface Need {
  readonly capability: Capability
  /** The edge's reason, as plans print it ("netns owner"); a function gets the provider that matched. Pure. */
  readonly reason: string | ((provider: Provision) => string)
  /**
   * This resource also prepares what it needs for its other users (ServiceView.users): it starts
   * before them too, with this reason (an ip.netns plumbs its address before the containers
   * sharing the namespace start).
   */
  readonly prepares?: string
  /**
   * What the need waits for of its provider: 'ready' (the default: started and, when it has a
   * readiness probe, ready) or 'started' (running is enough: an ip.netns needs its container's
   * namespace, not its readiness). See ReadinessCapability.
   */
  readonly gate?: DependencyGate
}

/** What a dependent waits for of the resource it depends on: its readiness (the default) or only its start. */
export type DependencyGate = 'ready' | 'started'

/** A start-order edge: `before` starts before `after` (and stops after it). */
export interface Dependency {
  readonly before: string
  readonly after: string
  readonly reason: string
  /** What `after` waits for of `before`: 'ready' by default, 'started' when running is enough. */
  readonly gate?: DependencyGate
}

export interface StatusLogEntry {
  readonly level: 'info' | 'warn' | 'error'
  readonly message: string
}

/** Status problems are data: a driver returns down/warn with a log entry instead of throwing. */
export interface ResourceStatus {
  readonly status: StatusValue
  readonly label?: string
  readonly log?: readonly StatusLogEntry[]
  readonly provisioned?: boolean
  /**
   * The keywords whose fingerprint (what the driver recorded when it made the resource) differs
   * from the config: [] in sync; absent when the driver records none or the resource has none.
   */
  readonly drift?: readonly string[]
  /**
   * Readiness the status probe learnt on its way, without probing again (a container's engine
   * health status). The core uses it when the resource has no explicit readiness_probe.
   */
  readonly readiness?: ProbeResult
}

export interface Logger {
  info(message: string): void
  warn(message: string): void
  error(message: string): void
  debug(message: string): void
}

export interface RunOptions {
  readonly input?: string
  /** Milliseconds; every command has one (default 60 s). */
  readonly timeout?: number
  /** Exit codes that are not failures (default [0]). */
  readonly okExitCodes?: readonly number[]
  readonly env?: Readonly<Record<string, string>>
  /** Do not log the command line (probes run for status). */
  readonly quiet?: boolean
  readonly cwd?: string
  /** Run as this user and group id (svcmgr runs as root). */
  readonly uid?: number
  readonly gid?: number
}

export interface RunResult {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

export interface WaitOptions {
  readonly timeoutMs: number
  readonly intervalMs?: number
}

export interface NetnsOptions {
  /**
   * Asked by a read-only pass (status, the dry-run's observation): an answer the command already
   * got for the same resource may serve, while the command has changed nothing since. An action
   * asks without it, and gets a look of its own.
   */
  readonly snapshot?: boolean
}

export interface NetnsInfo {
  /** A path nsenter --net= accepts, e.g. /proc/<pid>/ns/net */
  readonly path: string
  readonly pid: number
}

// ---------------------------------------------------------------------------------------
// readiness

/**
 * A parsed `readiness_probe` value (the core parses and validates it: src/readiness/probe.ts).
 * tcp: a connect to host:port (host absent: the resource's own address, e.g. 127.0.0.1 in a
 * container's network namespace); http: a GET, 2xx/3xx is ready; exec: a command, exit 0 is
 * ready; health: the engine's own health status; none: started is ready.
 */
export type ReadinessProbe =
  | {readonly kind: 'tcp'; readonly text: string; readonly host?: string; readonly port: number}
  | {
      readonly kind: 'http'
      readonly text: string
      readonly host?: string
      readonly port: number
      /** The path and query, "/" at least. */
      readonly path: string
    }
  | {readonly kind: 'exec'; readonly text: string; readonly argv: readonly string[]}
  | {readonly kind: 'health'; readonly text: 'health'}
  | {readonly kind: 'none'; readonly text: 'none'}

export type ReadinessProbeKind = ReadinessProbe['kind']

/** One probe's answer. `detail` is its last output or error, for messages and status ("refused", "HTTP 503"). */
export interface ProbeResult {
  readonly ready: boolean
  readonly detail?: string
  /** Not ready and never will be without a new start (the container exited): the wait ends at once. */
  readonly final?: boolean
}

export interface ProbeOptions {
  /** Milliseconds this one probe may take. */
  readonly timeoutMs: number
  readonly signal?: AbortSignal
}

/**
 * The engine-agnostic probe runners of the kit (src/readiness/runners.ts), on every context as
 * `ctx.probes`. `netns`: the path of a network namespace to probe in (/proc/PID/ns/net), the
 * host's when absent. A probe never throws for a "not ready" answer: it returns the reason.
 */
export interface ProbeKit {
  /** A TCP connect; with `listenPid` (a process in `netns`) and no host, polls that namespace's listening sockets first (no process spawned while nothing listens). */
  tcp(
    target: {host?: string; port: number; netns?: string; listenPid?: number},
    options: ProbeOptions,
  ): Promise<ProbeResult>
  /** An HTTP/1.0 GET: 2xx/3xx is ready. */
  http(
    target: {host?: string; port: number; path: string; netns?: string; listenPid?: number},
    options: ProbeOptions,
  ): Promise<ProbeResult>
  /** A command on the host from an argument vector (never a shell string): exit 0 is ready. */
  exec(
    argv: readonly string[],
    options: ProbeOptions & Pick<RunOptions, 'env' | 'uid' | 'gid' | 'cwd'>,
  ): Promise<ProbeResult>
}

/**
 * The readiness capability: a driver that has it gets the readiness_probe, readiness_timeout and
 * readiness_interval keywords (the core adds them to its manifest), and the executor gates the
 * next stage on its resources' readiness: after `start`, it probes at once, then every interval,
 * until ready or the timeout (which fails the start: rolled back like any failure).
 */
export interface ReadinessCapability<K = any> {
  /** The probe kinds this driver can run ('none' is always accepted). */
  readonly kinds: readonly ReadinessProbeKind[]
  /**
   * The probe when readiness_probe is not set (a container whose image has a HEALTHCHECK: health);
   * undefined: started is ready. Called once per start, after it.
   */
  defaultProbe?(ctx: DriverContext<K>): Promise<ReadinessProbe | undefined>
  /** What the default is, for --dry-run ("health when the image has a HEALTHCHECK, else none"). */
  readonly defaultHelp?: string
  /** Where and how a probe runs, for --dry-run ("connect to 127.0.0.1:6379 in the container's network namespace"). Pure. */
  describe?(probe: ReadinessProbe, res: Resource<K>, svc: ServiceView): string
  /** One probe of a started resource. Not ready is an answer (with its reason), not an exception. */
  probe(ctx: DriverContext<K>, probe: ReadinessProbe, options: ProbeOptions): Promise<ProbeResult>
}

/**
 * What a watched resource's driver saw (the node agent's `watch` capability): `event` as the
 * source names it (docker: die, oom, destroy), or 'resync' when events may have been missed (a
 * reconnection to the engine): the agent then checks the status of everything it watches there.
 */
export interface ResourceChange {
  readonly rid: string
  readonly event: string
  /** For the agent's log ("container svc2.container.1 died (exit code 137)"). */
  readonly message: string
}

/** Optional capabilities other drivers look up through `ctx.peer(rid)`, and the core's. */
export interface DriverCapabilities<K = any> {
  /** The network namespace a resource holds (a running container's). */
  netns?(ctx: DriverContext<K>, options?: NetnsOptions): Promise<NetnsInfo | undefined>
  /** Readiness distinct from running: see ReadinessCapability. */
  readiness?: ReadinessCapability<K>
  /**
   * Changes of the resource as they happen, for the node agent (svcmgr daemon), which otherwise
   * polls `status` every monitor_interval: `onChange` is called for each (never for changes of
   * other resources), until `signal` aborts. Returns once subscribed; the driver reconnects by
   * itself (with backoff) and calls onChange with event 'resync' after a reconnection. A hint
   * only: the agent always checks `status` before it acts.
   */
  watch?(ctx: DriverContext<K>, onChange: (change: ResourceChange) => void, signal: AbortSignal): Promise<void>
}

export interface PeerHandle {
  readonly resource: Resource
  readonly driver: Driver
  readonly context: DriverContext
}

/** Settings a driver may read. */
export interface DriverSettings {
  readonly root: string
  readonly nodename: string
  /** Explicit engine address from svcmgr's settings or DOCKER_HOST; undefined means the default socket. */
  readonly dockerHost?: string
}

/**
 * The driver kit's host helpers: one implementation in the core (src/drivers/host.ts) for what
 * drivers need of the machine. On every context as `ctx.host`; plugin commands get the same
 * from the `svcmgr:settings` hook.
 */
export interface HostKit {
  /** A program's path: PATH, then the sbin folders a non-root PATH may miss; undefined when not installed. */
  which(program: string): Promise<string | undefined>
  /** A process's start time (from /proc/<pid>/stat), to record beside its pid against pid reuse. */
  processStartTime(pid: number): string | undefined
  /** Whether pid is a live process, not a zombie, and (given startTime) the one that started then. */
  pidAlive(pid: number, startTime?: string): boolean
  /**
   * What `blkid -p` finds on a device: its TYPE (ext4, LVM2_member, ...), `a <PTTYPE> partition
   * table`, its USAGE or `an unknown signature`; undefined when it holds none. A failed probe throws.
   */
  deviceSignature(device: string): Promise<string | undefined>
  /** Creates a folder and its missing parents 0700 whatever the umask (an existing one loses group/other write). */
  ensurePrivateDir(dir: string): void
  /** Replaces a file with data: 0600, through an exclusively created temporary file renamed over it, never through a link. */
  writePrivateFile(file: string, data: string): void
  /** Opens a file for appending (created 0600, a looser one tightened; a link there is refused): a file descriptor to close. */
  openPrivateAppend(file: string): number
}

export interface DriverContext<K = Record<string, KeywordValue>> {
  readonly resource: Resource<K>
  readonly service: ServiceView
  readonly settings: DriverSettings
  readonly log: Logger
  readonly signal: AbortSignal
  /** Runs a command from an argument vector (never a shell string), logs it and its output, throws on failure. */
  run(file: string, args: readonly string[], options?: RunOptions): Promise<RunResult>
  /** Polls `probe` until it returns true; throws naming `what` when `timeoutMs` passes. */
  waitFor(what: string, probe: () => Promise<boolean>, options: WaitOptions): Promise<void>
  /** Another resource of the same service, with its driver and a context for it. */
  peer(rid: string): PeerHandle | undefined
  /** The first of `service.providers(capability)` (this resource left out) as a peer: "is the fs holding /x up". */
  provider(capability: Capability): PeerHandle | undefined
  /** Shared by all resources during one command (clients, memoized probes). */
  readonly cache: Map<string, unknown>
  /** Host helpers (finding programs, pid checks, device signatures, private files). */
  readonly host: HostKit
  /** Readiness probe runners (tcp, http, exec on the host or in a network namespace). */
  readonly probes: ProbeKit
  /**
   * An observe() made from this resource's own status() (read-only, as print status): up → none
   * (`already up`), down → start with the status's reason, warn → `not probed` with the static
   * steps; provision and unprovision read `provisioned`. For a driver whose start changes nothing
   * its status does not show: `observe: (ctx, op) => ctx.observeFromStatus(op)`.
   */
  observeFromStatus(op: StepAction): Promise<ObservedStep>
  /** Words as a command line an operator could paste, quoted as svcmgr logs every command (display only). */
  formatCommandLine(words: readonly string[]): string
}

export type StepAction = 'start' | 'stop' | 'provision' | 'unprovision'

/** What a task will do to its resource (the same union as the plan's: src/planner/types.ts). */
export type PlannedChange = 'none' | 'create' | 'start' | 'stop' | 'recreate' | 'remove' | 'provision' | 'unprovision'

/** What a driver saw of its resource when planning: deterministic facts only (no timestamps). */
export interface ObservedState {
  readonly status: StatusValue | 'unknown'
  readonly detail?: string
  /** Keywords whose fingerprint differs from the config ([] in sync; absent: no fingerprint or not probed). */
  readonly drift?: readonly string[]
}

/**
 * A driver's answer to observe(): the change `op` would make now, why, the steps it would take
 * (as describe() words them, only those that would run) and what it saw.
 */
export interface ObservedStep {
  readonly change: PlannedChange
  readonly cause: string
  readonly steps: readonly string[]
  readonly observed: ObservedState
}

export interface ActionContext<K = Record<string, KeywordValue>> extends DriverContext<K> {
  readonly action: StepAction
  /** The whole command this step belongs to: a stop step of a 'restart' is followed by a start. */
  readonly command: 'start' | 'stop' | 'restart' | 'provision' | 'unprovision'
  /** --force: allowed to destroy data or kill holders where the driver supports it. */
  readonly force: boolean
  readonly journal: Journal
  /**
   * The plan's observed step for this task, when the plan was observed (src/planner/observe.ts):
   * the driver carries it out (a docker start recreates when planned 'recreate') and decides nothing.
   */
  readonly planned?: ObservedStep
}

/** Register the undo of a change only after the change really happened. */
export interface Journal {
  undo(description: string, fn: () => Promise<void>): void
}

/** 'unchanged' makes the executor report "already up" / "already down". */
export type ChangeResult = 'changed' | 'unchanged'

export interface Driver<K = any> {
  /** "container", "ip", "disk", "fs", "app", ... (decides the start order: see src/planner/order.ts) */
  readonly group: string
  /** "docker", "netns", "vg", "ext4", ... */
  readonly type: string
  /** Other names accepted in a section's `type =` (e.g. ip `docker` for `netns`). */
  readonly typeAliases?: readonly string[]
  /** Used for a section of this group with no `type` keyword. */
  readonly isDefaultType?: boolean
  /** Extra group names whose sections this driver also serves ("vg" sections are disk.vg). */
  readonly sectionAliases?: readonly string[]
  readonly description: string
  readonly keywords: readonly KeywordSpec[]
  /** Cross-keyword and cross-resource checks done at create/set/validate. Return error sentences, each naming its keyword. */
  validate?(res: Resource<K>, svc: ServiceView): string[]
  /** Start-order edges this resource takes part in (prefer `provides`/`needs`: they name no other driver). */
  dependencies?(res: Resource<K>, svc: ServiceView): Dependency[]
  /** Capabilities this resource offers the service's other resources ("path:/opt/x"). Pure. */
  provides?(res: Resource<K>, svc: ServiceView): Capability[]
  /** Capabilities this resource needs; the core orders it after their providers. Pure. */
  needs?(res: Resource<K>, svc: ServiceView): Need[]
  /** A short label for status when nothing can be probed (e.g. "docker container svc2.container.1@nginx"). */
  label(res: Resource<K>, svc: ServiceView): string
  /** What `action` will do, as commands or API calls, for --dry-run. Must be pure. */
  describe(action: StepAction, res: Resource<K>, svc: ServiceView): string[]
  status(ctx: DriverContext<K>): Promise<ResourceStatus>
  /**
   * Read-only: what `op` would change now, from the resource's observed state, with its cause.
   * Changes nothing on the host or engine. A driver without it is planned from describe()
   * (cause `not probed: the driver cannot observe`). A driver that cannot probe (engine
   * unreachable) returns change = op, observed status 'unknown' and describe()'s steps.
   */
  observe?(ctx: DriverContext<K>, op: StepAction): Promise<ObservedStep>
  /**
   * Optional: a read-only pass (status) is about to look at the service's sections of this
   * driver: start now the reads it will make, so that they overlap with compiling the config
   * (a 10,000-container status's one engine list is most of its time). Given the stored config
   * as written (not validated) and the pass's `ctx.cache`, where the reads are put for the pass
   * to find. It changes nothing, never throws, and what it starts serves only a pass that asks
   * the same; a failed read is the pass's to make again and report. It may return a promise
   * that settles once its requests are sent: compiling holds the event loop, so a request not
   * yet written would wait for it (the core waits PREFETCH_SEND_WAIT_MS at most).
   */
  prefetch?(request: PrefetchRequest): Promise<void> | void | undefined
  start(ctx: ActionContext<K>): Promise<ChangeResult>
  stop(ctx: ActionContext<K>): Promise<ChangeResult>
  provision?(ctx: ActionContext<K>): Promise<ChangeResult>
  unprovision?(ctx: ActionContext<K>): Promise<ChangeResult>
  readonly capabilities?: DriverCapabilities<K>
}

/** What Driver.prefetch is given: the service's sections of that driver, as the stored config writes them. */
export interface PrefetchRequest {
  readonly service: {readonly name: string; readonly varDir: string}
  /** The DEFAULT section's keywords, raw. */
  readonly defaults: Readonly<Record<string, string>>
  /** This driver's sections ("container#3": group container, index 3), their keywords raw. */
  readonly sections: ReadonlyArray<{
    readonly rid: string
    readonly group: string
    readonly index: string
    readonly kw: Readonly<Record<string, string>>
  }>
  readonly settings: DriverSettings
  /** The pass's cache (its contexts' ctx.cache). */
  readonly cache: Map<string, unknown>
}

/** What a plugin's `svcmgr:drivers` hook returns. */
export interface DriverRegistration {
  /** The driver API version this plugin was written for (DRIVER_API_VERSION); absent is read as 1. */
  readonly apiVersion?: number
  readonly drivers: readonly Driver[]
  /** Keywords this plugin adds to the DEFAULT section (e.g. docker_data_dir). */
  readonly defaultKeywords?: readonly KeywordSpec[]
}

// a type alias, not an interface: oclif's hook options must be assignable to Record<string, unknown>
export type DriverHookOptions = {
  readonly apiVersion: number
}

/** What the core's `svcmgr:settings` hook answers: svcmgr's settings and the kit, for plugin commands. */
export interface SettingsHookResult {
  readonly settings: DriverSettings
  readonly host: HostKit
  formatCommandLine(words: readonly string[]): string
}
