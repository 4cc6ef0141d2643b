import {expect} from 'chai'
import {leanDryRunRequest} from '../../src/cli/lean-dry-run.js'

describe('lean dry-run: the requests it answers without oclif', () => {
  it('takes an action with --dry-run, -s and --format, in either order', () => {
    expect(leanDryRunRequest(['-s', 'svc2', 'start', '--dry-run'])).to.deep.equal({
      service: 'svc2',
      action: 'start',
      format: 'text',
    })
    expect(leanDryRunRequest(['restart', '--dry-run', '--service=svc2', '--format', 'json'])).to.deep.equal({
      service: 'svc2',
      action: 'restart',
      format: 'json',
    })
    expect(leanDryRunRequest(['-ssvc2', 'unprovision', '--format=text', '--dry-run'])?.action).to.equal('unprovision')
  })

  it('leaves everything else to oclif: no --dry-run, other flags, repeats, bad values, other commands', () => {
    for (const argv of [
      ['-s', 'svc2', 'start'],
      ['-s', 'svc2', 'start', '--dry-run', '--rid', 'container#1'],
      ['-s', 'svc2', 'start', '--dry-run', '--dry-run'],
      ['-s', 'svc2', 'start', '--dry-run', '--format', 'yaml'],
      ['-s', 'svc2', '-s', 'svc3', 'start', '--dry-run'],
      ['start', '--dry-run'],
      ['-s', 'svc2', 'start', '--dry-run', '--help'],
      ['-s', 'svc2', 'create', '--dry-run'],
      ['-s', 'svc2', 'print', 'status'],
    ])
      expect(leanDryRunRequest(argv), argv.join(' ')).to.equal(undefined)
  })
})
