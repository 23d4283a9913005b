// The ClusterState's per-app row counts (appRows, read by PodTopologySpread) and online shape counts
// (onlineShapes, read by OnlineShapeRoom) against what they index: every node's NodeState.appCounts
// and a walk over every online pod. By hand, then under random sequences of state changes.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PodInfo, Resources } from '../../../scheduler/core/model.ts';
import { OnlineShapes } from '../../../scheduler/core/online-shapes.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { batch, GiB, node, pod } from '../../helpers/core.ts';

/** What appRows must say, from the nodes' own counts: app -> row -> pods. */
function rowsFromNodes(state: ClusterState): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const n of state.nodeList) {
    for (const [app, count] of n.appCounts) {
      let m = out.get(app);
      if (!m) out.set(app, (m = new Map()));
      m.set(n.index, count);
    }
  }
  return out;
}

function appRowsOf(state: ClusterState, apps: readonly string[]): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const app of apps) {
    const m = state.appRows(app);
    if (m) out.set(app, new Map(m));
  }
  return out;
}

/** The largest online shape by a walk over every pod (the former OnlineShapeRoom code). */
function largestByWalk(state: ClusterState): Resources {
  let best = { cpu: 0, memory: 0 };
  for (const p of state.pods.values()) {
    if (p.class !== 'online') continue;
    const r = p.requests;
    if (r.cpu > best.cpu || (r.cpu === best.cpu && r.memory > best.memory)) best = r;
  }
  return { cpu: best.cpu, memory: best.memory };
}

describe('OnlineShapes', () => {
  it('gives the largest shape held by CPU then memory, and finds the next one when the largest leaves', () => {
    const s = new OnlineShapes();
    expect(s.largest()).toEqual({ cpu: 0, memory: 0 });
    s.add({ cpu: 2000, memory: 4 * GiB });
    s.add({ cpu: 4000, memory: 1 * GiB });
    s.add({ cpu: 4000, memory: 2 * GiB });
    s.add({ cpu: 4000, memory: 2 * GiB });
    expect(s.largest()).toEqual({ cpu: 4000, memory: 2 * GiB });
    s.remove({ cpu: 4000, memory: 2 * GiB });
    // One pod of that shape is still held.
    expect(s.largest()).toEqual({ cpu: 4000, memory: 2 * GiB });
    s.remove({ cpu: 4000, memory: 2 * GiB });
    expect(s.largest()).toEqual({ cpu: 4000, memory: 1 * GiB });
    s.remove({ cpu: 4000, memory: 1 * GiB });
    expect(s.largest()).toEqual({ cpu: 2000, memory: 4 * GiB });
    s.remove({ cpu: 2000, memory: 4 * GiB });
    expect(s.largest()).toEqual({ cpu: 0, memory: 0 });
  });

  it('ignores the removal of a shape it does not hold', () => {
    const s = new OnlineShapes();
    s.add({ cpu: 1000, memory: GiB });
    s.remove({ cpu: 3000, memory: GiB });
    expect(s.largest()).toEqual({ cpu: 1000, memory: GiB });
  });
});

describe('ClusterState indexes', () => {
  it('counts pending and bound online pods in onlineShapes, and a pod replaced by a batch pod leaves it', () => {
    const state = new ClusterState();
    state.upsertNode(node('a'), 0);
    state.upsertPod(pod({ uid: 'p', requests: { cpu: 5000, memory: GiB } }), 0); // pending
    state.upsertPod(pod({ uid: 'q', nodeName: 'a', requests: { cpu: 3000, memory: GiB } }), 0);
    expect(state.onlineShapes.largest()).toEqual({ cpu: 5000, memory: GiB });
    state.upsertPod(batch({ uid: 'p', requests: { cpu: 9000, memory: GiB } }), 0);
    expect(state.onlineShapes.largest()).toEqual({ cpu: 3000, memory: GiB });
    state.removePod('q');
    expect(state.onlineShapes.largest()).toEqual({ cpu: 0, memory: 0 });
  });

  it('moves the last node\'s app counts to the row it takes when a node is removed', () => {
    const state = new ClusterState();
    for (const n of ['a', 'b', 'c']) state.upsertNode(node(n), 0);
    state.upsertPod(pod({ uid: 'a1', nodeName: 'a', app: 'web' }), 0);
    state.upsertPod(pod({ uid: 'c1', nodeName: 'c', app: 'web' }), 0);
    state.upsertPod(pod({ uid: 'c2', nodeName: 'c', app: 'web' }), 0);
    state.upsertPod(pod({ uid: 'c3', nodeName: 'c', app: 'api' }), 0);
    expect(new Map(state.appRows('web'))).toEqual(new Map([[0, 1], [2, 2]]));
    state.removeNode('a');
    // c (row 2) moved into row 0; a's pod no longer counts.
    expect(state.rows.get('c')).toBe(0);
    expect(new Map(state.appRows('web'))).toEqual(new Map([[0, 2]]));
    expect(new Map(state.appRows('api'))).toEqual(new Map([[0, 1]]));
    state.removePod('c3');
    expect(state.appRows('api')).toBeUndefined();
  });

  it('agree with the nodes\' own counts and a walk over the pods after any sequence of changes (property)', () => {
    const apps = ['web', 'api', 'cart', 'job'];
    const op = fc.oneof(
      fc.record({ kind: fc.constant('pod' as const), uid: fc.integer({ min: 0, max: 11 }), node: fc.integer({ min: -1, max: 4 }), app: fc.constantFrom(...apps), online: fc.boolean(), cpu: fc.integer({ min: 1, max: 4 }), mem: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ kind: fc.constant('removePod' as const), uid: fc.integer({ min: 0, max: 11 }) }),
      fc.record({ kind: fc.constant('addNode' as const), node: fc.integer({ min: 0, max: 4 }) }),
      fc.record({ kind: fc.constant('removeNode' as const), node: fc.integer({ min: 0, max: 4 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const state = new ClusterState();
        for (let n = 0; n < 3; n++) state.upsertNode(node(`n${n}`), 0);
        for (const o of ops) {
          if (o.kind === 'pod') {
            const over: Partial<PodInfo> = { uid: `u${o.uid}`, nodeName: o.node < 0 ? '' : `n${o.node}`, app: o.app, requests: { cpu: o.cpu * 1000, memory: o.mem * GiB } };
            state.upsertPod(o.online ? pod(over) : batch(over), 0);
          } else if (o.kind === 'removePod') state.removePod(`u${o.uid}`);
          else if (o.kind === 'addNode') state.upsertNode(node(`n${o.node}`), 0);
          else state.removeNode(`n${o.node}`);
          expect(appRowsOf(state, apps)).toEqual(rowsFromNodes(state));
          expect(state.onlineShapes.largest()).toEqual(largestByWalk(state));
        }
      }),
      { numRuns: 300 },
    );
  });
});
