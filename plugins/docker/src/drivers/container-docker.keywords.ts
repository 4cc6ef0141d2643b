/**
 * The container.docker keyword manifest. Order matters: `print config` lists a section's
 * keywords in this order (the seed prints type, image, run_command, netns).
 */
import type {KeywordManifest, KeywordsOf, KeywordValue} from 'svcmgr'
import {parseRunArgs} from './run-args.js'

export const NETNS_RE = /^container#[0-9]+$/
const ENV_RE = /^[A-Za-z_][A-Za-z0-9_.-]*=/
const MOUNT_RE = /^[^:\s]+:\/[^:]*(:(ro|rw))?$/

/** A list keyword's words arrive parsed by the core (which refuses unbalanced quotes itself). */
function eachWord(words: KeywordValue, ok: (w: string) => boolean, expected: string): string | undefined {
  if (!Array.isArray(words)) return undefined
  const bad = words.find(w => !ok(w))
  return bad === undefined ? undefined : `${expected} (not ${JSON.stringify(bad)})`
}

export const DOCKER_KEYWORDS = [
  {
    name: 'image',
    required: true,
    help: 'The image the container runs (e.g. nginx, redis:3.0, 127.0.0.1:5000/redis:3.0, or an image id).',
    check: v => (/^\S+$/.test(v.trim()) && v.trim() !== '' ? undefined : 'an image name without spaces'),
  },
  {
    name: 'run_command',
    aliases: ['command'],
    type: 'list',
    help: "The command given to the image's entrypoint, as shell-like words (docker run IMAGE COMMAND...).",
  },
  {
    name: 'run_args',
    type: 'list',
    help: 'Extra docker run options, as shell-like words. Supported: -e/--env, -v/--volume, -h/--hostname, -u/--user, -w/--workdir, -l/--label, --cap-add, --cap-drop, --tmpfs, --entrypoint, --stop-signal, --privileged, -i, -t, --init, --read-only, -d. Networking goes in netns.',
    check: (_raw, words) => {
      if (!Array.isArray(words)) return undefined
      const r = parseRunArgs(words)
      return 'error' in r ? r.error : undefined
    },
    // its -e/--env values are masked as environment's are
    secretValues: words => {
      if (!Array.isArray(words)) return []
      const r = parseRunArgs(words)
      return 'error' in r ? [] : r.env
    },
  },
  {
    name: 'entrypoint',
    type: 'list',
    help: "Replaces the image's entrypoint, as shell-like words.",
  },
  {
    name: 'netns',
    aliases: ['net'],
    help: 'Run in the network namespace of another container resource of this service (container#N), which then starts first; "host" for the host\'s, "none" (the default) for a private namespace with loopback only.',
    check: v =>
      NETNS_RE.test(v.trim()) || v.trim() === 'host' || v.trim() === 'none' ? undefined : 'container#<n>, host or none',
  },
  {
    name: 'rm',
    type: 'bool',
    default: 'false',
    help: 'Remove the container after stop, so the next start creates it anew (from a changed image, for instance).',
  },
  {
    name: 'hostname',
    help: "The container's hostname (not with netns = container#N: it shares that container's UTS settings).",
  },
  {
    name: 'environment',
    type: 'list',
    secret: 'values',
    help: 'Environment variables as KEY=VALUE words.',
    check: (_raw, words) => eachWord(words, w => ENV_RE.test(w), 'KEY=VALUE words'),
  },
  {
    name: 'volume_mounts',
    type: 'list',
    help: 'Mounts as SOURCE:DEST[:ro|rw] words; SOURCE is a host path or a volume name, DEST an absolute path.',
    check: (_raw, words) => eachWord(words, w => MOUNT_RE.test(w), 'SOURCE:/DEST[:ro|rw] words'),
  },
  {
    name: 'privileged',
    type: 'bool',
    default: 'false',
    help: 'Give the container all capabilities and devices (docker run --privileged).',
  },
  {name: 'interactive', type: 'bool', default: 'false', help: "Keep the container's stdin open (docker run -i)."},
  {name: 'tty', type: 'bool', default: 'false', help: 'Give the container a terminal (docker run -t).'},
  {
    name: 'start_timeout',
    type: 'duration',
    default: '60s',
    help: 'How long start waits for the container to run (up status; there is no fixed wait after it). An image pull gets this long too, or 5 minutes when that is longer.',
  },
  {
    name: 'stop_timeout',
    type: 'duration',
    default: '10s',
    help: 'How long docker stop waits after SIGTERM before it kills the container.',
  },
  {
    name: 'image_pull_policy',
    choices: ['once', 'always'],
    default: 'once',
    help: 'once: pull the image only when it is absent; always: pull it before every container creation.',
  },
  {name: 'user', help: 'The user (name, uid or uid:gid) the container runs as (docker run --user).'},
  {
    name: 'cwd',
    help: 'The working folder in the container (docker run --workdir).',
    check: v => (v.startsWith('/') ? undefined : 'an absolute path'),
  },
] as const satisfies KeywordManifest

/** The parsed keywords a container.docker resource carries (Resource.kw), derived from the manifest. */
export type DockerKeywords = KeywordsOf<typeof DOCKER_KEYWORDS>
