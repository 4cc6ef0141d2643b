import {expect} from 'chai'
import {type ClusterFacts, decideCluster} from '../../src/agent/cluster-decide.js'

const base: ClusterFacts = {
  me: 'n1',
  nodes: ['n1', 'n2', 'n3'],
  alive: new Set(['n1', 'n2', 'n3']),
  frozenNodes: new Set(),
  failedNodes: new Set(),
  clusterFrozen: false,
  runningHere: false,
  upHere: false,
}
const f = (o: Partial<ClusterFacts>): ClusterFacts => ({...base, ...o})

describe('cluster decisions (nodes order, ownership, moves, freeze)', () => {
  it('the placement leader acquires an unowned service; the others stay standby', () => {
    expect(decideCluster(f({})).kind).to.equal('acquire')
    const n2 = decideCluster(f({me: 'n2'}))
    expect(n2).to.deep.equal({kind: 'none', reason: 'standby: n1 is the placement leader'})
  })

  it('the next node leads when the first is dead, frozen or failed', () => {
    for (const o of [{alive: new Set(['n2', 'n3'])}, {frozenNodes: new Set(['n1'])}, {failedNodes: new Set(['n1'])}])
      expect(decideCluster(f({me: 'n2', ...o})).kind).to.equal('acquire')
  })

  it('a non-owner stops an instance running beside an owner, even frozen', () => {
    expect(decideCluster(f({me: 'n2', runningHere: true, owner: {node: 'n1', mine: false}})).kind).to.equal('stop')
    expect(
      decideCluster(f({me: 'n2', runningHere: true, owner: {node: 'n1', mine: false}, clusterFrozen: true})).kind,
    ).to.equal('stop')
  })

  it('frozen cluster-wide: nobody acquires, an unowned running instance is left alone', () => {
    expect(decideCluster(f({clusterFrozen: true})).kind).to.equal('none')
    expect(decideCluster(f({me: 'n2', clusterFrozen: true, runningHere: true})).kind).to.equal('none')
    expect(
      decideCluster(f({clusterFrozen: true, owner: {node: 'n1', mine: true}, intent: {intent: 'stopped', by: 'agent'}}))
        .kind,
    ).to.equal('none')
  })

  it('the owner starts what it does not run yet, keeps what runs, and honours a user stop', () => {
    const owner = {node: 'n1', mine: true}
    expect(decideCluster(f({owner, intent: {intent: 'stopped', by: 'agent'}})).kind).to.equal('start')
    expect(decideCluster(f({owner, intent: {intent: 'started', by: 'agent'}, upHere: true})).kind).to.equal('none')
    expect(decideCluster(f({owner, intent: {intent: 'stopped', by: 'user'}})).kind).to.equal('none')
  })

  it('a failed owner stops and releases', () => {
    expect(decideCluster(f({owner: {node: 'n1', mine: true}, failedNodes: new Set(['n1'])})).kind).to.equal(
      'stop-release',
    )
  })

  it('a move: the owner stops and releases, only the target acquires, the target ends the move once up', () => {
    const target = {node: 'n3', id: 'x'}
    expect(decideCluster(f({target, owner: {node: 'n1', mine: true}})).kind).to.equal('stop-release')
    expect(decideCluster(f({target})).kind, 'the leader does not acquire').to.equal('none')
    expect(decideCluster(f({me: 'n3', target})).kind).to.equal('acquire')
    expect(
      decideCluster(
        f({me: 'n3', target, owner: {node: 'n3', mine: true}, upHere: true, intent: {intent: 'started', by: 'agent'}}),
      ),
    ).to.deep.equal({kind: 'delete-target', reason: 'owner; moved here: the move is done', id: 'x'})
  })

  it('a target whose node is dead or frozen is ignored, and the reason says so', () => {
    const target = {node: 'n3', id: 'x'}
    const d = decideCluster(f({target, alive: new Set(['n1', 'n2'])}))
    expect(d).to.deep.equal({
      kind: 'acquire',
      reason: 'placement leader: acquiring; move target n3 has no live agent: ignored',
    })
    const o = decideCluster(
      f({
        target,
        frozenNodes: new Set(['n3']),
        owner: {node: 'n1', mine: true},
        upHere: true,
        intent: {intent: 'started', by: 'agent'},
      }),
    )
    expect(o).to.deep.equal({kind: 'none', reason: 'owner: running here; move target n3 is frozen: ignored'})
  })

  it('nobody acquires while another live node still reports it running; that node stops it', () => {
    expect(decideCluster(f({runningElsewhere: ['n2']}))).to.deep.equal({
      kind: 'none',
      reason: 'placement leader; waiting: n2 still reports it running',
    })
    expect(decideCluster(f({me: 'n2', runningHere: true})).kind).to.equal('stop')
    expect(decideCluster(f({me: 'n3', target: {node: 'n3', id: 'x'}, runningElsewhere: ['n1']})).kind).to.equal('none')
  })

  it('a node outside nodes order never leads', () => {
    expect(decideCluster(f({me: 'n4'})).kind).to.equal('none')
  })
})
