import {expect} from 'chai'
import {leanValidateRequest} from '../../src/cli/lean-validate.js'

describe('lean validate: the requests it answers without oclif', () => {
  it('takes validate [config] with -s, --config FILE or -, or both, and --format text|json', () => {
    expect(leanValidateRequest(['-s', 'svc2', 'validate', 'config'])).to.deep.equal({service: 'svc2', format: 'text'})
    expect(leanValidateRequest(['validate', '--config', 'svc2.json'])).to.deep.equal({
      config: 'svc2.json',
      format: 'text',
    })
    expect(leanValidateRequest(['validate', 'config', '--config=-', '--format', 'json'])).to.deep.equal({
      config: '-',
      format: 'json',
    })
    expect(leanValidateRequest(['validate', '-ssvc2', '--config', 'a.conf'])).to.deep.equal({
      service: 'svc2',
      config: 'a.conf',
      format: 'text',
    })
  })

  it('leaves everything else to oclif: neither -s nor --config, other flags, repeats, arguments', () => {
    for (const argv of [
      ['validate'],
      ['validate', 'config'],
      ['validate', 'config', '--format', 'json'],
      ['validate', 'config', 'extra', '-s', 'svc2'],
      ['validate', 'schema', '-s', 'svc2'],
      ['-s', 'svc2', 'validate', '--config', 'a.conf', '--config', 'b.conf'],
      ['-s', 'svc2', 'validate', '--config'],
      ['-s', 'svc2', 'validate', '--config='],
      ['-s', 'svc2', 'validate', '--format', 'yaml'],
      ['-s', 'svc2', 'validate', '--help'],
      ['-s', 'svc2', 'validate', '-s', 'svc3'],
      ['-s', 'svc2', 'create', '--config', 'svc2.json'],
      ['-s', 'svc2', 'print', 'config'],
    ])
      expect(leanValidateRequest(argv), argv.join(' ')).to.equal(undefined)
  })
})
