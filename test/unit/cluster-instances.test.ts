import {expect} from 'chai'
import {
  deleteTarget,
  parseFrozen,
  parseInstance,
  parseOwnerRecord,
  parseTarget,
  readInstances,
} from '../../src/cluster/instances.js'
import {frozenKey, instanceKey, instancesPrefix, ownerKey, targetKey} from '../../src/cluster/keys.js'

describe('the cluster contract: keys and records', () => {
  it('names the keys the agents and the commands share', () => {
    expect(instanceKey('web', 'n2')).to.equal('/svcmgr/services/web/instances/n2')
    expect(instancesPrefix('web')).to.equal('/svcmgr/services/web/instances/')
    expect(frozenKey('web')).to.equal('/svcmgr/services/web/frozen')
    expect(targetKey('web')).to.equal('/svcmgr/services/web/target')
    expect(ownerKey('web')).to.equal('/svcmgr/services/web/owner')
  })

  it('reads the records of version 1, and nothing else (unknown, never a guess)', () => {
    const rec = {version: 1, node: 'n1', avail: 'up', frozen: false, failed: false, updated: 'x'}
    expect(parseInstance(JSON.stringify(rec))).to.deep.equal(rec)
    expect(parseInstance(JSON.stringify({...rec, version: 2}))).to.equal(undefined)
    expect(parseInstance('not json')).to.equal(undefined)
    expect(parseTarget(JSON.stringify({version: 1, node: 'n3', by: 'n1', time: 't', id: 'a'}))?.node).to.equal('n3')
    expect(parseTarget(JSON.stringify({node: 'n3'}))).to.equal(undefined)
    expect(parseFrozen(JSON.stringify({by: 'n1', time: 't'}))).to.deep.equal({by: 'n1', time: 't'})
    expect(parseOwnerRecord(JSON.stringify({version: 1, node: 'n1', since: 's', reason: 'r'}))?.node).to.equal('n1')
  })

  it('readInstances maps each node to its record; deleteTarget deletes only the request it names', async () => {
    const kvs = [
      {
        key: instanceKey('web', 'n1'),
        value: JSON.stringify({version: 1, node: 'n1', avail: 'up', frozen: false, failed: false, updated: 'x'}),
      },
      {key: instanceKey('web', 'n2'), value: '{'},
    ]
    const got = await readInstances({range: async () => ({kvs: kvs as never, revision: 1})}, 'web')
    expect(Object.keys(got)).to.deep.equal(['n1', 'n2'])
    expect(got.n2).to.equal(undefined)
    const target = {
      key: targetKey('web'),
      value: JSON.stringify({version: 1, node: 'n3', by: 'n1', time: 't', id: 'a'}),
      modRevision: 7,
    }
    const txns: unknown[] = []
    const client = {
      txn: async (compare: readonly unknown[], success: readonly unknown[]) => {
        txns.push({compare, success})
        return {succeeded: true, revision: 8, ranges: compare.length === 0 ? [[target as never]] : []}
      },
    }
    const c = client as unknown as Parameters<typeof deleteTarget>[0]
    expect(await deleteTarget(c, 'web', 'other')).to.equal(false)
    expect(await deleteTarget(c, 'web', 'a')).to.equal(true)
    expect(txns[txns.length - 1]).to.deep.equal({
      compare: [{key: targetKey('web'), target: 'MOD', modRevision: 7}],
      success: [{delete: {key: targetKey('web')}}],
    })
  })
})
