import {expect} from 'chai'
import {placementLeader, placementReasons} from '../../src/cluster/placement.js'

const facts = (alive: string[], frozen: string[] = [], failed: string[] = []) => ({
  nodes: ['n1', 'n2', 'n3'],
  alive: new Set(alive),
  frozen: new Set(frozen),
  failed: new Set(failed),
})

describe('cluster placement: nodes order', () => {
  it('picks the first node of the list whose agent is alive', () => {
    expect(placementLeader(facts(['n1', 'n2', 'n3']))).to.equal('n1')
    expect(placementLeader(facts(['n3', 'n2']))).to.equal('n2')
    expect(placementLeader(facts(['n3']))).to.equal('n3')
  })

  it('skips frozen nodes and failed instances', () => {
    expect(placementLeader(facts(['n1', 'n2', 'n3'], ['n1']))).to.equal('n2')
    expect(placementLeader(facts(['n1', 'n2', 'n3'], [], ['n1', 'n2']))).to.equal('n3')
    expect(placementLeader(facts(['n1', 'n2', 'n3'], ['n2'], ['n1']))).to.equal('n3')
  })

  it('has no leader when no node qualifies', () => {
    expect(placementLeader(facts([]))).to.equal(undefined)
    expect(placementLeader(facts(['n1', 'n2'], ['n1'], ['n2']))).to.equal(undefined)
    expect(placementLeader({...facts(['n9']), nodes: []})).to.equal(undefined)
  })

  it('ignores alive nodes that are not in the list, and follows the list order, not the name order', () => {
    expect(placementLeader({...facts(['n4', 'n3', 'n1']), nodes: ['n3', 'n1']})).to.equal('n3')
    expect(placementLeader({...facts(['n4']), nodes: ['n3', 'n1']})).to.equal(undefined)
  })

  it('says why each node is or is not a candidate', () => {
    expect(placementReasons(facts(['n2', 'n3'], ['n2']))).to.deep.equal([
      {node: 'n1', candidate: false, reason: 'agent not alive'},
      {node: 'n2', candidate: false, reason: 'frozen'},
      {node: 'n3', candidate: true},
    ])
  })
})
