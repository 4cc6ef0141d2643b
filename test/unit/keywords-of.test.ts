/**
 * KeywordsOf: the parsed keyword record derived from a manifest at the type level. The checks
 * are types (`npm run typecheck` fails on a wrong derivation); the run-time part only confirms
 * the manifest compiles to the values the type promises.
 */
import {expect} from 'chai'
import type {KeywordManifest, KeywordsOf, KeywordValue} from '../../src/drivers/api.js'
import {parseKeywordValue} from '../../src/config/keywords.js'

/** True when A and B are the same type (readonly and optional modifiers included). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const assertType = <T extends true>(_ok: T) => undefined

const MODES = ['a', 'b'] as const

const MANIFEST = [
  {name: 'image', required: true, help: 'required: present'},
  {name: 'start_timeout', type: 'duration', default: '60s', help: 'defaulted: present'},
  {name: 'environment', type: 'list', help: 'a list'},
  {name: 'limit', type: 'size', help: 'a size'},
  {name: 'count', type: 'int', help: 'an int'},
  {name: 'rm', type: 'bool', default: 'false', help: 'a bool'},
  {name: 'mode', choices: MODES, default: 'a', help: 'choices: a union'},
  {name: 'flags', type: 'list', choices: ['x', 'y'], help: 'a list of choices'},
  {name: 'netns', aliases: ['net'], help: 'aliases do not appear'},
  {
    name: 'ok',
    type: 'bool',
    required: false,
    help: 'required: false is optional',
    check: (_raw, parsed) => (parsed === true ? undefined : 'true'),
  },
] as const satisfies KeywordManifest

type Expected = {
  readonly image: string
  readonly start_timeout: number
  readonly rm: boolean
  readonly mode: 'a' | 'b'
  readonly environment?: readonly string[]
  readonly limit?: number
  readonly count?: number
  readonly flags?: readonly ('x' | 'y')[]
  readonly netns?: string
  readonly ok?: boolean
}

assertType<Equal<KeywordsOf<typeof MANIFEST>, Expected>>(true)
// a manifest typed KeywordSpec[] (not `as const`) gives the untyped record
assertType<Equal<KeywordsOf<KeywordManifest>, Readonly<Record<string, KeywordValue>>>>(true)
// @ts-expect-error: an optional keyword is not a required one
assertType<Equal<KeywordsOf<typeof MANIFEST>['environment'], readonly string[]>>(true)

describe('KeywordsOf: the keyword record derived from a manifest', () => {
  it('promises what the parser gives for each type (duration and size as numbers, list as words, bool)', () => {
    const byName = Object.fromEntries(MANIFEST.map(s => [s.name, s]))
    const values = {
      start_timeout: parseKeywordValue(byName.start_timeout, '1m'),
      environment: parseKeywordValue(byName.environment, 'A=1 "B=2 3"'),
      limit: parseKeywordValue(byName.limit, '2k'),
      rm: parseKeywordValue(byName.rm, 'yes'),
      mode: parseKeywordValue(byName.mode, 'b'),
    }
    expect(values).to.deep.equal({
      start_timeout: {ok: true, value: 60_000},
      environment: {ok: true, value: ['A=1', 'B=2 3']},
      limit: {ok: true, value: 2048},
      rm: {ok: true, value: true},
      mode: {ok: true, value: 'b'},
    })
  })
})
