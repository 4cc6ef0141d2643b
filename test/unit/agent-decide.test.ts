// The agent's decision after a status check (src/agent/decide.ts): restart within the budget,
// a netns owner's restart covering its dependents, the failed state with monitor, left down
// without, and nothing for a failed or unwatched service.
import {expect} from 'chai'
import {decide, type DownResource} from '../../src/agent/decide.js'
import {IDLE_MONITOR_STATE, type MonitorState} from '../../src/agent/state.js'

const res = (rid: string, restart: number, monitor = false, restartDelay = 500): DownResource => ({
  rid,
  restart,
  restartDelay,
  monitor,
})
const monitor = (restarts: Record<string, number>, state: MonitorState['state'] = 'idle'): MonitorState => ({
  version: 1,
  state,
  restarts,
})
const covers =
  (extra: Record<string, string[]> = {}) =>
  (rids: readonly string[]) =>
    new Set([...rids, ...rids.flatMap(r => extra[r] ?? [])])

describe('agent decisions', () => {
  it('does nothing for an unwatched, failed or all-up service', () => {
    const down = [res('container#1', 2)]
    expect(decide({watched: false, monitor: IDLE_MONITOR_STATE, down, restartCovers: covers()}).kind).to.equal('none')
    expect(decide({watched: true, monitor: monitor({}, 'failed'), down, restartCovers: covers()}).kind).to.equal('none')
    expect(decide({watched: true, monitor: IDLE_MONITOR_STATE, down: [], restartCovers: covers()})).to.deep.equal({
      kind: 'none',
      why: 'up',
    })
  })

  it('restarts a down resource while its restarts used are below restart, after the longest delay', () => {
    const d = decide({
      watched: true,
      monitor: monitor({'container#1': 1}),
      down: [res('container#1', 2, true, 200), res('container#2', 1, false, 900)],
      restartCovers: covers(),
    })
    expect(d).to.deep.equal({
      kind: 'restart',
      rids: ['container#1', 'container#2'],
      delayMs: 900,
      attempts: {'container#1': {n: 2, of: 2}, 'container#2': {n: 1, of: 1}},
      leftDown: [],
    })
  })

  it('fails a monitored resource whose restarts are used, and restarts nothing then', () => {
    const d = decide({
      watched: true,
      monitor: monitor({'container#1': 2}),
      down: [res('container#1', 2, true), res('container#2', 3)],
      restartCovers: covers(),
    })
    expect(d).to.deep.equal({kind: 'fail', reason: 'container#1 is down after 2 restarts (restart = 2)'})
    expect(
      decide({watched: true, monitor: IDLE_MONITOR_STATE, down: [res('app#1', 0, true)], restartCovers: covers()}),
    ).to.deep.equal({kind: 'fail', reason: 'app#1 is down and has no restart (restart = 0, monitor = true)'})
  })

  it('leaves down an unmonitored resource whose restarts are used', () => {
    expect(
      decide({
        watched: true,
        monitor: monitor({'container#1': 1}),
        down: [res('container#1', 1), res('container#2', 0)],
        restartCovers: covers(),
      }),
    ).to.deep.equal({
      kind: 'left-down',
      rids: ['container#1', 'container#2'],
      why: 'container#1 is down, its 1 restart used; container#2 is down (restart = 0)',
    })
  })

  it("does not fail a monitored dependent that the netns owner's restart covers", () => {
    const d = decide({
      watched: true,
      monitor: IDLE_MONITOR_STATE,
      down: [res('container#1', 2), res('ip#1', 0, true)],
      restartCovers: covers({'container#1': ['ip#1', 'container#2', 'container#3']}),
    })
    expect(d).to.include({kind: 'restart'})
    expect(d.kind === 'restart' && d.rids).to.deep.equal(['container#1'])
  })
})
