import {expect} from 'chai'
import {leanApplyRequest} from '../../src/cli/lean-apply.js'

describe('lean apply: the requests it answers without oclif', () => {
  it('takes --config FILE or - with -s, or a saved plan, with --dry-run and --format text|json', () => {
    expect(leanApplyRequest(['-s', 'svc2', 'apply', '--config', 'svc2.json'])).to.deep.equal({
      service: 'svc2',
      config: 'svc2.json',
      format: 'text',
      dryRun: false,
    })
    expect(leanApplyRequest(['apply', '--config=-', '--service=svc2', '--dry-run', '--format', 'json'])).to.deep.equal({
      service: 'svc2',
      config: '-',
      format: 'json',
      dryRun: true,
    })
    expect(leanApplyRequest(['apply', '--config', '-', '-ssvc2'])?.config).to.equal('-')
    expect(leanApplyRequest(['apply', 'plan.json', '--dry-run'])).to.deep.equal({
      plan: 'plan.json',
      format: 'text',
      dryRun: true,
    })
    expect(leanApplyRequest(['-s', 'svc2', 'apply', 'plan.json'])).to.deep.equal({
      service: 'svc2',
      plan: 'plan.json',
      format: 'text',
      dryRun: false,
    })
  })

  it('leaves everything else to oclif: other flags, usage errors, repeats, a second argument', () => {
    for (const argv of [
      ['-s', 'svc2', 'apply'],
      ['apply', '--config', 'svc2.json'],
      ['-s', 'svc2', 'apply', '--config', 'svc2.json', 'plan.json'],
      ['apply', 'plan.json', 'other.json'],
      ['-s', 'svc2', 'apply', '--config', 'a.json', '--config', 'b.json'],
      ['-s', 'svc2', 'apply', '--config'],
      ['-s', 'svc2', 'apply', '--config='],
      ['-s', 'svc2', 'apply', '--config', '--dry-run'],
      ['-s', 'svc2', 'apply', '--config', 'svc2.json', '--format', 'jsonl'],
      ['-s', 'svc2', 'apply', '--config', 'svc2.json', '--dry-run', '--out', 'plan.json'],
      ['-s', 'svc2', 'apply', '--config', 'svc2.json', '--dry-run', '--detailed-exitcode'],
      ['-s', 'svc2', 'apply', '--config', 'svc2.json', '--force'],
      ['-s', 'svc2', 'apply', '--config', 'svc2.json', '--waitlock', '5s'],
      ['-s', 'svc2', 'apply', '--config', 'svc2.json', '--help'],
      ['-s', 'svc2', 'apply', '--config', 'svc2.json', '--', 'x'],
      ['-s', 'svc2', 'create', '--config', 'svc2.json'],
    ])
      expect(leanApplyRequest(argv), argv.join(' ')).to.equal(undefined)
  })
})
