/** The flags switch, takeover and giveback share: --wait and its --timeout. */
import {Flags} from '@oclif/core'
import type {MoveOutcome} from '../services/cluster-move.js'
import {parseDurationFlag} from './duration-flag.js'

export const moveFlags = {
  wait: Flags.boolean({
    description:
      'Wait until the service runs on the node asked (its owner, its instance up); exit 1 saying what was seen if it did not land by --timeout.',
    default: false,
  }),
  timeout: Flags.string({description: 'How long --wait waits (e.g. 60s).', default: '60s'}),
}

export const moveOptions = (flags: {wait: boolean; timeout: string}) => ({
  wait: flags.wait,
  timeoutMs: parseDurationFlag('timeout', flags.timeout),
})

/** The line a move prints. */
export function describeMove(r: MoveOutcome): string {
  const landed = r.landed
    ? `; landed: ${r.to} owns it and its instance is up (${(r.waitedMs! / 1000).toFixed(1)}s)`
    : ''
  switch (r.result) {
    case 'already':
      return `${r.service} already runs on ${r.to} (its owner): nothing to move${landed}`
    case 'cleared':
      return `${r.service} already runs on ${r.to} (its owner): the pending move was withdrawn${landed}`
    case 'requested':
      return `${r.action} of ${r.service} to ${r.to} requested (owner ${r.owner ?? 'none'}): the owner stops it, then ${r.to} starts it${landed}`
  }
}
