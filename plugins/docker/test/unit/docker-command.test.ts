// The `docker` command's argument split: the service flag comes out, docker's words pass through.
import {expect} from 'chai'
import {splitDockerArgv} from '../../src/commands/docker.js'

describe('svcmgr docker: argument split', () => {
  const cases: Array<[string[], {service?: string; args: string[]}]> = [
    // svcmgr -s svc2 docker ps -a (the entry point moves the leading -s to the end)
    [['ps', '-a', '-s', 'svc2'], {service: 'svc2', args: ['ps', '-a']}],
    [['-s', 'svc2', 'ps', '-a'], {service: 'svc2', args: ['ps', '-a']}],
    [['--service=svc2', 'images'], {service: 'svc2', args: ['images']}],
    [['-ssvc2', 'images'], {service: 'svc2', args: ['images']}],
    // docker's own -s stays docker's
    [['ps', '-s', '-s', 'svc2'], {service: 'svc2', args: ['ps', '-s']}],
    [['-s', 'svc2', '--', 'ps', '-s'], {service: 'svc2', args: ['ps', '-s']}],
    [
      ['-s', 'svc2', 'run', '--rm', 'x', 'sh', '-c', 'echo -s'],
      {service: 'svc2', args: ['run', '--rm', 'x', 'sh', '-c', 'echo -s']},
    ],
    [['ps'], {service: undefined, args: ['ps']}],
  ]
  for (const [argv, want] of cases) {
    it(`${argv.join(' ')}`, () => expect(splitDockerArgv(argv)).to.deep.equal(want))
  }
})
