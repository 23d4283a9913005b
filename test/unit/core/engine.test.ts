import { describe, expect, it } from 'vitest';
import { batchCapacity, predictedNonBatch } from '../../../scheduler/core/capacity.ts';
import { KUBE_DEFAULT, STATIC_COLOCATION, TIME_SHARING, type PolicyConfig } from '../../../scheduler/core/config.ts';
import { PolicyEngine } from '../../../scheduler/core/engine.ts';
import { constantProfile, type Profile } from '../../../scheduler/core/profile.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { batch, GiB, node, pod } from '../../helpers/core.ts';

const H = 3_600_000;
const NOW = Date.parse('2026-11-10T12:00:00Z');

function setup(profile: Profile = constantProfile({ batchShare: 0.5, onlineHeadroom: 0.2 }), config: PolicyConfig = TIME_SHARING) {
  const state = new ClusterState(config.usage);
  const engine = new PolicyEngine({ config, state, profile });
  return { state, engine };
}

describe('batch capacity', () => {
  it('falls back to requests without usage, and follows the documented formula', () => {
    const { state } = setup();
    const n = state.upsertNode(node('n1'), NOW); // 16 cores, 64 GiB
    state.upsertPod(pod({ nodeName: 'n1', requests: { cpu: 4000, memory: 8 * GiB } }), NOW);
    const online = predictedNonBatch(n, NOW);
    expect(online).toEqual({ cpu: 4000, memory: 8 * GiB });
    // min(16*0.5, 16*(1-0.2) - 4) = min(8, 8.8) = 8 cores; memory min(32, 51.2-8) = 32 GiB
    expect(batchCapacity(n, { batchShare: 0.5, onlineHeadroom: 0.2 }, online, { cpu: 0, memory: 0 })).toEqual({ cpu: 8000, memory: 32 * GiB });
    // headroom binds: min(16*0.9, 16*(1-0.5) - 4) = 4 cores
    expect(batchCapacity(n, { batchShare: 0.9, onlineHeadroom: 0.5 }, online, { cpu: 0, memory: 0 }).cpu).toBe(4000);
    // never negative
    expect(batchCapacity(n, { batchShare: 0.9, onlineHeadroom: 0.9 }, online, { cpu: 0, memory: 0 })).toEqual({ cpu: 0, memory: 0 });
  });

  it('predicts online usage from a percentile of samples, the latest sample, and pods not yet metered', () => {
    const { state } = setup();
    const n = state.upsertNode(node('n1'), NOW);
    state.upsertPod(pod({ nodeName: 'n1', requests: { cpu: 8000, memory: 8 * GiB }, startedAt: NOW - 2 * H }), NOW);
    for (let i = 0; i < 20; i++) {
      state.recordNodeUsage('n1', { time: NOW - 20 * 60_000 + i * 60_000, online: { cpu: 1000 + i * 100, memory: GiB }, batch: { cpu: 0, memory: 0 } });
    }
    // p95 of 1000..2900 (step 100) is 2805; the latest (2900) is larger
    expect(predictedNonBatch(n, NOW).cpu).toBeCloseTo(2900);
    // A pod bound after the latest sample counts at its request until usage shows it.
    state.upsertPod(pod({ nodeName: 'n1', requests: { cpu: 500, memory: GiB } }), NOW);
    expect(predictedNonBatch(n, NOW).cpu).toBeCloseTo(3400);
    state.recordNodeUsage('n1', { time: NOW + 1000, online: { cpu: 1500, memory: GiB }, batch: { cpu: 0, memory: 0 } });
    // 21 samples now (1000..2900 and 1500): the p95 is the 20th smallest, 2800; the unmetered pod is metered.
    expect(predictedNonBatch(n, NOW + 1000).cpu).toBe(2800);
    // Stale usage falls back to requests.
    expect(predictedNonBatch(n, NOW + 2 * H).cpu).toBe(8500);
  });
});

describe('filters', () => {
  it('filters the named nodes: feasible ones, refusals with the plugin\'s reason, unknown names unresolvable', () => {
    const { state, engine } = setup();
    state.upsertNode(node('n1'), NOW);
    state.upsertNode(node('n2'), NOW);
    state.upsertPod(batch({ nodeName: 'n1', requests: { cpu: 7000, memory: GiB } }), NOW);
    const ctx = engine.context(batch({ requests: { cpu: 2000, memory: GiB } }), NOW);
    const out = engine.filter(ctx, ['n1', 'n2', 'ghost']);
    expect(out.feasible.map((n) => n.name)).toEqual(['n2']);
    expect(out.unresolvable.get('n1')).toMatch(/^tidal\/BatchCapacityFit: not enough batch cpu in window default \(batchShare 0\.50/);
    expect(out.unresolvable.get('ghost')).toMatch(/unknown to Tidal/);
  });

  it('gives every node that fails for one cause the same reason, so kube-scheduler groups them', () => {
    const { state, engine } = setup();
    for (let i = 0; i < 3; i++) state.upsertNode(node(`n${i}`), NOW);
    state.upsertPod(batch({ nodeName: 'n0', requests: { cpu: 8000, memory: GiB } }), NOW);
    state.upsertPod(batch({ nodeName: 'n1', requests: { cpu: 7500, memory: GiB } }), NOW);
    const out = engine.filter(engine.context(batch({ requests: { cpu: 1000, memory: GiB } }), NOW), ['n0', 'n1', 'n2']);
    expect(out.unresolvable.get('n0')).toBe(out.unresolvable.get('n1'));
    expect(out.feasible.map((n) => n.name)).toEqual(['n2']);
  });

  it('leaves system pods to kube-scheduler', () => {
    const { state, engine } = setup();
    state.upsertNode(node('n1', { unschedulable: true }), NOW);
    const ctx = engine.context(pod({ class: 'system' }), NOW);
    expect(engine.filter(ctx, null).feasible).toHaveLength(1);
    expect([...engine.score(ctx, [state.nodes.get('n1')!])]).toEqual([0]);
  });
});

describe('scores', () => {
  it('prefers, for online pods, the node with more predicted room and no batch to evict', () => {
    const { state, engine } = setup();
    state.upsertNode(node('busy'), NOW);
    state.upsertNode(node('idle'), NOW);
    state.upsertNode(node('batchy'), NOW);
    state.upsertPod(pod({ nodeName: 'busy', requests: { cpu: 10_000, memory: 8 * GiB } }), NOW);
    state.upsertPod(batch({ nodeName: 'batchy', requests: { cpu: 8000, memory: 8 * GiB } }), NOW);
    const nodes = ['busy', 'idle', 'batchy'].map((n) => state.nodes.get(n)!);
    // On batchy, 5 more online cores cut batch capacity to min(8, 16*0.8 - 5) = 7.8 < 8 held by batch.
    const ctx = engine.context(pod({ requests: { cpu: 5000, memory: GiB } }), NOW);
    const s = engine.score(ctx, nodes);
    expect(s[1]).toBeGreaterThan(s[0]!);
    expect(s[1]).toBeGreaterThan(s[2]!);
    for (const x of s) expect(x).toBeGreaterThanOrEqual(0);
    for (const x of s) expect(x).toBeLessThanOrEqual(100);
  });

  it('places deterministically and like kube-default when asked', () => {
    const { state, engine } = setup(undefined, KUBE_DEFAULT);
    for (let i = 0; i < 5; i++) state.upsertNode(node(`n${i}`), NOW);
    state.upsertPod(batch({ nodeName: 'n0', requests: { cpu: 8000, memory: GiB } }), NOW);
    const p = pod({ uid: 'fixed', requests: { cpu: 1000, memory: GiB } });
    const first = engine.place(p, NOW).node!.name;
    expect(first).not.toBe('n0');
    const { state: s2, engine: e2 } = setup(undefined, KUBE_DEFAULT);
    for (let i = 0; i < 5; i++) s2.upsertNode(node(`n${i}`), NOW);
    s2.upsertPod(batch({ nodeName: 'n0', requests: { cpu: 8000, memory: GiB } }), NOW);
    expect(e2.place(p, NOW).node!.name).toBe(first);
  });

  it('static co-location ignores durations', () => {
    const { engine } = setup(undefined, STATIC_COLOCATION);
    expect(engine.context(batch({ expectedRuntimeMs: H }), NOW).mustHoldSpan).toBe(false);
  });

  it('rejects unknown score plugins in a policy', () => {
    expect(() => setup(undefined, { ...TIME_SHARING, scoreWeights: { online: { Nope: 1 } as never, batch: {} } })).toThrow(/unknown online score plugin "Nope"/);
  });
});

describe('name-aligned verdicts and scores (the webhook fast path)', () => {
  it('agree with filter() and score()', () => {
    const state = new ClusterState(TIME_SHARING.usage);
    const engine = new PolicyEngine({ config: TIME_SHARING, state, profile: constantProfile({ batchShare: 0.5, onlineHeadroom: 0.2 }) });
    for (let i = 0; i < 6; i++) state.upsertNode(node(`n${i}`, { zone: `z${i % 2}`, unschedulable: i === 5 }), NOW);
    state.upsertPod(batch({ nodeName: 'n1', requests: { cpu: 7500, memory: GiB } }), NOW);
    state.upsertPod(pod({ nodeName: 'n2', requests: { cpu: 15_500, memory: GiB } }), NOW);
    const names = ['n3', 'ghost', 'n1', 'n2', 'n0', 'n5', 'n4'];
    for (const p of [batch({ requests: { cpu: 1000, memory: GiB } }), pod({ requests: { cpu: 1000, memory: GiB } })]) {
      const ctx = engine.context(p, NOW);
      const v = engine.verdicts(ctx, names);
      const f = engine.filter(ctx, names);
      names.forEach((name, k) => {
        const reason = f.failed.get(name) ?? f.unresolvable.get(name) ?? null;
        expect(v.refusals[k]?.message ?? null).toBe(reason);
        expect(v.refusals[k]?.unresolvable === true).toBe(f.unresolvable.has(name));
      });
      expect(v.passed).toBe(f.feasible.length);
      const byName = engine.scoreNames(ctx, names);
      const direct = engine.score(ctx, f.feasible);
      f.feasible.forEach((n, j) => expect(byName[names.indexOf(n.name)]).toBeCloseTo(direct[j]!));
      expect(byName[names.indexOf('ghost')]).toBe(0);
    }
  });

  it('keeps working after nodes are removed (rows move)', () => {
    const state = new ClusterState(TIME_SHARING.usage);
    const engine = new PolicyEngine({ config: TIME_SHARING, state, profile: constantProfile({ batchShare: 0.5, onlineHeadroom: 0.2 }) });
    for (let i = 0; i < 4; i++) state.upsertNode(node(`n${i}`), NOW);
    state.upsertPod(pod({ nodeName: 'n3', requests: { cpu: 16_000, memory: GiB } }), NOW);
    state.removeNode('n0');
    const v = engine.verdicts(engine.context(pod({ requests: { cpu: 1000, memory: GiB } }), NOW), ['n0', 'n1', 'n2', 'n3']);
    expect(v.refusals[0]?.message).toMatch(/unknown to Tidal/);
    expect(v.refusals.slice(1, 3)).toEqual([null, null]);
    expect(v.refusals[3]?.message).toBe('tidal/RequestsFit: insufficient cpu (online and system requests; batch does not count)');
  });
});
