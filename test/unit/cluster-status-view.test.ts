/** print status's cluster lines (src/render/status-tree.ts) and the move's "what it saw" sentence: fixed inputs, exact text. */
import {expect} from 'chai'
import {formatStatusTree} from '../../src/render/status-tree.js'
import {describeState} from '../../src/services/cluster-move.js'
import type {ClusterView} from '../../src/status/cluster-view.js'
import type {ServiceStatusReport} from '../../src/status/status.js'

const NOW = Date.parse('2026-12-01T15:00:00Z')
const local: ServiceStatusReport = {
  version: 1,
  service: 'web',
  id: 'x',
  node: 'n2',
  avail: 'down',
  ready: false,
  overall: 'down',
  frozen: false,
  resources: {
    'container#1': {
      rid: 'container#1',
      type: 'container.docker',
      status: 'down',
      label: 'docker container web.container.1@google/pause',
      log: [],
      drift: [],
      tags: [],
      optional: false,
      disabled: false,
      standby: false,
      ready: null,
    },
  },
}
const cluster: ClusterView = {
  nodes: ['n1', 'n2', 'n3'],
  owner: 'n3',
  placement: 'n1',
  lease_remaining_s: 7,
  frozen: null,
  target: null,
  instances: {
    n1: {
      avail: 'down',
      frozen: false,
      failed: true,
      agent: 'alive',
      reason: 'container#1 is down after 2 restarts',
      transition: {time: '2026-12-01T14:59:48Z', from: 'up', to: 'down', reason: 'switch to n3'},
      updated: '2026-12-01T14:59:50Z',
    },
    n2: {avail: 'down', frozen: false, failed: false, agent: 'alive', updated: '2026-12-01T14:59:50Z'},
    n3: {avail: 'unknown', frozen: false, failed: false, agent: 'not alive', updated: null},
  },
}

describe('print status of a cluster service: the text', () => {
  it('one line per node in nodes order, this node with its resources, the cluster line', () => {
    expect(formatStatusTree({...local, cluster}, NOW)).to.equal(
      [
        'web                                down',
        '|- cluster                         thawed     owner n3 (lease 7s left); placement leader n1',
        '`- instances',
        '   |- n1                           down       leader, failed (container#1 is down after 2 restarts), last up -> down 12s ago: switch to n3',
        '   |- n2                           down       this node, idle, stopped',
        '   |  `- container#1      ........ down       docker container web.container.1@google/pause',
        '   `- n3                           unknown    owner, agent not alive',
        '',
      ].join('\n'),
    )
  })

  it('frozen, a pending move, and etcd not answering', () => {
    const frozen = {
      ...cluster,
      frozen: {by: 'n2', time: 'T1'},
      target: {node: 'n2', by: 'n1', time: 'T2'},
    }
    expect(formatStatusTree({...local, cluster: frozen}, NOW).split('\n')[1]).to.equal(
      '|- cluster                         frozen     owner n3 (lease 7s left); placement leader n1; frozen cluster-wide by n2 at T1; move to n2 pending (asked by n1 at T2)',
    )
    const down = {...cluster, owner: null, placement: null, lease_remaining_s: null, error: 'no endpoint answered'}
    expect(formatStatusTree({...local, cluster: down}, NOW).split('\n')[1]).to.equal(
      '|- cluster                         unknown    etcd did not answer: no endpoint answered',
    )
  })

  it('a local service: the tree as before (one instance line, the resources under it)', () => {
    expect(formatStatusTree(local, NOW)).to.equal(
      [
        'web                                down',
        '`- instances',
        '   `- n2                           down       idle, stopped',
        '      `- container#1      ........ down       docker container web.container.1@google/pause',
        '',
      ].join('\n'),
    )
  })

  it('a move that did not land: what --wait saw, node by node', () => {
    const svc = {name: 'web', nodes: ['n1', 'n2', 'n3'], here: 'n2', client: undefined as never}
    expect(
      describeState(svc, {
        owner: {node: 'n1', lease: '1', revision: 3},
        target: {version: 1, node: 'n3', by: 'n2', time: 'T', id: 'i'},
        instances: {
          n1: {version: 1, node: 'n1', avail: 'up', frozen: false, failed: false, updated: 'T'},
          n2: 'unreadable',
        },
        alive: new Set(['n1', 'n2']),
        revision: 9,
      }),
    ).to.equal('owner n1; target n3 still pending; n1 up; n2 unreadable; n3 no instance record (agent not alive)')
  })
})
