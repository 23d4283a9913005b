// OnlineShapeRoom by hand: the largest online shape (bound or pending, the scored pod included), the
// schedulable nodes whose unrequested room fits it (n), and 100 x min(1, (n - 1) / keep) on a node that
// fits it now and would not after the pod; 100 everywhere else.

import { describe, expect, it } from 'vitest';
import { parsePolicyConfig } from '../../../../scheduler/config/policy-loader.ts';
import { TIME_SHARING } from '../../../../scheduler/core/config.ts';
import { PolicyEngine } from '../../../../scheduler/core/engine.ts';
import { constantProfile } from '../../../../scheduler/core/profile.ts';
import { ClusterState } from '../../../../scheduler/core/state.ts';
import { argsIssues } from '../../../../scheduler/core/registry.ts';
import { OnlineShapeRoom } from '../../../../scheduler/core/plugins/online-shape-room.ts';
import type { PodInfo } from '../../../../scheduler/core/model.ts';
import { batch, GiB, node, pod } from '../../../helpers/core.ts';
import { buildScore, scoresOn, world } from '../../../helpers/plugins.ts';

/** Online requests of `cpu` on a node, as pods of at most 1 core (smaller than any shape in these tests). */
const on = (nodeName: string, cpu: number, memory = 4 * GiB, app = 'web'): PodInfo[] => {
  const n = Math.max(1, Math.ceil(cpu / 1000));
  return Array.from({ length: n }, () => pod({ nodeName, app, requests: { cpu: cpu / n, memory: memory / n } }));
};
const NODES = ['a', 'b', 'c', 'd'];

/** 16 cores / 64 GiB each; the largest shape: `big`, 6 cores / 20 GiB on d. */
function cluster(requestedA: number, extra: PodInfo[] = [], over: { unschedulable?: string } = {}) {
  return world({
    nodes: NODES.map((n) => node(n, { unschedulable: n === over.unschedulable })),
    pods: [
      ...on('a', requestedA),
      ...on('b', 9000), // room 7 cores: fits 6
      ...on('c', 9500), // room 6.5 cores: fits 6
      pod({ nodeName: 'd', app: 'big', requests: { cpu: 6000, memory: 20 * GiB } }),
      ...on('d', 8000), // room 2 cores
      ...extra,
    ],
  });
}

describe('OnlineShapeRoom', () => {
  it('is flat while more than `keep` nodes have room for the largest shape', () => {
    const w = cluster(4000); // a: room 12 cores. n = 3 (a, b, c)
    const s = buildScore(OnlineShapeRoom, w);
    const ctx = w.ctx(pod({ app: 'web', requests: { cpu: 2000, memory: 4 * GiB } }));
    expect(s.prepare!(ctx, new Int32Array())).toEqual({ shape: { cpu: 6000, memory: 20 * GiB }, fitting: 3 });
    expect(scoresOn(s, w, ctx, NODES)).toEqual([100, 100, 100, 100]);
    // keep 3: b and c would lose their room (7 - 2 < 6, 6.5 - 2 < 6): 100 x (3 - 1) / 3; a keeps it (12 - 2).
    const s3 = buildScore(OnlineShapeRoom, w, { keep: 3 });
    const [a, b, c, d] = scoresOn(s3, w, ctx, NODES);
    expect([a, d]).toEqual([100, 100]);
    expect(b).toBeCloseTo(200 / 3, 9);
    expect(c).toBeCloseTo(200 / 3, 9);
  });

  it('steers a pod off the last `keep` nodes with room; the last one scores 0', () => {
    const w = cluster(11_000); // a: room 5 cores, no longer fits. n = 2 (b, c)
    const s = buildScore(OnlineShapeRoom, w);
    const small = pod({ app: 'web', requests: { cpu: 1000, memory: 4 * GiB } });
    // b: 7 - 1 = 6 still fits: 100; c: 6.5 - 1 < 6: (2 - 1) / 2 -> 50; a and d have no room to lose.
    expect(scoresOn(s, w, w.ctx(small), NODES)).toEqual([100, 100, 50, 100]);
    const two = pod({ app: 'web', requests: { cpu: 2000, memory: 4 * GiB } });
    expect(scoresOn(s, w, w.ctx(two), NODES)).toEqual([100, 50, 50, 100]);
    // Only c left with room (b holds 9 + 1.5 cores more): placing there scores 0.
    const w1 = cluster(11_000, on('b', 1500));
    expect(scoresOn(buildScore(OnlineShapeRoom, w1), w1, w1.ctx(two), NODES)).toEqual([100, 100, 0, 100]);
  });

  it('counts pending online pods and the scored pod as shapes', () => {
    // A pending 8-core replica: only a has room for it (16 - 4).
    const pending = pod({ app: 'scale', requests: { cpu: 8000, memory: 8 * GiB } });
    const w = cluster(4000, [pending]);
    const s = buildScore(OnlineShapeRoom, w);
    const ctx = w.ctx(pod({ app: 'web', requests: { cpu: 5000, memory: 4 * GiB } }));
    expect(s.prepare!(ctx, new Int32Array())).toEqual({ shape: { cpu: 8000, memory: 8 * GiB }, fitting: 1 });
    expect(scoresOn(s, w, ctx, NODES)).toEqual([0, 100, 100, 100]);
    // The scored pod is the largest: room for another of it.
    const huge = pod({ app: 'huge', requests: { cpu: 10_000, memory: 4 * GiB } });
    expect(s.prepare!(w.ctx(huge), new Int32Array()).shape).toEqual({ cpu: 10_000, memory: 4 * GiB });
  });

  it('needs memory room too; batch requests do not count under co-location; cordoned nodes do not count', () => {
    // b's memory: 64 - 50 GiB leaves 14 < 20: b no longer has room for big.
    const w = cluster(4000, [...on('b', 1, 46 * GiB, 'cache'), batch({ nodeName: 'c', requests: { cpu: 6000, memory: 30 * GiB } })]);
    const s = buildScore(OnlineShapeRoom, w);
    expect(s.prepare!(w.ctx(pod()), new Int32Array()).fitting).toBe(2);
    const wc = cluster(4000, [], { unschedulable: 'a' });
    expect(buildScore(OnlineShapeRoom, wc).prepare!(wc.ctx(pod()), new Int32Array()).fitting).toBe(2);
  });

  it('scores online pods only, is never cached, reads no prediction; keep is validated', () => {
    const w = cluster(4000);
    const s = buildScore(OnlineShapeRoom, w);
    expect(s.appliesTo(w.ctx(batch()))).toBe(false);
    expect(s.appliesTo(w.ctx(pod()))).toBe(true);
    expect(s.signature).toBeUndefined();
    expect(s.readsPrediction).toBe(false);
    expect(OnlineShapeRoom.classes).toEqual(['online']);
    expect(argsIssues(OnlineShapeRoom, { keep: 0 })).toEqual([{ path: ['keep'], message: 'must be an integer of at least 1 (got 0)' }]);
    expect(argsIssues(OnlineShapeRoom, { keep: 2, other: 1 }).map((i) => i.path)).toEqual([['other']]);
    expect(argsIssues(OnlineShapeRoom, { keep: 3 })).toEqual([]);
  });

  it('in an engine (time-sharing + OnlineShapeRoom: 6), a small pod leaves the last room for the shape alone', () => {
    const withRoom = { ...TIME_SHARING, scoreWeights: { ...TIME_SHARING.scoreWeights, online: { ...TIME_SHARING.scoreWeights.online, OnlineShapeRoom: 6 } } };
    // big (6 cores) on x (8 cores); only c (8 of 16 cores requested) has room for another: the least loaded node.
    const make = (config = TIME_SHARING) =>
      world({
        config,
        nodes: [node('a'), node('b'), node('c'), node('x', { allocatable: { cpu: 8000, memory: 64 * GiB } })],
        pods: [...on('a', 11_000), ...on('b', 11_000), ...on('c', 8000), pod({ nodeName: 'x', app: 'big', requests: { cpu: 6000, memory: 20 * GiB } })],
      });
    const small = () => pod({ app: 'web', requests: { cpu: 3000, memory: 2 * GiB } });
    const w0 = make();
    expect(w0.engine.place(small(), w0.ctx(small()).now).node?.name).toBe('c');
    const w1 = make(withRoom);
    const placed = w1.engine.place(small(), w1.ctx(small()).now).node?.name;
    expect(placed).toBeDefined();
    expect(placed).not.toBe('c');
    // The shape itself still goes to c: no other node has its room.
    const big = pod({ app: 'big', requests: { cpu: 6000, memory: 20 * GiB } });
    expect(w1.engine.place(big, w1.ctx(big).now).node?.name).toBe('c');
  });

  it('a cluster opts in with a TidalConfig: the weight and its keep', () => {
    const c = parsePolicyConfig(
      'apiVersion: tidal.io/v1alpha1\nkind: TidalConfig\nscoreWeights:\n  online: {LoadAware: 2, ZoneSpread: 1, AvoidBatchEviction: 1, ComplementaryPeak: 2, OnlineShapeRoom: 6}\npluginConfig:\n  OnlineShapeRoom: {keep: 3}\n',
      'c.yaml',
    );
    expect(c.scoreWeights.online).toMatchObject({ OnlineShapeRoom: 6 });
    expect(c.pluginArgs['OnlineShapeRoom']).toEqual({ keep: 3 });
    expect(() => new PolicyEngine({ config: c, state: new ClusterState(c.usage), profile: constantProfile({ batchShare: 0.5, onlineHeadroom: 0.2 }) })).not.toThrow();
  });
});
