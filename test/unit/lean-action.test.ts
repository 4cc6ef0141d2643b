import {expect} from 'chai'
import {leanActionRequest} from '../../src/cli/lean-action.js'

describe('lean action: the requests it answers without oclif', () => {
  it('takes an action, with or without --dry-run, -s and --format, in either order', () => {
    expect(leanActionRequest(['-s', 'svc2', 'start', '--dry-run'])).to.deep.equal({
      service: 'svc2',
      action: 'start',
      format: 'text',
      dryRun: true,
    })
    expect(leanActionRequest(['restart', '--dry-run', '--service=svc2', '--format', 'json'])).to.deep.equal({
      service: 'svc2',
      action: 'restart',
      format: 'json',
      dryRun: true,
    })
    expect(leanActionRequest(['-s', 'svc2', 'start'])).to.deep.equal({
      service: 'svc2',
      action: 'start',
      format: 'text',
      dryRun: false,
    })
    expect(leanActionRequest(['-ssvc2', 'unprovision', '--format=text', '--dry-run'])?.action).to.equal('unprovision')
  })

  it('leaves everything else to oclif: other flags, repeats, bad values, other commands', () => {
    for (const argv of [
      ['-s', 'svc2', 'start', '--waitlock', '5s'],
      ['-s', 'svc2', 'start', '--dry-run', '--rid', 'container#1'],
      ['-s', 'svc2', 'start', '--dry-run', '--dry-run'],
      ['-s', 'svc2', 'start', '--dry-run', '--format', 'yaml'],
      ['-s', 'svc2', '-s', 'svc3', 'start', '--dry-run'],
      ['start', '--dry-run'],
      ['-s', 'svc2', 'start', '--dry-run', '--help'],
      ['-s', 'svc2', 'create', '--dry-run'],
      ['-s', 'svc2', 'print', 'status'],
    ])
      expect(leanActionRequest(argv), argv.join(' ')).to.equal(undefined)
  })
})
