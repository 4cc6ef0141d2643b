/**
 * What a container.docker resource asks of the engine, computed once from its keywords and
 * rendered two ways: the engine's create request (POST /containers/create) and the equivalent `docker run`
 * line that start logs and --dry-run shows. One source, so the log never lies about the call.
 */
import type {CreateRequest} from '../engine/http.js'
import type {Resource, ServiceView} from 'svcmgr'
import type {DockerKeywords} from './container-docker.keywords.js'
import {emptyRunArgs, parseRunArgs} from './run-args.js'
import {type Fingerprint, fingerprintLabel, fingerprintOf, LABEL_FINGERPRINT} from './fingerprint.js'

export const LABEL_SERVICE = 'com.svcmgr.service'
export const LABEL_RID = 'com.svcmgr.rid'
export const LABEL_ID = 'com.svcmgr.id'
/**
 * The image as configured: the container itself is created from the image's id (see
 * createOptions), so the engine's list need not resolve a name per container and the
 * container runs exactly the image start checked.
 */
export const LABEL_IMAGE = 'com.svcmgr.image'

type Res = Pick<Resource<DockerKeywords>, 'rid' | 'index' | 'kw'>
type Svc = Pick<ServiceView, 'name' | 'id'>

/**
 * Whether a container is one svcmgr made for this service and rid: its labels name the
 * service, the service's DEFAULT id and the rid. A container by the same name without them
 * (made by hand, or for another service or id) is foreign: never adopted, stopped or removed.
 * Containers of svcmgr versions before the id label carry service and rid only: accepted.
 */
export type Ownership = {readonly owned: true} | {readonly owned: false; readonly reason: string}

export function ownership(
  labels: Readonly<Record<string, string>> | null | undefined,
  name: string,
  svc: Svc,
  rid: string,
): Ownership {
  const l = labels ?? {}
  const id = l[LABEL_ID]
  if (l[LABEL_SERVICE] === svc.name && l[LABEL_RID] === rid && (id === undefined || id === svc.id)) return {owned: true}
  const ours = Object.entries(l)
    .filter(([k]) => k.startsWith('com.svcmgr.'))
    .map(([k, v]) => `${k}=${v}`)
  const labelText = ours.length ? `labels ${ours.join(', ')}` : 'no com.svcmgr labels'
  return {
    owned: false,
    reason: `container ${name} exists but was not created by svcmgr for ${svc.name} ${rid} (id ${svc.id}; it has ${labelText}): remove or rename it`,
  }
}

/** "<svc>.container.<index>", the seed's svc2.container.3. */
export function containerName(svc: Pick<ServiceView, 'name'>, res: Pick<Resource, 'index'>): string {
  return `${svc.name}.container.${res.index}`
}

/** The container name of a netns owner rid ("container#1" → "svc2.container.1"). */
export function ownerName(svc: Pick<ServiceView, 'name'>, ownerRid: string): string {
  return containerName(svc, {index: ownerRid.slice(ownerRid.indexOf('#') + 1)})
}

/** The netns owner rid, when netns names another container. */
export function netnsOwner(res: Pick<Resource<DockerKeywords>, 'kw'>): string | undefined {
  const n = res.kw.netns
  return n && n.startsWith('container#') ? n : undefined
}

export function networkMode(res: Pick<Resource<DockerKeywords>, 'kw'>, svc: Pick<ServiceView, 'name'>): string {
  const owner = netnsOwner(res)
  if (owner) return `container:${ownerName(svc, owner)}`
  return res.kw.netns === 'host' ? 'host' : 'none'
}

/** Only cgroupfs engines take a path; systemd-driven engines get none (docker's own default). */
export function cgroupParent(
  svc: Pick<ServiceView, 'name'>,
  res: Pick<Resource, 'index'>,
  cgroupDriver: string | undefined,
): string | undefined {
  return cgroupDriver === 'cgroupfs'
    ? `/svcmgr.slice/${svc.name}.slice/container.slice/container.${res.index}.slice`
    : undefined
}

export interface ContainerSpec {
  readonly name: string
  readonly image: string
  readonly labels: Readonly<Record<string, string>>
  readonly entrypoint?: readonly string[]
  readonly cmd?: readonly string[]
  readonly env: readonly string[]
  readonly binds: readonly string[]
  readonly tmpfs: Readonly<Record<string, string>>
  readonly capAdd: readonly string[]
  readonly capDrop: readonly string[]
  readonly hostname?: string
  readonly user?: string
  readonly workdir?: string
  readonly stopSignal?: string
  readonly privileged: boolean
  readonly interactive: boolean
  readonly tty: boolean
  readonly init: boolean
  readonly readOnly: boolean
  readonly networkMode: string
  readonly cgroupParent?: string
  readonly stopTimeoutSec: number
}

/**
 * What was computed of a compiled resource: a command asks for the same fingerprint and create
 * line more than once (describe, then observe: a 10,000-container dry-run computed up to 30,000
 * specs), and a resource's keywords never change once compiled. Kept with the resource itself
 * (a WeakMap: gone with the command's compiled service), per service name and id.
 */
interface Computed {
  readonly svc: string
  fingerprint?: Fingerprint
  /** The last docker CLI line that creates it, as the service formats it (describe's and observe's plan step). */
  line?: {readonly key: string; readonly format: Formatter; readonly text: string}
}
type Formatter = Pick<ServiceView, 'formatCommandLine'>
const computed = new WeakMap<Res, Computed>()

function computedOf(res: Res, svc: Svc): Computed {
  const key = `${svc.name}\n${svc.id}`
  let c = computed.get(res)
  if (!c || c.svc !== key) {
    c = {svc: key}
    computed.set(res, c)
  }
  return c
}

/** The resource's fingerprint: the same for every engine (the cgroup parent is not counted). */
export function resourceFingerprint(res: Res, svc: Svc): Fingerprint {
  const c = computedOf(res, svc)
  c.fingerprint ??= fingerprintOf(unlabelledSpec(res, svc, undefined))
  return c.fingerprint
}

export function containerSpec(res: Res, svc: Svc, cgroupDriver: string | undefined): ContainerSpec {
  const spec = unlabelledSpec(res, svc, cgroupDriver)
  // the fingerprint does not count the cgroup parent: this spec is its input as well, not built twice
  const c = computedOf(res, svc)
  c.fingerprint ??= fingerprintOf(spec)
  // what it was made from, per keyword: drift is read back from this label (./fingerprint.ts)
  return {...spec, labels: {...spec.labels, [LABEL_FINGERPRINT]: fingerprintLabel(c.fingerprint)}}
}

/** The spec without its fingerprint label: what the fingerprint is computed from. */
export function unlabelledSpec(res: Res, svc: Svc, cgroupDriver: string | undefined): ContainerSpec {
  const kw = res.kw
  const parsed = kw.run_args?.length ? parseRunArgs(kw.run_args) : emptyRunArgs()
  // the keyword check refused bad run_args at config time; a hand-edited compiled value still fails loudly
  if ('error' in parsed) throw new Error(`${res.rid}.run_args: expected ${parsed.error}`)
  const ra = parsed
  return {
    name: containerName(svc, res),
    image: kw.image,
    labels: {
      ...ra.labels,
      [LABEL_SERVICE]: svc.name,
      [LABEL_RID]: res.rid,
      [LABEL_ID]: svc.id,
      [LABEL_IMAGE]: kw.image,
    },
    entrypoint: kw.entrypoint?.length ? kw.entrypoint : ra.entrypoint !== undefined ? [ra.entrypoint] : undefined,
    cmd: kw.run_command?.length ? kw.run_command : undefined,
    env: [...ra.env, ...(kw.environment ?? [])],
    binds: [...ra.binds, ...(kw.volume_mounts ?? [])],
    tmpfs: ra.tmpfs,
    capAdd: ra.capAdd,
    capDrop: ra.capDrop,
    hostname: kw.hostname ?? ra.hostname,
    user: kw.user ?? ra.user,
    workdir: kw.cwd ?? ra.workdir,
    stopSignal: ra.stopSignal,
    privileged: kw.privileged || ra.privileged === true,
    interactive: kw.interactive || ra.interactive === true,
    tty: kw.tty || ra.tty === true,
    init: ra.init === true,
    readOnly: ra.readOnly === true,
    networkMode: networkMode(res, svc),
    cgroupParent: cgroupParent(svc, res, cgroupDriver),
    stopTimeoutSec: Math.ceil(kw.stop_timeout / 1000),
  }
}

/**
 * `<cli> run -d ...` or `<cli> create ...` of the spec for cgroupDriver, formatted by the service
 * (the plan's step; describe and observe both show it): once per command for each resource.
 */
export function createLine(
  res: Res,
  svc: Svc & Formatter,
  cgroupDriver: string | undefined,
  cli: readonly string[],
  verb: 'run' | 'create',
): string {
  const c = computedOf(res, svc)
  const key = `${cgroupDriver ?? ''}\n${verb}\n${cli.join('\n')}`
  // the formatter is the service's own: another view of the service formats anew
  if (c.line && c.line.key === key && c.line.format === svc) return c.line.text
  const text = svc.formatCommandLine([...cli, ...cliArgs(containerSpec(res, svc, cgroupDriver), verb)])
  c.line = {key, format: svc, text}
  return text
}

/**
 * The engine's create request, from the image's id (`imageId`, what the engine named spec.image by
 * just before): pinned like kubelet pins its containers. The engine's container list resolves the
 * image name of every container it lists (two file reads and a digest each, in dockerd 20.10
 * 40% of a 10,000-container list) unless the container was created from the id itself; the
 * configured name is the label com.svcmgr.image.
 */
export function createOptions(spec: ContainerSpec, imageId: string): CreateRequest {
  return {
    name: spec.name,
    Image: imageId,
    Labels: {...spec.labels},
    ...(spec.entrypoint ? {Entrypoint: [...spec.entrypoint]} : {}),
    ...(spec.cmd ? {Cmd: [...spec.cmd]} : {}),
    Env: [...spec.env],
    ...(spec.hostname ? {Hostname: spec.hostname} : {}),
    ...(spec.user ? {User: spec.user} : {}),
    ...(spec.workdir ? {WorkingDir: spec.workdir} : {}),
    ...(spec.stopSignal ? {StopSignal: spec.stopSignal} : {}),
    StopTimeout: spec.stopTimeoutSec,
    Tty: spec.tty,
    OpenStdin: spec.interactive,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    HostConfig: {
      NetworkMode: spec.networkMode,
      ...(spec.cgroupParent ? {CgroupParent: spec.cgroupParent} : {}),
      Binds: [...spec.binds],
      ...(Object.keys(spec.tmpfs).length ? {Tmpfs: {...spec.tmpfs}} : {}),
      ...(spec.capAdd.length ? {CapAdd: [...spec.capAdd]} : {}),
      ...(spec.capDrop.length ? {CapDrop: [...spec.capDrop]} : {}),
      Privileged: spec.privileged,
      Init: spec.init,
      ReadonlyRootfs: spec.readOnly,
    },
  }
}

/**
 * The docker CLI words after `docker` that create this container: `run -d ...` or `create ...`,
 * from `image` (the id the create request names, once known; the configured name by default).
 */
export function cliArgs(spec: ContainerSpec, verb: 'run' | 'create', image = spec.image): string[] {
  const a: string[] = verb === 'run' ? ['run', '-d'] : ['create']
  a.push(`--name=${spec.name}`, `--net=${spec.networkMode}`)
  if (spec.cgroupParent) a.push('--cgroup-parent', spec.cgroupParent)
  for (const e of spec.env) a.push('-e', e)
  for (const b of spec.binds) a.push('-v', b)
  for (const [k, v] of Object.entries(spec.tmpfs)) a.push(`--tmpfs=${v ? `${k}:${v}` : k}`)
  if (spec.hostname) a.push(`--hostname=${spec.hostname}`)
  if (spec.user) a.push(`--user=${spec.user}`)
  if (spec.workdir) a.push(`--workdir=${spec.workdir}`)
  for (const c of spec.capAdd) a.push(`--cap-add=${c}`)
  for (const c of spec.capDrop) a.push(`--cap-drop=${c}`)
  if (spec.privileged) a.push('--privileged')
  if (spec.interactive) a.push('-i')
  if (spec.tty) a.push('-t')
  if (spec.init) a.push('--init')
  if (spec.readOnly) a.push('--read-only')
  if (spec.stopSignal) a.push(`--stop-signal=${spec.stopSignal}`)
  if (spec.stopTimeoutSec !== 10) a.push(`--stop-timeout=${spec.stopTimeoutSec}`)
  for (const [k, v] of Object.entries(spec.labels)) a.push(`--label=${k}=${v}`)
  // docker's --entrypoint takes one word: the rest of a longer entrypoint goes before the command
  if (spec.entrypoint) a.push(`--entrypoint=${spec.entrypoint[0]}`)
  a.push(image)
  if (spec.entrypoint) a.push(...spec.entrypoint.slice(1))
  if (spec.cmd) a.push(...spec.cmd)
  return a
}
