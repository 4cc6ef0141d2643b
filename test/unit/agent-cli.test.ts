// The node agent's CLI side (issue 14): the systemd unit (and the copy docs/agent.md ships), the
// agent's liveness read from its files, the monitor view of print status and its text line.
import {spawn, spawnSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {agentLiveness, agentLivenessForStatus} from '../../src/agent/liveness.js'
import {agentPaths} from '../../src/agent/state.js'
import {DOCS_UNIT_EXAMPLE, systemdUnit, unitCommandWord, unitEnvironment} from '../../src/agent/unit-file.js'
import {processStartTime} from '../../src/drivers/host.js'
import {formatAge} from '../../src/render/age.js'
import {formatMonitorLine} from '../../src/render/status-tree.js'
import {monitorView} from '../../src/status/monitor.js'

const repo = new URL('../..', import.meta.url).pathname

/** The text of the ```ini block that follows the marker line in docs/agent.md. */
function docsUnit(): string {
  const text = fs.readFileSync(path.join(repo, 'docs/agent.md'), 'utf8')
  const m = /<!-- unit: systemdUnit\(DOCS_UNIT_EXAMPLE\) -->\n\n?```ini\n([\s\S]*?)```\n/.exec(text)
  expect(m, 'docs/agent.md: the unit block after its marker').to.not.equal(null)
  return m![1]
}

describe('agent: the systemd unit', () => {
  it('restarts always, runs `daemon run` of this svcmgr by absolute path, sets the environment given', () => {
    const unit = systemdUnit({
      node: '/opt/node/bin/node',
      script: '/opt/svcmgr/bin/run.js',
      environment: {SVCMGR_ROOT: '/srv/svcmgr'},
    })
    const lines = unit.split('\n')
    expect(lines).to.include('Restart=always')
    expect(lines).to.include('ExecStart=/opt/node/bin/node /opt/svcmgr/bin/run.js daemon run')
    expect(lines).to.include('Environment=SVCMGR_ROOT=/srv/svcmgr')
    expect(lines).to.include('KillMode=process')
    expect(lines).to.include('WantedBy=multi-user.target')
    expect(systemdUnit(DOCS_UNIT_EXAMPLE)).to.not.include('Environment=')
  })

  it('escapes what systemd would expand or split: %, $, spaces, quotes; refuses line breaks', () => {
    expect(unitCommandWord('/a b/run.js')).to.equal('"/a b/run.js"')
    expect(unitCommandWord('/x%y$z')).to.equal('/x%%y$$z')
    expect(unitCommandWord('a"b\\c')).to.equal('"a\\"b\\\\c"')
    expect(unitEnvironment('SVCMGR_ROOT', '/a b/%c')).to.equal('"SVCMGR_ROOT=/a b/%%c"')
    expect(() => unitCommandWord('/a\nExecStartPre=/bin/evil')).to.throw(/line break/)
    expect(() => unitEnvironment('SVCMGR_ROOT', 'a\nb')).to.throw(/Environment SVCMGR_ROOT/)
  })

  it('systemd reads it back as written (systemd-analyze verify)', function () {
    if (!fs.existsSync('/usr/bin/systemd-analyze')) {
      console.log('      skipped: no systemd-analyze on this host')
      this.skip()
    }
    this.timeout(30_000)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-unit-'))
    try {
      const script = path.join(dir, 'odd dir', 'r%n$.js')
      const file = path.join(dir, 'svcmgr-ac-verify.service')
      fs.writeFileSync(file, systemdUnit({node: process.execPath, script, environment: {SVCMGR_ROOT: '/a b/%c'}}))
      const r = spawnSync('systemd-analyze', ['verify', file], {
        encoding: 'utf8',
        env: {...process.env, SYSTEMD_LOG_LEVEL: 'debug'},
      })
      const out = r.stdout + r.stderr
      expect(out).to.include('Environment: SVCMGR_ROOT=/a b/%c')
      // systemd shows the words it parsed, $ still doubled (expanded at exec time), % resolved
      const line = /Command Line: (.*)/.exec(out)?.[1]
      expect(line).to.equal(`${process.execPath} "${path.join(dir, 'odd dir', 'r%n\\$\\$.js')}" daemon run`)
    } finally {
      fs.rmSync(dir, {recursive: true, force: true})
    }
  })

  it('docs/agent.md ships the unit as systemdUnit writes it', () => {
    expect(docsUnit()).to.equal(systemdUnit(DOCS_UNIT_EXAMPLE))
  })
})

describe('agent: liveness from its files', () => {
  let root: string
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-live-'))
    fs.mkdirSync(agentPaths(root).dir)
  })
  afterEach(() => fs.rmSync(root, {recursive: true, force: true}))

  const writeInfo = (pid: number, startTime: string, heartbeat: Date) =>
    fs.writeFileSync(
      agentPaths(root).infoFile,
      JSON.stringify({
        version: 1,
        pid,
        startTime,
        startedAt: new Date(heartbeat.getTime() - 60_000).toISOString(),
        heartbeat: heartbeat.toISOString(),
        watched: ['ac1'],
      }),
    )

  it('no files: stopped', () => {
    expect(agentLiveness(root)).to.include({state: 'stopped', alive: false, stalePidFile: false})
  })

  it('a live process with a fresh heartbeat: running; an old heartbeat: stale; another start time: stopped', () => {
    const start = processStartTime(process.pid)!
    fs.writeFileSync(agentPaths(root).pidFile, `${process.pid} ${start}\n`)
    writeInfo(process.pid, start, new Date())
    expect(agentLiveness(root).state).to.equal('running')
    expect(agentLivenessForStatus(root)).to.equal('running')
    writeInfo(process.pid, start, new Date(Date.now() - 60_000))
    expect(agentLiveness(root)).to.include({state: 'stale', alive: true, stalePidFile: false})
    expect(agentLivenessForStatus(root)).to.equal('stale')
    fs.writeFileSync(agentPaths(root).pidFile, `${process.pid} 1\n`)
    expect(agentLiveness(root)).to.include({state: 'stale', alive: false, stalePidFile: true})
    // no pid file: stopped cleanly, agent.json is the last run's
    fs.rmSync(agentPaths(root).pidFile)
    writeInfo(4_194_305, '1', new Date())
    expect(agentLiveness(root)).to.include({state: 'stopped', alive: false})
    expect(agentLivenessForStatus(root)).to.equal('stopped')
  })

  it('a pid file of a process that ended: stale, the pid file stale', async () => {
    const child = spawn('sleep', ['30'])
    const start = processStartTime(child.pid!)!
    await new Promise(r => {
      child.on('exit', r)
      child.kill('SIGKILL')
    })
    fs.writeFileSync(agentPaths(root).pidFile, `${child.pid} ${start}\n`)
    writeInfo(child.pid!, start, new Date())
    expect(agentLiveness(root)).to.include({state: 'stale', alive: false, stalePidFile: true, pid: child.pid})
    expect(agentLivenessForStatus(root)).to.equal('stale')
  })

  it('the monitor view: absent monitor.json is idle, an unreadable one unknown, a failed one with its reason', () => {
    const varDir = path.join(root, 'var', 'ac1')
    fs.mkdirSync(varDir, {recursive: true})
    expect(monitorView(root, varDir)).to.deep.equal({agent: 'stopped', last_check: null, restarts: {}, state: 'idle'})
    fs.writeFileSync(path.join(varDir, 'monitor.json'), '{not json')
    expect(monitorView(root, varDir).state).to.equal('unknown')
    fs.writeFileSync(
      path.join(varDir, 'monitor.json'),
      JSON.stringify({
        version: 1,
        state: 'failed',
        reason: 'container#1 stayed down',
        restarts: {'container#1': 2, 'container#2': 0},
        last_check: '2026-01-01T00:00:00.000Z',
      }),
    )
    expect(monitorView(root, varDir)).to.deep.equal({
      agent: 'stopped',
      last_check: '2026-01-01T00:00:00.000Z',
      restarts: {'container#1': 2},
      state: 'failed',
      reason: 'container#1 stayed down',
    })
  })
})

describe('agent: the monitor line of print status', () => {
  it('says the state, the reason, the agent, the last check and the restarts used', () => {
    const now = Date.parse('2026-01-01T00:01:05Z')
    expect(
      formatMonitorLine(
        {
          agent: 'running',
          last_check: '2026-01-01T00:00:00Z',
          restarts: {'container#1': 2},
          state: 'failed',
          reason: 'container#1 stayed down after 2 restarts',
        },
        now,
      ),
    ).to.equal(
      '|- monitor                         failed     container#1 stayed down after 2 restarts; agent running; last check 1m5s ago; restarts container#1=2',
    )
    expect(formatMonitorLine({agent: 'stopped', last_check: null, restarts: {}, state: 'idle'}, now)).to.equal(
      '|- monitor                         idle       agent stopped; never checked',
    )
  })

  it('ages: seconds, minutes, hours, days', () => {
    expect([0, 59_999, 60_000, 3_599_000, 3_600_000, 90_000_000, -5].map(formatAge)).to.deep.equal([
      '0s',
      '59s',
      '1m0s',
      '59m59s',
      '1h0m',
      '1d1h',
      '0s',
    ])
  })
})
