/** Rid syntax and selection flag parsing. */
import {expect} from 'chai'
import {parseSelection, parseSelectionList} from '../../src/cli/action-command.js'
import {parseRid, ridProblem} from '../../src/model/rid.js'
import {compileFixture} from './fixtures/services.js'
import {ConfigError, UsageError} from '../../src/errors.js'

describe('rids', () => {
  it('are <group>#<n> with n a decimal integer without leading zeros', () => {
    expect(parseRid('container#1')).to.deep.equal({group: 'container', index: '1'})
    expect(parseRid('container#0')).to.deep.equal({group: 'container', index: '0'})
    expect(parseRid('disk_x#120')).to.deep.equal({group: 'disk_x', index: '120'})
    for (const bad of [
      'container#01',
      'container#00',
      'container#abc',
      'container#-1',
      'container#1.container.2',
      'container#1a',
      'container#',
      'container# 1',
      'container#1\n',
      'container#+1',
      'container#1e3',
      'container#1234567890',
      'Container#1',
      '#1',
    ])
      expect(parseRid(bad), bad).to.equal(undefined)
  })

  it('explain what a rid-looking section lacks, and say nothing about other names', () => {
    expect(ridProblem('container#01')).to.equal(
      '[container#01]: expected a rid <group>#<n> with <n> a decimal integer without leading zeros (0 to 999999999) such as container#1, got the index "01"',
    )
    expect(ridProblem('container#1.container.2')).to.include('got the index "1.container.2"')
    expect(ridProblem('container#1')).to.equal(undefined)
    expect(ridProblem('DEFAULT')).to.equal(undefined)
  })

  it('are refused at compile naming the section; subset sections with digits keep working', () => {
    for (const bad of ['container#abc', 'container#-1', 'container#01', 'container#1.container.2']) {
      const text = `[container#1]\ntype = docker\nimage = x\n[${bad}]\ntype = docker\nimage = y\n`
      expect(() => compileFixture(text, 's'), bad).to.throw(ConfigError, `[${bad}]: expected a rid <group>#<n>`)
    }
    const svc = compileFixture(
      '[container#1]\ntype = docker\nimage = x\nsubset = 01app\n[subset#container:01app]\nparallel = true\n',
      's',
    )
    expect(svc.subset('container', '01app')).to.deep.equal({group: 'container', name: '01app', parallel: true})
  })
})

describe('selection flags', () => {
  it('split comma lists and trim items', () => {
    expect(parseSelection({rid: 'container#1, container', tags: 'a', subsets: undefined})).to.deep.equal({
      rids: ['container#1', 'container'],
      tags: ['a'],
      subsets: undefined,
    })
    expect(parseSelection({})).to.deep.equal({rids: undefined, tags: undefined, subsets: undefined})
  })

  it('refuse an empty value or an empty item, naming the flag (never "select everything")', () => {
    expect(() => parseSelectionList('rid', '')).to.throw(
      UsageError,
      '--rid: expected a comma list of rids, groups or group.types, got an empty value ""',
    )
    expect(() => parseSelectionList('rid', ',')).to.throw(UsageError, 'got an empty value ","')
    expect(() => parseSelectionList('rid', ' , ')).to.throw(UsageError, 'got an empty value')
    expect(() => parseSelectionList('tags', '')).to.throw(UsageError, '--tags: expected a comma list of tags')
    expect(() => parseSelectionList('subsets', '')).to.throw(
      UsageError,
      '--subsets: expected a comma list of subset names',
    )
    expect(() => parseSelectionList('rid', 'container#1,')).to.throw(
      UsageError,
      '--rid: expected a comma list of rids, groups or group.types, got an empty item in "container#1,"',
    )
    expect(() => parseSelectionList('rid', ',container#2')).to.throw(UsageError, 'got an empty item')
  })
})
