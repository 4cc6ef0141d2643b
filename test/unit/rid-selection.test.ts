/** Rid syntax, selection flag parsing, and the lenient compile of a stored config that no longer validates. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {parseSelection, parseSelectionList} from '../../src/cli/action-command.js'
import {ConfigError, compileServiceLenient} from '../../src/config/compile.js'
import {parseDocument} from '../../src/config/document.js'
import {UsageError} from '../../src/config/store.js'
import {lockState} from '../../src/executor/lock.js'
import {parseRid, ridProblem} from '../../src/model/rid.js'
import {compileFixture, fakeRegistry} from './fixtures/services.js'

describe('rids', () => {
  it('are <group>#<n> with n a decimal integer without leading zeros', () => {
    expect(parseRid('container#1')).to.deep.equal({group: 'container', index: '1'})
    expect(parseRid('container#0')).to.deep.equal({group: 'container', index: '0'})
    expect(parseRid('disk_x#120')).to.deep.equal({group: 'disk_x', index: '120'})
    for (const bad of ['container#01', 'container#00', 'container#abc', 'container#-1', 'container#1.container.2', 'container#1a', 'container#', 'container# 1', 'container#1\n', 'container#+1', 'container#1e3', 'container#1234567890', 'Container#1', '#1'])
      expect(parseRid(bad), bad).to.equal(undefined)
  })

  it('explain what a rid-looking section lacks, and say nothing about other names', () => {
    expect(ridProblem('container#01')).to.equal('[container#01]: expected a rid <group>#<n> with <n> a decimal integer without leading zeros (0 to 999999999) such as container#1, got the index "01"')
    expect(ridProblem('container#1.container.2')).to.include('got the index "1.container.2"')
    expect(ridProblem('container#1')).to.equal(undefined)
    expect(ridProblem('DEFAULT')).to.equal(undefined)
  })

  it('are refused at compile naming the section; subset sections with digits keep working', () => {
    for (const bad of ['container#abc', 'container#-1', 'container#01', 'container#1.container.2']) {
      const text = `[container#1]\ntype = docker\nimage = x\n[${bad}]\ntype = docker\nimage = y\n`
      expect(() => compileFixture(text, 's'), bad).to.throw(ConfigError, `[${bad}]: expected a rid <group>#<n>`)
    }
    const svc = compileFixture('[container#1]\ntype = docker\nimage = x\nsubset = 01app\n[subset#container:01app]\nparallel = true\n', 's')
    expect(svc.subset('container', '01app')).to.deep.equal({group: 'container', name: '01app', parallel: true})
  })
})

describe('selection flags', () => {
  it('split comma lists and trim items', () => {
    expect(parseSelection({rid: 'container#1, container', tags: 'a', subsets: undefined})).to.deep.equal({rids: ['container#1', 'container'], tags: ['a'], subsets: undefined})
    expect(parseSelection({})).to.deep.equal({rids: undefined, tags: undefined, subsets: undefined})
  })

  it('refuse an empty value or an empty item, naming the flag (never "select everything")', () => {
    expect(() => parseSelectionList('rid', '')).to.throw(UsageError, '--rid: expected a comma list of rids, groups or group.types, got an empty value ""')
    expect(() => parseSelectionList('rid', ',')).to.throw(UsageError, 'got an empty value ","')
    expect(() => parseSelectionList('rid', ' , ')).to.throw(UsageError, 'got an empty value')
    expect(() => parseSelectionList('tags', '')).to.throw(UsageError, '--tags: expected a comma list of tags')
    expect(() => parseSelectionList('subsets', '')).to.throw(UsageError, '--subsets: expected a comma list of subset names')
    expect(() => parseSelectionList('rid', 'container#1,')).to.throw(UsageError, '--rid: expected a comma list of rids, groups or group.types, got an empty item in "container#1,"')
    expect(() => parseSelectionList('rid', ',container#2')).to.throw(UsageError, 'got an empty item')
  })
})

describe('lenient compile of a stored config', () => {
  const lenient = (text: string) => compileServiceLenient(parseDocument(text, 's', 's'), fakeRegistry(), {name: 's', nodename: 'deb1', varDir: '/nonexistent/s'})

  it('ignores unknown keywords and bad values (defaults apply), warning about each', () => {
    const r = lenient('[container#1]\ntype = docker\nimage = x\ncolour = red\nrm = perhaps\n[container#2]\ntype = docker\nimage = y\n')
    expect(r.service.resources.map(x => x.rid)).to.deep.equal(['container#1', 'container#2'])
    expect(r.unusable).to.deep.equal([])
    expect(r.warnings).to.have.length(2)
    expect(r.warnings[0]).to.match(/^container#1.colour: unknown keyword/)
    expect(r.warnings[1]).to.equal('container#1.rm: expected true or false, got "perhaps"')
  })

  it('leaves out the sections that cannot become a resource, saying why', () => {
    const r = lenient('[container#1]\ntype = docker\nimage = x\n[container#2]\ntype = docker\n[container#3]\ntype = podman\nimage = x\n[widget#1]\nx = y\n[container#04]\ntype = docker\nimage = x\n')
    expect(r.service.resources.map(x => x.rid)).to.deep.equal(['container#1'])
    expect(r.unusable.map(u => u.rid)).to.deep.equal(['container#2', 'container#3', 'widget#1', 'container#04'])
    expect(r.unusable[0].problems[0]).to.match(/^container#2.image: required keyword missing/)
    expect(r.unusable[1]).to.deep.include({group: 'container', type: 'podman'})
  })

  it('ignores an unknown DEFAULT keyword with a warning', () => {
    const r = lenient('[DEFAULT]\nnodes = deb1\nwhatever = 1\n[container#1]\ntype = docker\nimage = x\n')
    expect(r.warnings[0]).to.match(/^DEFAULT.whatever: unknown keyword/)
  })

  it('is what the strict compile refuses, problem for problem', () => {
    const text = '[container#1]\ntype = docker\nimage = x\ncolour = red\n[container#2]\ntype = docker\n'
    expect(() => compileFixture(text, 's')).to.throw(ConfigError)
    const problems = (() => {
      try {
        compileFixture(text, 's')
      } catch (error) {
        return (error as ConfigError).problems
      }
    })()!
    const r = lenient(text)
    expect([...r.warnings, ...r.unusable.flatMap(u => u.problems)].sort()).to.deep.equal([...problems].sort())
  })
})

describe('lock state', () => {
  let dir: string
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-lockstate-'))
  })
  afterEach(() => fs.rmSync(dir, {recursive: true, force: true}))

  it('is free without a file, held by a live process, stale for a dead pid', async () => {
    const file = path.join(dir, 'lock')
    expect(lockState(file)).to.deep.equal({state: 'free'})
    fs.writeFileSync(file, JSON.stringify({pid: process.pid, starttime: fs.readFileSync(`/proc/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ')[19], action: 'start', since: 'x'}))
    expect(lockState(file).state).to.equal('held')
    // a pid that existed and is gone
    const {execa} = await import('execa')
    const child = execa('true')
    await child
    expect(child.pid).to.be.a('number')
    fs.writeFileSync(file, JSON.stringify({pid: child.pid, starttime: '1', action: 'start', since: 'x'}))
    expect(lockState(file)).to.deep.include({state: 'stale'})
    // our pid with another start time: a reused pid is not the holder
    fs.writeFileSync(file, JSON.stringify({pid: process.pid, starttime: '1', action: 'start', since: 'x'}))
    expect(lockState(file).state).to.equal('stale')
  })
})
