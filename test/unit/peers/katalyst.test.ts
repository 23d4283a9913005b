// The katalyst-tide baseline pinned to hand-computed cases of Tide's pool rules
// (simulator/peers/katalyst-tide/formula.ts).

import { describe, expect, it } from 'vitest';
import { classifyNewNodes, flipLabels, nodeTypeOf, poolLabels, TIDE_LABELS, tideStep } from '../../../simulator/peers/katalyst-tide/formula.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { batch, GiB, node, pod } from '../../helpers/core.ts';

describe('katalyst tide pool', () => {
  it('classifies new nodes: ceil(50%) reserved online, floor(10%) reserved offline, the rest tide (online)', () => {
    const roles = classifyNewNodes(Array.from({ length: 11 }, (_, i) => node(`n${i}`)));
    const count = (r: string) => [...roles.values()].filter((x) => x === r).length;
    expect([count('reserve-online'), count('reserve-offline'), count('tide-online')]).toEqual([6, 1, 4]);
    const labels = poolLabels({}, 'tide-online');
    expect(labels).toMatchObject({ [TIDE_LABELS.nodeType]: 'online', [TIDE_LABELS.tide]: 'true', [TIDE_LABELS.reverse]: 'false' });
    expect(flipLabels(labels, 'offline')[TIDE_LABELS.nodeType]).toBe('offline');
  });

  /** r: reserved online, full; t1, t2: offline tide nodes (t2 less utilised); t3, t4: online tide nodes. */
  function pool() {
    const state = new ClusterState();
    const add = (name: string, role: 'reserve-online' | 'tide-online', type: 'online' | 'offline') => state.upsertNode(node(name, { labels: flipLabels(poolLabels({}, role), type) }), 0);
    add('r', 'reserve-online', 'online');
    add('t1', 'tide-online', 'offline');
    add('t2', 'tide-online', 'offline');
    add('t3', 'tide-online', 'online');
    add('t4', 'tide-online', 'online');
    state.upsertPod(pod({ uid: 'r-fill', nodeName: 'r', requests: { cpu: 15_000, memory: 60 * GiB } }), 0);
    state.upsertPod(batch({ uid: 'b1', nodeName: 't1', requests: { cpu: 12_000, memory: 8 * GiB } }), 0);
    state.upsertPod(batch({ uid: 'b2', nodeName: 't2', requests: { cpu: 4000, memory: 8 * GiB } }), 0);
    state.upsertPod(pod({ uid: 'o3', nodeName: 't3', requests: { cpu: 2000, memory: 4 * GiB } }), 0);
    state.upsertPod(pod({ uid: 'o4', nodeName: 't4', requests: { cpu: 10_000, memory: 40 * GiB } }), 0);
    return state;
  }

  it('flips the least utilised offline tide node online for an online pod that fits nowhere, evicting its batch', () => {
    const state = pool();
    const big = pod({ uid: 'big', requests: { cpu: 14_000, memory: 8 * GiB } });
    const action = tideStep(state, [big], () => false);
    expect(action).toMatchObject({ flip: 't2', to: 'online' });
    expect(action!.evict.map((p) => p.uid)).toEqual(['b2']);
    // A pod the scheduler can place now is left to it: the cycle consolidates instead.
    expect(tideStep(state, [big], () => true)).toMatchObject({ flip: 't3', to: 'offline' });
  });

  it('releases the least utilised online tide node offline when its online pods fit elsewhere', () => {
    const state = pool();
    // t3 (2 cores) is the least utilised online tide node; o3 fits on t4 (10 + 2 <= 16 cores).
    const action = tideStep(state, [], () => true);
    expect(action).toMatchObject({ flip: 't3', to: 'offline' });
    expect(action!.evict.map((p) => p.uid)).toEqual(['o3']);
    // When it does not fit (t4 fuller), nothing happens.
    state.upsertPod(pod({ uid: 'o4b', nodeName: 't4', requests: { cpu: 5000, memory: 4 * GiB } }), 0);
    expect(tideStep(state, [], () => true)).toBeNull();
    expect(nodeTypeOf(state.nodes.get('t3')!.spec)).toBe('online');
  });
});
