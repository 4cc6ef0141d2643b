/** apply's pieces without an engine: the config diff, the saved plan's determinism and checks, stale detection, restricted plans, the exit codes. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {diffDocuments, removedSections} from '../../src/config/diff.js'
import {parseDocument} from '../../src/config/document.js'
import {buildPlan} from '../../src/planner/plan.js'
import {restrictPlan} from '../../src/planner/restrict.js'
import type {Plan, PlanTask} from '../../src/planner/types.js'
import {formatConfigDiffLines} from '../../src/render/config-diff.js'
import {observedChanges} from '../../src/services/apply.js'
import {
  type ApplyPlan,
  SAVED_PLAN_FORMAT,
  SAVED_PLAN_VERSION,
  configDigest,
  readSavedPlan,
  sealPlan,
  serializePlan,
  writeSavedPlan,
} from '../../src/services/saved-plan.js'
import {EXIT_CODES_HELP} from '../../src/cli/exit-codes.js'
import {EXIT, UsageError} from '../../src/errors.js'
import {compileFixture, fixture, realRegistry} from './fixtures/services.js'

const doc = (ini: string) => parseDocument(ini, 'svc', 'test')

describe('apply: the config diff', () => {
  const before = doc(
    '[DEFAULT]\nid = x\n\n[container#1]\ntype = docker\nimage = pause\n\n[container#3]\ntype = docker\nimage = redis\ncommand = sleep 10\n\n[container#5]\ntype = docker\nimage = busybox\n',
  )
  const after = doc(
    '[DEFAULT]\nid = x\n\n[container#1]\ntype = docker\nimage = pause\n\n[container#3]\ntype = docker\nimage = redis:3.0\n\n[container#10]\ntype = docker\nimage = nginx\n\n[container#4]\ntype = docker\nimage = nginx\n',
  )

  it('keyword by keyword, sections in natural rid order', () => {
    expect(formatConfigDiffLines(diffDocuments(before, after))).to.deep.equal([
      '~ container#3.image: redis → redis:3.0',
      '- container#3.command (was sleep 10)',
      '+ container#4.type = docker',
      '+ container#4.image = nginx',
      '- container#5',
      '+ container#10.type = docker',
      '+ container#10.image = nginx',
    ])
    expect(removedSections(before, after)).to.deep.equal(['container#5'])
  })

  it('the same config is no diff; an absent service is all additions; secrets masked', () => {
    expect(diffDocuments(before, before)).to.deep.equal([])
    expect(diffDocuments(undefined, before).every(e => e.op === 'add')).to.equal(true)
    expect(
      formatConfigDiffLines(diffDocuments(before, after), s => s.replace('redis:3.0', '***')).slice(0, 1),
    ).to.deep.equal(['~ container#3.image: redis → ***'])
  })
})

function svc2Plan(): Plan {
  return buildPlan(compileFixture(fixture('svc2.json'), 'svc2', realRegistry()), 'provision')
}

function applyPlan(converge: Plan, order: 'a' | 'b' = 'a'): ApplyPlan {
  const sections = doc('[DEFAULT]\nid = x\n\n[container#1]\ntype = docker\nimage = pause\n')
  const fields: Array<[string, unknown]> = [
    ['format', SAVED_PLAN_FORMAT],
    ['version', SAVED_PLAN_VERSION],
    ['service', 'svc2'],
    ['config', {digest: configDigest(sections), sections}],
    ['base', null],
    ['diff', diffDocuments(undefined, sections)],
    ['remove', null],
    ['converge', converge],
    ['observedDigest', 'sha256:00'],
    ['changes', true],
    ['options', {force: false, disableRollback: false, noWait: false}],
  ]
  return Object.fromEntries(order === 'a' ? fields : [...fields].reverse()) as unknown as ApplyPlan
}

describe('apply: saved plans', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-ap-unit-'))
  after(() => fs.rmSync(dir, {recursive: true, force: true}))

  it('serialize deterministically: keys sorted whatever their order, the digest of the content', () => {
    const a = sealPlan(applyPlan(svc2Plan(), 'a'))
    const b = sealPlan(applyPlan(svc2Plan(), 'b'))
    expect(serializePlan(a)).to.equal(serializePlan(b))
    expect(a.digest).to.match(/^sha256:[0-9a-f]{64}$/)
    const text = serializePlan(a)
    const keys = Object.keys(JSON.parse(text))
    expect(keys).to.deep.equal([...keys].sort())
    // task ids are the plan's, in order
    expect(JSON.parse(text).converge.tasks.map((t: PlanTask) => t.id)).to.deep.equal(
      a.converge.tasks.map((_t, i) => i + 1),
    )
  })

  it('read back as written (0600); an edited, truncated or foreign file is refused with exit 2', () => {
    const file = path.join(dir, 'plan.json')
    const sealed = sealPlan(applyPlan(svc2Plan()))
    writeSavedPlan(file, sealed)
    expect(fs.statSync(file).mode & 0o777).to.equal(0o600)
    expect(readSavedPlan(file)).to.deep.equal(JSON.parse(serializePlan(sealed)))
    const refused = (text: string, what: RegExp) => {
      fs.writeFileSync(file, text)
      let error: unknown
      try {
        readSavedPlan(file)
      } catch (e) {
        error = e
      }
      expect(error).to.be.instanceOf(UsageError)
      expect((error as UsageError).exitCode).to.equal(EXIT.usage)
      expect((error as Error).message).to.match(what)
    }
    const text = serializePlan(sealed)
    refused(text.replace('"pause"', '"pause:2"'), /digest does not match/)
    refused(text.replace('"changes": true', '"changes": false'), /digest does not match/)
    refused(text.slice(0, 100), /invalid JSON/)
    refused('{"a": 1}', /not a saved plan/)
    refused(text.replace(`\n  "version": ${SAVED_PLAN_VERSION}\n`, '\n  "version": 99\n'), /saved plan version 99/)
    refused(text.replace(/"format": "[^"]+"/, '"format": "x"'), /not a saved plan/)
  })
})

describe('apply: stale detection', () => {
  const task = (rid: string, change: PlanTask['change'], status: string, detail?: string): PlanTask =>
    ({
      id: 1,
      rid,
      op: 'provision',
      change,
      cause: change === 'none' ? 'up, in sync' : 'absent',
      observed: {status, ...(detail ? {detail} : {})},
    }) as unknown as PlanTask

  it('names the resource, what it was and what it is now', () => {
    const saved = [task('container#1', 'none', 'up'), task('container#2', 'none', 'up')]
    const now = [task('container#1', 'none', 'up'), task('container#2', 'create', 'down', 'absent')]
    expect(observedChanges(saved, now, 'convergence')).to.deep.equal([
      'container#2: planned none when it was up; now down (absent): create (absent)',
    ])
    expect(observedChanges(saved, saved, 'convergence')).to.deep.equal([])
  })

  it('a plan whose tasks differ now (another resource list) is named as such', () => {
    const saved = [task('container#1', 'none', 'up')]
    expect(observedChanges(saved, [...saved, task('container#2', 'create', 'down')], 'convergence')[0]).to.match(
      /the convergence tasks differ from what svcmgr plans now/,
    )
  })
})

describe('apply: the removal plan', () => {
  it('keeps only the removed resources, renumbered, their order and edges kept', () => {
    const svc = compileFixture(fixture('svc2.json'), 'svc2', realRegistry())
    const full = buildPlan(svc, 'unprovision', {rids: ['container#2', 'container#3']})
    const cut = restrictPlan(full, new Set(['container#2', 'container#3']))
    expect(cut.tasks.map(t => t.rid).sort()).to.deep.equal(['container#2', 'container#3'])
    expect(cut.tasks.map(t => t.id)).to.deep.equal([1, 2])
    expect(cut.stages.flatMap(s => s.tasks)).to.deep.equal([1, 2])
    for (const t of cut.tasks) {
      expect(t.after.every(a => a < t.id)).to.equal(true)
      expect(cut.stages[t.stage - 1].tasks).to.include(t.id)
    }
    expect(Object.values(cut.summary).reduce((a, b) => a + (b ?? 0), 0)).to.equal(2)
  })
})

describe('exit codes: one table', () => {
  const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  it('--help lists every code of src/errors.ts, and the README the same table', () => {
    for (const code of Object.values(EXIT)) expect(EXIT_CODES_HELP).to.match(new RegExp(`^  ${code} `, 'm'))
    for (const line of EXIT_CODES_HELP.split('\n').slice(1)) {
      const [code, ...meaning] = line.trim().split(/\s{2,}/)
      expect(readme, code).to.include(`| ${code} | ${meaning.join(' ')} |`)
    }
  })
})
