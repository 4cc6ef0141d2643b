// The node agent's state files (src/agent/state.ts), the contract `daemon status` and print
// status read: paths, version 1 shapes, private modes, and files that are absent or not what
// they should be read as "nothing known", never an error.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {expect} from 'chai'
import {
  agentLiveness,
  agentPaths,
  IDLE_MONITOR_STATE,
  readAgentInfo,
  readAgentPid,
  readIntent,
  readMonitorState,
  removeAgentPid,
  writeAgentInfo,
  writeAgentPid,
  writeIntent,
  writeMonitorState,
} from '../../src/agent/state.js'
import {processStartTime} from '../../src/drivers/host.js'

describe('agent state files', () => {
  let dir: string
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svcmgr-agent-state-'))))
  afterEach(() => fs.rmSync(dir, {recursive: true, force: true}))
  const mode = (f: string) => fs.statSync(f).mode & 0o777

  it('keeps the agent files under <root>/agent, private', () => {
    const p = agentPaths(dir)
    expect(p).to.deep.equal({
      dir: path.join(dir, 'agent'),
      pidFile: path.join(dir, 'agent', 'agent.pid'),
      infoFile: path.join(dir, 'agent', 'agent.json'),
      leaseFile: path.join(dir, 'agent', 'lease.json'),
    })
    writeAgentPid(dir, {pid: 1234, startTime: '99'})
    expect(fs.readFileSync(p.pidFile, 'utf8')).to.equal('1234 99\n')
    expect(mode(p.pidFile)).to.equal(0o600)
    expect(mode(p.dir)).to.equal(0o700)
    expect(readAgentPid(dir)).to.deep.equal({pid: 1234, startTime: '99'})
  })

  it('round-trips agent.json and refuses what is not its version 1', () => {
    expect(readAgentInfo(dir)).to.equal(undefined)
    const info = {
      version: 1 as const,
      pid: 42,
      startTime: '7',
      startedAt: '2026-01-01T00:00:00.000Z',
      heartbeat: '2026-01-01T00:00:05.000Z',
      watched: ['a', 'b'],
      lastEvent: {time: '2026-01-01T00:00:04.000Z', service: 'a', rid: 'container#1', message: 'restarted'},
    }
    writeAgentInfo(dir, info)
    expect(readAgentInfo(dir)).to.deep.equal(info)
    fs.writeFileSync(agentPaths(dir).infoFile, '{"version": 2, "pid": 1, "heartbeat": "x"}')
    expect(readAgentInfo(dir)).to.equal(undefined)
    fs.writeFileSync(agentPaths(dir).infoFile, '{half')
    expect(readAgentInfo(dir)).to.equal(undefined)
  })

  it('tells a running agent from a stale pid file and from none', () => {
    expect(agentLiveness(dir).state).to.equal('stopped')
    writeAgentPid(dir, {pid: process.pid, startTime: processStartTime(process.pid)!})
    expect(agentLiveness(dir).state).to.equal('running')
    // the same pid with another start time is another process: the agent that wrote it is gone
    writeAgentPid(dir, {pid: process.pid, startTime: '1'})
    expect(agentLiveness(dir).state).to.equal('stale')
    removeAgentPid(dir, process.pid + 1)
    expect(readAgentPid(dir)?.pid, 'another pid file is left alone').to.equal(process.pid)
    removeAgentPid(dir, process.pid)
    expect(agentLiveness(dir).state).to.equal('stopped')
  })

  it('reads an absent or broken monitor.json as idle with no restarts', () => {
    expect(readMonitorState(dir)).to.deep.equal(IDLE_MONITOR_STATE)
    fs.writeFileSync(path.join(dir, 'monitor.json'), '{"version":1,"state":"sleeping","restarts":{}}')
    expect(readMonitorState(dir)).to.deep.equal(IDLE_MONITOR_STATE)
    writeMonitorState(dir, {
      state: 'failed',
      reason: 'container#1 is down after 2 restarts (restart = 2)',
      restarts: {'container#1': 2},
      last_check: '2026-01-01T00:00:00.000Z',
    })
    expect(readMonitorState(dir)).to.deep.equal({
      version: 1,
      state: 'failed',
      reason: 'container#1 is down after 2 restarts (restart = 2)',
      restarts: {'container#1': 2},
      last_check: '2026-01-01T00:00:00.000Z',
    })
    expect(mode(path.join(dir, 'monitor.json'))).to.equal(0o600)
    writeMonitorState(dir, {state: 'restarting', restarts: {'container#1': 1}, restarting: ['container#1']})
    expect(readMonitorState(dir).restarting).to.deep.equal(['container#1'])
    writeMonitorState(dir, {state: 'idle', restarts: {'container#1': 1}, restarting: []})
    expect(readMonitorState(dir)).to.deep.equal({version: 1, state: 'idle', restarts: {'container#1': 1}})
  })

  it('round-trips intent.json; an unknown intent is none', () => {
    expect(readIntent(dir)).to.equal(undefined)
    writeIntent(dir, {intent: 'started', by: 'user', time: '2026-01-01T00:00:00.000Z'})
    expect(readIntent(dir)).to.deep.equal({
      version: 1,
      intent: 'started',
      by: 'user',
      time: '2026-01-01T00:00:00.000Z',
    })
    writeIntent(dir, {intent: 'stopped', by: 'agent'})
    expect(readIntent(dir)).to.include({intent: 'stopped', by: 'agent'})
    fs.writeFileSync(path.join(dir, 'intent.json'), '{"version":1,"intent":"maybe"}')
    expect(readIntent(dir)).to.equal(undefined)
  })
})
