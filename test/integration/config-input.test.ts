/**
 * Bad config input through the real CLI: empty configs, JSON duplicate keys, values INI cannot
 * hold (control characters, line breaks that would start a new section), out-of-range durations.
 * Each is refused with exit 2 naming what is wrong, and nothing is written: the state root's
 * etc/ keeps exactly the files it had, byte for byte. No engine is needed: create and set only
 * validate and write the config.
 */
import fs from 'node:fs'
import path from 'node:path'
import {expect} from 'chai'
import {CliSandbox, uniqueName} from './support/cli.js'

describe('config input: refused with exit 2, nothing written', function () {
  this.timeout(120_000)
  const cli = new CliSandbox('cfgin')
  const svc = uniqueName('cfgin')
  const etc = () => path.join(cli.root, 'etc')
  const snapshot = () =>
    fs.existsSync(etc())
      ? fs
          .readdirSync(etc())
          .sort()
          .map(f => [f, fs.readFileSync(path.join(etc(), f), 'utf8')])
      : []
  const container = {type: 'docker', image: 'google/pause', run_command: '/bin/sh -c "echo #1; a=b"'}

  before(async () => {
    await cli.ok(['-s', svc, 'create', '--config=-'], {input: JSON.stringify({'container#1': container})})
  })
  after(() => cli.cleanup())

  const refused = async (args: string[], input: string | undefined, message: string | RegExp) => {
    const before = snapshot()
    const r = await cli.run(args, input === undefined ? {} : {input})
    expect(r.exitCode, r.stderr).to.equal(2)
    if (typeof message === 'string') expect(r.stderr).to.include(message)
    else expect(r.stderr).to.match(message)
    // eslint-disable-next-line no-control-regex -- no raw control character reaches the terminal
    expect(r.stderr).not.to.match(/[\x00-\x08\x0b-\x1f\x7f]/)
    expect(snapshot()).to.deep.equal(before)
  }

  it('an empty config (nothing, only comments, {}, a wrapped {}, an empty DEFAULT) is refused', async () => {
    for (const input of ['', '# nothing here\n', '{}', `{"${svc}x": {}}`, '[DEFAULT]\n'])
      await refused(['-s', `${svc}x`, 'create', '--config=-'], input, 'standard input: the config is empty')
    const file = path.join(cli.root, 'empty.json')
    fs.writeFileSync(file, ' \n')
    await refused(['validate', 'config', '--config', file], undefined, `${file}: the config is empty`)
    // DEFAULT keywords without resources make a service, as in OpenSVC
    await cli.ok(['-s', `${svc}d`, 'create', '--config=-'], {input: '[DEFAULT]\nnodes = deb1\n'})
    expect(fs.readFileSync(path.join(etc(), `${svc}d.conf`), 'utf8')).to.match(
      /^\[DEFAULT\]\nid = [0-9a-f-]{36}\nnodes = deb1\n$/,
    )
  })

  it('a stored config emptied by hand (nothing, only comments, an empty DEFAULT) is not an empty service: status and print config exit 2 naming the file; delete still works', async () => {
    const name = `${svc}e`
    const file = path.join(etc(), `${name}.conf`)
    for (const text of ['', '# emptied by hand\n; nothing left\n', '[DEFAULT]\n']) {
      await cli.ok(['-s', name, 'create', '--config=-'], {input: JSON.stringify({'container#1': container})})
      fs.writeFileSync(file, text)
      for (const args of [
        ['print', 'status'],
        ['print', 'status', '--format', 'json'],
        ['print', 'config'],
        ['stop', '--dry-run'],
      ]) {
        const r = await cli.run(['-s', name, ...args])
        expect(r.exitCode, `${args.join(' ')} of ${JSON.stringify(text)}: ${r.stdout}${r.stderr}`).to.equal(2)
        expect(r.stderr).to.include(`${file}: the stored config of ${name} is empty`)
        expect(r.stdout, args.join(' ')).to.equal('')
      }
      expect(fs.readFileSync(file, 'utf8')).to.equal(text)
      await cli.ok(['-s', name, 'delete'])
      expect(fs.existsSync(file)).to.equal(false)
    }
  })

  it('a JSON key given twice is refused naming it and its line, as an INI duplicate is', async () => {
    await refused(
      ['-s', `${svc}x`, 'create', '--config=-'],
      `{"container#1": ${JSON.stringify(container)},\n"container#1": {"type": "docker", "image": "b"}}`,
      'standard input line 2: section [container#1] appears twice',
    )
    await refused(
      ['-s', `${svc}x`, 'create', '--config=-'],
      `{"${svc}x": {"container#1": {"type": "docker",\n"image": "a", "image": "b"}}}`,
      'standard input line 2: keyword "image" appears twice in [container#1]',
    )
    await refused(
      ['-s', `${svc}x`, 'create', '--config=-'],
      '[container#1]\ntype = docker\nimage = a\nimage = b\n',
      'standard input line 4: keyword "image" appears twice in [container#1]',
    )
  })

  it('a value INI cannot hold is refused, never changed, and cannot inject a section through set', async () => {
    await refused(
      ['-s', `${svc}x`, 'create', '--config=-'],
      JSON.stringify({'container#1': {...container, image: ' google/pause'}}),
      'container#1.image: the value starts or ends with whitespace',
    )
    await refused(
      ['-s', `${svc}x`, 'create', '--config=-'],
      JSON.stringify({'container#1': {...container, image: 'pause\u001b[2J'}}),
      'container#1.image: the value holds the control character U+001B',
    )
    await refused(
      ['-s', `${svc}x`, 'create', '--config=-'],
      '[container#1]\ntype = docker\nimage = a\u0000b\n',
      'standard input line 3: holds the control character U+0000',
    )
    await refused(
      ['-s', svc, 'set', '--kw', 'container#1.comment=x\n# [container#9]'],
      undefined,
      '--kw: container#1.comment: line 2 of the value starts with "#"',
    )
    await refused(
      ['-s', svc, 'set', '--kw', 'container#1.image=x\rimage = y'],
      undefined,
      '--kw: container#1.image: the value holds the control character U+000D',
    )
    // what the format can hold is kept verbatim, # ; = and quotes included; a multi-line value
    // stays one value (its lines indented, as configparser reads them), never a new section
    const comment = 'x\n\n[container#9]\ntype = docker'
    await cli.ok(['-s', svc, 'set', '--kw', `container#1.comment=${comment}`])
    const conf = (await cli.ok(['-s', svc, 'print', 'config'])).stdout
    expect(conf).to.include(
      '\n[container#1]\ntype = docker\nimage = google/pause\nrun_command = /bin/sh -c "echo #1; a=b"\ncomment = x\n\n\t[container#9]\n\ttype = docker\n',
    )
    const json = JSON.parse((await cli.ok(['-s', svc, 'print', 'config', '--format', 'json'])).stdout)
    expect(Object.keys(json)).to.deep.equal(['DEFAULT', 'container#1'])
    expect(json['container#1'].comment).to.equal(comment)
  })

  it('a duration past 2^31-1 ms is refused at validation and as --waitlock', async () => {
    await refused(
      ['-s', svc, 'set', '--kw', 'container#1.stop_timeout=99999999999999999999d'],
      undefined,
      'container#1.stop_timeout: expected a duration of at most 24d20h31m23s647ms',
    )
    await refused(
      ['-s', svc, 'set', '--kw', 'container#1.start_timeout=25d'],
      undefined,
      'container#1.start_timeout: expected a duration of at most 24d20h31m23s647ms',
    )
    await refused(
      ['-s', svc, 'start', '--dry-run', '--waitlock', '25d'],
      undefined,
      '--waitlock: expected a duration of at most 24d20h31m23s647ms',
    )
    await cli.ok(['-s', svc, 'set', '--kw', 'container#1.stop_timeout=24d'])
    expect((await cli.ok(['-s', svc, 'get', '--kw', 'container#1.stop_timeout'])).stdout).to.equal('24d\n')
  })
})

describe('validate --config FILE: the same check as validate config --config FILE', function () {
  this.timeout(120_000)
  const cli = new CliSandbox('validate')
  const svc = uniqueName('validate')
  after(() => cli.cleanup())

  it('a good file exits 0, a bad one exits 2 naming section.keyword, in both forms; nothing is written', async () => {
    const good = path.join(cli.root, `${svc}.conf`)
    const bad = path.join(cli.root, `${svc}-bad.conf`)
    fs.writeFileSync(
      good,
      '[container#1]\ntype = docker\nimage = google/pause\n\n[container#2]\ntype = docker\nimage = google/pause\nnetns = container#1\n',
    )
    fs.writeFileSync(
      bad,
      '[container#1]\ntype = docker\nimage = google/pause\ncolour = red\n\n[container#2]\ntype = docker\nimage = google/pause\nstop_timeout = soon\n',
    )
    for (const form of [['validate'], ['validate', 'config']]) {
      const ok = await cli.run([...form, '--config', good])
      expect(ok.exitCode, `${form.join(' ')}: ${ok.stderr}`).to.equal(0)
      expect(ok.stdout).to.equal(`${svc}: config is valid (2 resources)\n`)
      const json = await cli.run([...form, '--config', good, '--format', 'json'])
      expect(JSON.parse(json.stdout)).to.deep.equal({
        valid: true,
        service: svc,
        resources: ['container#1', 'container#2'],
      })
      const refused = await cli.run([...form, '--config', bad])
      expect(refused.exitCode, form.join(' ')).to.equal(2)
      expect(refused.stdout).to.equal('')
      expect(refused.stderr).to.include('container#1.colour: unknown keyword')
      expect(refused.stderr).to.include('container#2.stop_timeout: expected a duration')
      const stdin = await cli.run([...form, '--config=-'], {input: fs.readFileSync(bad, 'utf8')})
      expect(stdin.exitCode, form.join(' ')).to.equal(2)
      expect(stdin.stderr).to.include('container#1.colour: unknown keyword')
      // neither the help of the topic nor anything else: nothing to check is bad usage
      const nothing = await cli.run(form)
      expect(nothing.exitCode, form.join(' ')).to.equal(2)
      expect(nothing.stderr).to.equal(`svcmgr: ${form.join(' ')}: give -s/--service or --config\n`)
    }
    expect(fs.existsSync(path.join(cli.root, 'etc'))).to.equal(false)
  })

  it('-s SVC validate checks the stored config, and the help lists both forms', async () => {
    await cli.ok(['-s', svc, 'create', '--config=-'], {input: '[container#1]\ntype = docker\nimage = google/pause\n'})
    expect((await cli.ok(['-s', svc, 'validate'])).stdout).to.equal(`${svc}: config is valid (1 resources)\n`)
    expect((await cli.ok(['-s', svc, 'validate', 'config'])).stdout).to.equal(`${svc}: config is valid (1 resources)\n`)
    const help = (await cli.ok(['--help'])).stdout
    expect(help).to.match(/^TOPICS\n(?:.*\n)*? {2}validate +Check configs\./m)
    expect(help).to.match(/^COMMANDS\n(?:.*\n)*? {2}validate +Check a service's config/m)
    const topic = (await cli.ok(['validate', '--help'])).stdout
    expect(topic).to.include('$ svcmgr validate --config svc2.json')
    expect(topic).to.match(/COMMANDS\n {2}validate config +Check a service's config/)
  })
})
