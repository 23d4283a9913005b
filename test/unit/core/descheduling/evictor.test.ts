// The one evictor: which pods it picks and every limit it enforces, with needs written by hand, and
// the same limits holding for all three strategies (peak drain, hot spot, Koordinator's LowNodeLoad).

import { describe, expect, it } from 'vitest';
import { Evictor, NO_LIMITS, type EvictorOptions } from '../../../../scheduler/core/descheduling/evictor.ts';
import type { Need } from '../../../../scheduler/core/descheduling/needs.ts';
import { hotSpotNeeds } from '../../../../scheduler/core/descheduling/strategies/hot-spot.ts';
import { peakDrainNeeds } from '../../../../scheduler/core/descheduling/strategies/peak-drain.ts';
import type { PodInfo } from '../../../../scheduler/core/model.ts';
import { DEFAULT_LOW_NODE_LOAD, lowNodeLoadNeeds } from '../../../../simulator/peers/koordinator/formula.ts';
import { constantProfile } from '../../../../scheduler/core/profile.ts';
import { ClusterState, type NodeState } from '../../../../scheduler/core/state.ts';
import { ProfileTimeline } from '../../../../scheduler/core/timeline.ts';
import { DEFAULT_EVICTION_RULES } from '../../../../scheduler/core/victims.ts';
import { batch, GiB, node, pod } from '../../../helpers/core.ts';

const NOW = Date.parse('2026-11-10T12:00:00Z');
const MIN = 60_000;

/** A need for `count` evictions; records what it was offered and given. */
function countNeed(n: NodeState, count: number, severity: number, over: Partial<Need> = {}): Need & { taken: string[] } {
  const taken: string[] = [];
  return {
    node: n,
    reason: 'test',
    severity,
    unmet: () => taken.length < count,
    helps: () => true,
    take: (p: PodInfo) => void taken.push(p.uid),
    remaining: () => ({ cpu: count - taken.length, memory: 0 }),
    message: () => `test on ${n.name}`,
    ...over,
    taken,
  };
}

/** Nodes a, b, c with `per` batch pods each, uid `${node}${i}`, older as i grows (b0 cheapest). */
function cluster(per = 4, ns: (node: string, i: number) => string = () => 'default') {
  const state = new ClusterState();
  for (const n of ['a', 'b', 'c']) {
    state.upsertNode(node(n), NOW);
    for (let i = 0; i < per; i++) {
      state.upsertPod(batch({ uid: `${n}${i}`, name: `${n}${i}`, namespace: ns(n, i), nodeName: n, startedAt: NOW - (i + 1) * MIN }), NOW);
    }
  }
  const at = (n: string) => state.nodes.get(n)!;
  return { state, at };
}

const evictor = (state: ClusterState, o: Partial<EvictorOptions> = {}) => new Evictor(state, NOW, { rules: DEFAULT_EVICTION_RULES, limits: NO_LIMITS, rateBudget: Infinity, ...o });
const uids = (e: Evictor) => e.evictions.map((x) => x.pod.uid);

describe('evictor: victims', () => {
  it('offers evictable batch only, not in flight, cheapest first, and counts the protected batch pods', () => {
    const { state, at } = cluster(3);
    state.upsertPod(pod({ uid: 'web', nodeName: 'a' }), NOW);
    state.upsertPod(batch({ uid: 'bare', nodeName: 'a', ownerKind: '' }), NOW);
    state.upsertPod(batch({ uid: 'disk', nodeName: 'a', hasLocalStorage: true }), NOW);
    const e = evictor(state, { inFlight: new Set(['a0']) });
    expect(e.victims(at('a')).map((p) => p.uid)).toEqual(['a1', 'a2']);
    // The online pod is never a candidate and not counted; the two protected batch pods are.
    expect([...e.skipped]).toEqual([
      ['not evictable: bare pod (no controller would recreate it)', 1],
      ['not evictable: uses local storage', 1],
    ]);
  });

  it('serves the most severe node first (name breaks ties), and stops a node once its needs are met', () => {
    const { state, at } = cluster();
    const e = evictor(state);
    const out = e.run([countNeed(at('c'), 1, 0.2), countNeed(at('a'), 2, 0.1), countNeed(at('b'), 1, 0.2)]);
    expect(out.map((o) => [o.node.name, o.planned])).toEqual([['b', 1], ['c', 1], ['a', 2]]);
    expect(uids(e)).toEqual(['b0', 'c0', 'a0', 'a1']);
    expect(out.every((o) => o.remaining.cpu === 0)).toBe(true);
  });

  it('passes over a pod no need of the node is helped by, and gives the first unmet need its reason', () => {
    const { state, at } = cluster();
    const first = countNeed(at('a'), 1, 0.1, { reason: 'first', helps: (p) => p.uid !== 'a0' });
    const second = countNeed(at('a'), 3, 0.1, { reason: 'second', helps: (p) => p.uid !== 'a0' });
    const e = evictor(state);
    e.run([first, second]);
    // a0 helps neither; a1 goes for `first` (unmet), a2 and a3 for `second`. Every need counts every eviction.
    expect(e.evictions.map((x) => [x.pod.uid, x.reason])).toEqual([['a1', 'first'], ['a2', 'second'], ['a3', 'second']]);
    expect(first.taken).toEqual(['a1', 'a2', 'a3']);
    expect(e.evictions[0]!.message).toBe('test on a');
  });

  it("stops a node when a need's admit() refuses, and goes on with the next node", () => {
    const { state, at } = cluster();
    const e = evictor(state);
    e.run([countNeed(at('a'), 4, 0.2, { admit: (p) => p.uid !== 'a1' }), countNeed(at('b'), 1, 0.1)]);
    expect(uids(e)).toEqual(['a0', 'b0']);
  });
});

describe('evictor: limits (0 = none)', () => {
  it('per node: stops the node at maxPerNode and counts one skip', () => {
    const { state, at } = cluster();
    const e = evictor(state, { limits: { ...NO_LIMITS, maxPerNode: 2 } });
    e.run([countNeed(at('a'), 4, 0.2), countNeed(at('b'), 1, 0.1)]);
    expect(uids(e)).toEqual(['a0', 'a1', 'b0']);
    expect(e.skipped.get('limit: per node')).toBe(1);
  });

  it('per namespace: passes over that namespace and takes the next pod of another', () => {
    // a0, a2 in "x"; a1, a3 in "y".
    const { state, at } = cluster(4, (_n, i) => (i % 2 ? 'y' : 'x'));
    const e = evictor(state, { limits: { ...NO_LIMITS, maxPerNamespace: 1 } });
    e.run([countNeed(at('a'), 4, 0.1)]);
    expect(uids(e)).toEqual(['a0', 'a1']);
    expect(e.skipped.get('limit: per namespace')).toBe(2);
  });

  it('per cycle and rate: the smaller of maxTotal and the rate budget, skipped under the one that bound', () => {
    const { state, at } = cluster();
    const needs = () => [countNeed(at('a'), 2, 0.3), countNeed(at('b'), 2, 0.2), countNeed(at('c'), 2, 0.1)];
    const cycle = evictor(state, { limits: { ...NO_LIMITS, maxTotal: 3 }, rateBudget: 10 });
    cycle.run(needs());
    expect(uids(cycle)).toEqual(['a0', 'a1', 'b0']);
    // b stops at the cap, c stops at once: one skip each.
    expect([...cycle.skipped]).toEqual([['limit: per cycle', 2]]);
    const rate = evictor(state, { limits: { ...NO_LIMITS, maxTotal: 3 }, rateBudget: 1 });
    rate.run(needs());
    expect(uids(rate)).toEqual(['a0']);
    expect([...rate.skipped]).toEqual([['limit: eviction rate', 3]]);
  });

  it('PodDisruptionBudgets: counts disruptions across nodes; off, it leaves them to the Eviction API', () => {
    const { state, at } = cluster();
    state.upsertPdb({ namespace: 'default', name: 'jobs', selector: {}, disruptionsAllowed: 2 });
    const e = evictor(state);
    e.run([countNeed(at('a'), 1, 0.2), countNeed(at('b'), 3, 0.1)]);
    expect(uids(e)).toEqual(['a0', 'b0']);
    expect(e.skipped.get('PodDisruptionBudget allows no more disruptions')).toBe(3);
    const off = evictor(state, { podDisruptionBudgets: false });
    off.run([countNeed(at('a'), 1, 0.2), countNeed(at('b'), 3, 0.1)]);
    expect(uids(off)).toEqual(['a0', 'b0', 'b1', 'b2']);
  });

  it('limits span run() calls in one cycle (one strategy after another)', () => {
    const { state, at } = cluster();
    const e = evictor(state, { limits: { maxPerNode: 2, maxPerNamespace: 0, maxTotal: 3 } });
    e.run([countNeed(at('a'), 1, 0.1)]);
    e.run([countNeed(at('a'), 4, 0.1), countNeed(at('b'), 4, 0.05)]);
    // a: 1 + 1 (per node 2); b: 1 (total 3).
    expect(uids(e)).toEqual(['a0', 'a1', 'b0']);
  });
});

describe('evictor: one set of limits for every strategy', () => {
  // drain: batch 6 x 1000m over a 4000m capacity (level 0.25/0.1, web 4000m) -> 2 pods, severity 0.125
  // hot:   usage 14400m = 90 % > 85 %, 3rd hot cycle; target 75 % = 12000m -> 2400m -> 3 pods of 1000m,
  //        severity 2400/16000 = 0.15
  // koord: usage 12800m = 80 % > 75 %, 6th abnormal cycle (LowNodeLoad acts after more than 5 marks); one 1000m pod brings it to 73.75 % -> 1 pod,
  //        severity (LowNodeLoad's load) 80/75 = 1.07; cold: 20 % used
  // No strategy sees a need on another's node.
  function three() {
    const state = new ClusterState();
    for (const n of ['drain', 'hot', 'koord', 'cold']) state.upsertNode(node(n), NOW - 10 * MIN);
    state.upsertPod(pod({ uid: 'web', nodeName: 'drain', requests: { cpu: 4000, memory: 8 * GiB } }), NOW - 10 * MIN);
    for (let i = 0; i < 6; i++) state.upsertPod(batch({ uid: `drain${i}`, nodeName: 'drain', requests: { cpu: 1000, memory: GiB }, startedAt: NOW - (i + 1) * MIN }), NOW - 10 * MIN);
    for (const n of ['hot', 'koord']) {
      for (let i = 0; i < 4; i++) {
        state.upsertPod(batch({ uid: `${n}${i}`, nodeName: n, requests: { cpu: 1000, memory: GiB }, startedAt: NOW - (i + 1) * MIN }), NOW - 10 * MIN);
        state.recordPodUsage(`${n}${i}`, { cpu: 1000, memory: GiB });
      }
    }
    state.recordNodeUsage('hot', { time: NOW - MIN, online: { cpu: 10_400, memory: 12 * GiB }, batch: { cpu: 4000, memory: 4 * GiB } });
    state.recordNodeUsage('koord', { time: NOW - MIN, online: { cpu: 8800, memory: 12 * GiB }, batch: { cpu: 4000, memory: 4 * GiB } });
    state.recordNodeUsage('cold', { time: NOW - MIN, online: { cpu: 3200, memory: 12.8 * GiB }, batch: { cpu: 0, memory: 0 } });
    const level = new ProfileTimeline(constantProfile({ batchShare: 0.25, onlineHeadroom: 0.1 })).at(NOW);
    const inFlight = new Set<string>();
    const needs = [
      ...peakDrainNeeds({ state, now: NOW, level, inFlight }),
      ...hotSpotNeeds({ state, now: NOW, config: { threshold: { cpu: 0.85, memory: 0.9 }, target: { cpu: 0.75, memory: 0.85 }, consecutive: 3 }, hotStreaks: new Map([['hot', 2]]), inFlight }).needs,
      ...lowNodeLoadNeeds({ state, now: NOW, config: DEFAULT_LOW_NODE_LOAD, abnormal: new Map([['koord', 5]]), staleMs: 15 * MIN }).needs,
    ];
    return { state, needs };
  }
  const reasons = (e: Evictor) => e.evictions.map((x) => `${x.node}:${x.reason}`);

  it('without limits each strategy gets what it needs, most severe node first', () => {
    const { state, needs } = three();
    expect(needs.map((n) => [n.node.name, n.reason, +n.severity.toFixed(3)])).toEqual([
      ['drain', 'peak-drain', 0.125],
      ['hot', 'hot-spot', 0.15],
      ['koord', 'low-node-load', 1.067],
    ]);
    const e = evictor(state);
    e.run(needs);
    expect(reasons(e)).toEqual(['koord:low-node-load', 'hot:hot-spot', 'hot:hot-spot', 'hot:hot-spot', 'drain:peak-drain', 'drain:peak-drain']);
  });

  it('maxPerNode 1 holds on every strategy', () => {
    const { state, needs } = three();
    const e = evictor(state, { limits: { ...NO_LIMITS, maxPerNode: 1 } });
    e.run(needs);
    expect(reasons(e)).toEqual(['koord:low-node-load', 'hot:hot-spot', 'drain:peak-drain']);
    expect(e.skipped.get('limit: per node')).toBe(2);
  });

  it('maxTotal 2 and a rate budget of 1 cut across strategies', () => {
    const a = three();
    const total = evictor(a.state, { limits: { ...NO_LIMITS, maxTotal: 2 } });
    total.run(a.needs);
    expect(reasons(total)).toEqual(['koord:low-node-load', 'hot:hot-spot']);
    expect(total.skipped.get('limit: per cycle')).toBe(2);
    const b = three();
    const rate = evictor(b.state, { rateBudget: 1 });
    rate.run(b.needs);
    expect(reasons(rate)).toEqual(['koord:low-node-load']);
    expect(rate.skipped.get('limit: eviction rate')).toBe(2);
  });

  it('maxPerNamespace 3 counts every strategy\'s evictions in the namespace', () => {
    const { state, needs } = three();
    const e = evictor(state, { limits: { ...NO_LIMITS, maxPerNamespace: 3 } });
    e.run(needs);
    // koord 1 + hot 2 = 3; the hot node's third and all six drain pods are passed over.
    expect(reasons(e)).toEqual(['koord:low-node-load', 'hot:hot-spot', 'hot:hot-spot']);
    expect(e.skipped.get('limit: per namespace')).toBe(2 + 6);
  });
});
