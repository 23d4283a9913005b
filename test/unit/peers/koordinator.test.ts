// The koordinator baseline pinned to hand-computed cases of Koordinator's formulas and defaults
// (simulator/peers/koordinator/formula.ts), so that it cannot quietly become a straw man.

import { describe, expect, it } from 'vitest';
import { loadProfileFile } from '../../../profiles/loader.ts';
import { batchCapacity, predictedNonBatch } from '../../../scheduler/core/capacity.ts';
import { PolicyEngine } from '../../../scheduler/core/engine.ts';
import type { Resources } from '../../../scheduler/core/model.ts';
import { KOORDINATOR_LEVEL, KOORDINATOR_USAGE, koordinatorBatchResource, loadAwareEstimate, loadAwareOver, loadAwareScore, lowNodeLoadNeeds, migrationBudget, planLowNodeLoad, DEFAULT_LOW_NODE_LOAD } from '../../../simulator/peers/koordinator/formula.ts';
import { ClusterState } from '../../../scheduler/core/state.ts';
import { ProfileTimeline } from '../../../scheduler/core/timeline.ts';
import { KOORDINATOR, koordinatorPolicy } from '../../../simulator/peers/koordinator/policy.ts';
import { batch, batchFree, GiB, node, pod } from '../../helpers/core.ts';

const NOW = Date.parse('2026-11-10T12:00:00Z');
const MIN = 60_000;
const MB = 1_000_000;
const Z = { cpu: 0, memory: 0 };
const sample = (state: ClusterState, name: string, time: number, online: Resources, b: Resources = Z) => state.recordNodeUsage(name, { time, online, batch: b });

describe('koordinator batch resource (slo-controller formula)', () => {
  const base = { total: 32_000, reclaimThresholdPercent: 60, systemUsage: 1000, systemReserved: 500, highPriority: [{ request: 4000, used: 1500 }, { request: 2000, used: null }] };
  it('usage policy: total - total x 40% - max(system used, reserved) - HP used (no metric: request)', () => {
    // 32000 - 12800 - 1000 - (1500 + 2000) = 14700
    expect(koordinatorBatchResource(base)).toBe(14_700);
  });
  it('request and maxUsageRequest policies', () => {
    // 32000 - 12800 - 500 - (4000 + 2000) = 12700
    expect(koordinatorBatchResource({ ...base, policy: 'request' })).toBe(12_700);
    // 32000 - 12800 - 1000 - (max(4000, 1500) + 2000) = 12200
    expect(koordinatorBatchResource({ ...base, policy: 'maxUsageRequest' })).toBe(12_200);
  });
  it('clamps at 0, caps at batchThresholdPercent, and is 0 on stale metrics', () => {
    expect(koordinatorBatchResource({ ...base, highPriority: [{ request: 30_000, used: 30_000 }] })).toBe(0);
    expect(koordinatorBatchResource({ ...base, batchThresholdPercent: 30 })).toBe(9600);
    expect(koordinatorBatchResource({ ...base, stale: true })).toBe(0);
  });
  it('memory uses its own 65% threshold', () => {
    // 64 GiB - 64 x 35% - 0 - 16 GiB = 25.6 GiB
    expect(koordinatorBatchResource({ total: 64 * GiB, reclaimThresholdPercent: 65, systemUsage: 0, systemReserved: 0, highPriority: [{ request: 32 * GiB, used: 16 * GiB }] })).toBeCloseTo(25.6 * GiB, 0);
  });
});

describe('koordinator batch capacity in the core (KOORDINATOR_LEVEL, latest metric)', () => {
  it('equals the formula: A x 60% (cpu) / 65% (memory) - latest online-side usage - unmetered requests', () => {
    const state = new ClusterState(KOORDINATOR_USAGE);
    const n = state.upsertNode(node('n1'), NOW - 30 * MIN); // 16 cores, 64 GiB
    // An earlier, higher sample does not count: Koordinator reads the latest metric only.
    sample(state, 'n1', NOW - 10 * MIN, { cpu: 8000, memory: 20 * GiB });
    sample(state, 'n1', NOW - 5 * MIN, { cpu: 4000, memory: 16 * GiB });
    const cap = batchCapacity(n, KOORDINATOR_LEVEL, predictedNonBatch(n, NOW), { cpu: 0, memory: 0 });
    expect(cap.cpu).toBe(16_000 * 0.6 - 4000); // 5600
    expect(cap.memory).toBeCloseTo(64 * GiB * 0.65 - 16 * GiB, 0); // 25.6 GiB
    // An online pod bound after the sample, no metric yet: counts at its request.
    state.upsertPod(pod({ nodeName: 'n1', requests: { cpu: 2000, memory: 4 * GiB } }), NOW);
    const cap2 = batchCapacity(n, KOORDINATOR_LEVEL, predictedNonBatch(n, NOW), { cpu: 0, memory: 0 });
    expect(cap2.cpu).toBe(3600);
    expect(cap2.memory).toBeCloseTo(21.6 * GiB, 0);
    // Batch already there is subtracted by batchFree.
    state.upsertPod(batch({ nodeName: 'n1', requests: { cpu: 1000, memory: GiB } }), NOW);
    expect(batchFree(n, KOORDINATOR_LEVEL, predictedNonBatch(n, NOW), { cpu: 0, memory: 0 }).cpu).toBe(2600);
  });

  it('is 0 when the metric is older than 15 minutes', () => {
    const state = new ClusterState(KOORDINATOR_USAGE);
    const n = state.upsertNode(node('n1'), NOW - 30 * MIN);
    sample(state, 'n1', NOW - 16 * MIN, { cpu: 1000, memory: GiB });
    expect(batchCapacity(n, KOORDINATOR_LEVEL, predictedNonBatch(n, NOW), { cpu: 0, memory: 0 })).toEqual({ cpu: 0, memory: 0 });
    expect(batchCapacity(n, KOORDINATOR_LEVEL, predictedNonBatch(n, NOW - 2 * MIN), { cpu: 0, memory: 0 }).cpu).toBe(8600);
  });

  it('carries the model through the timeline of its constant profile', () => {
    const tl = new ProfileTimeline(KOORDINATOR.profileFor({ name: 'x', timeZone: 'Asia/Shanghai', default: { batchShare: 0.3, onlineHeadroom: 0.2, drainLeadMs: 0, rampMs: 0 }, windows: [] }));
    expect(tl.at(NOW).model).toEqual({ headroom: { cpu: 0.4, memory: 0.35 }, zeroWhenStale: true });
    expect(tl.over(NOW, NOW + 3_600_000).model).toEqual(tl.at(NOW).model);
  });
});

describe('koordinator LoadAware', () => {
  it('estimates max(request, limit) x 85% cpu / 70% memory, capped at the limit; empty requests as 250m / 200 MB', () => {
    expect(loadAwareEstimate({ cpu: 1000, memory: 2 * GiB }, Z)).toEqual({ cpu: 850, memory: 0.7 * 2 * GiB });
    expect(loadAwareEstimate(Z, Z)).toEqual({ cpu: 250, memory: 200 * MB });
    expect(loadAwareEstimate({ cpu: 1000, memory: GiB }, { cpu: 1200, memory: GiB }).cpu).toBe(1020);
  });
  it('filters above 65% cpu / 95% memory and scores least used', () => {
    const a = { cpu: 16_000, memory: 64 * GiB };
    expect(loadAwareOver({ cpu: 10_400, memory: GiB }, a)).toBeNull(); // exactly 65%
    expect(loadAwareOver({ cpu: 10_401, memory: GiB }, a)).toBe('cpu');
    expect(loadAwareOver({ cpu: 0, memory: 61 * GiB }, a)).toBe('memory');
    // (50 + 75) / 2
    expect(loadAwareScore({ cpu: 8000, memory: 16 * GiB }, a)).toBe(62.5);
  });
  it('in the engine: usage + pods bound since the metric + the incoming estimate', () => {
    const state = new ClusterState(KOORDINATOR.config.usage);
    const engine = new PolicyEngine({ config: KOORDINATOR.config, state, profile: KOORDINATOR_LEVEL_PROFILE, definitions: KOORDINATOR.definitions });
    state.upsertNode(node('n1'), NOW - MIN);
    sample(state, 'n1', NOW - MIN, { cpu: 8000, memory: 8 * GiB });
    const p = pod({ requests: { cpu: 1000, memory: GiB } }); // estimate 850
    expect(engine.filter(engine.context(p, NOW), null).feasible).toHaveLength(1); // 8850 / 16000 = 55%
    // A pod bound after the metric (request 2000 -> estimate 1700): 8000 + 1700 + 850 = 10550 > 10400
    state.upsertPod(pod({ nodeName: 'n1', requests: { cpu: 2000, memory: GiB }, startedAt: NOW }), NOW);
    const out = engine.filter(engine.context(p, NOW), null);
    expect(out.unresolvable.get('n1')).toBe('tidal/KoordLoadAware: estimated cpu usage would exceed the 65 percent usage threshold');
  });
});

const KOORDINATOR_LEVEL_PROFILE = KOORDINATOR.profileFor({ name: 'x', timeZone: 'UTC', default: { batchShare: 1, onlineHeadroom: 0, drainLeadMs: 0, rampMs: 0 }, windows: [] });

describe('koordinator LowNodeLoad', () => {
  /** hot: 16 cores at `hotCpu` usage with `pods` batch pods using `podCpu` each; cold: 20% used. */
  function cluster(hotCpu: number, pods: number, podCpu: number, cold = true) {
    const state = new ClusterState(KOORDINATOR_USAGE);
    state.upsertNode(node('hot'), NOW - MIN);
    state.upsertNode(node('mid'), NOW - MIN);
    if (cold) state.upsertNode(node('cold'), NOW - MIN);
    for (let i = 0; i < pods; i++) {
      const b = batch({ uid: `b${i}`, name: `b${i}`, nodeName: 'hot', requests: { cpu: podCpu, memory: GiB }, startedAt: NOW - (i + 1) * MIN });
      state.upsertPod(b, NOW - 2 * MIN);
      state.recordPodUsage(b.uid, { cpu: podCpu, memory: GiB });
    }
    sample(state, 'hot', NOW, { cpu: hotCpu - pods * podCpu, memory: 8 * GiB }, { cpu: pods * podCpu, memory: pods * GiB });
    sample(state, 'mid', NOW, { cpu: 9600, memory: 40 * GiB }); // 60% / 62.5%: neither hot nor cold
    if (cold) sample(state, 'cold', NOW, { cpu: 3200, memory: 12.8 * GiB }); // 20% / 20%
    return state;
  }
  const run = (state: ClusterState, abnormal = new Map([['hot', 5]]), rateBudget = Infinity) =>
    planLowNodeLoad({ state, now: NOW, config: DEFAULT_LOW_NODE_LOAD, abnormal, rateBudget, staleMs: KOORDINATOR_USAGE.staleAfterMs });

  it('acts on the 6th consecutive abnormal observation (basic_detector.go: more than 5), until the node is under 75%', () => {
    const state = cluster(12_800, 3, 2000); // 80% > 75%
    expect(run(state, new Map([['hot', 4]])).evictions).toHaveLength(0);
    const plan = run(state);
    expect(plan.abnormal.get('hot')).toBe(6);
    expect(plan.cold).toEqual(['cold']);
    // One eviction (2000m) brings 12800 to 10800 (67.5%): done. Youngest first (least progress, then youngest).
    expect(plan.evictions.map((e) => e.pod.uid)).toEqual(['b0']);
  });
  it('moves at most 2 pods per node per cycle, and only within the rate budget', () => {
    const state = cluster(15_200, 6, 1000); // 95%: four would be needed
    expect(run(state).evictions).toHaveLength(2);
    expect(run(state, undefined, 1).evictions).toHaveLength(1);
  });
  it('does nothing without a cold node to receive the load, or beyond the cold capacity', () => {
    expect(run(cluster(12_800, 3, 2000, false)).evictions).toHaveLength(0);
    // Cold capacity: (75% - 20%) x 16000 = 8800m; a 9000m pod does not fit there.
    expect(run(cluster(15_000, 1, 9000)).evictions).toHaveLength(0);
  });
  it('as a strategy: a need per gated hot node, most loaded first, the cold capacity its own admit()', () => {
    const state = cluster(15_200, 6, 1000); // 95 % cpu
    const s = lowNodeLoadNeeds({ state, now: NOW, config: DEFAULT_LOW_NODE_LOAD, abnormal: new Map([['hot', 5]]), staleMs: KOORDINATOR_USAGE.staleAfterMs });
    expect(s.hot).toEqual(['hot']);
    expect(s.cold).toEqual(['cold']);
    expect(s.needs).toHaveLength(1);
    const [n] = s.needs;
    // load = max(95 / 75, memory (2 + 6) GiB / 64 GiB = 12.5 % / 80) = 1.2667
    expect(n!.severity).toBeCloseTo(95 / 75, 10);
    expect(n!.reason).toBe('low-node-load');
    // Under 75 % = 12000m after 4 pods of 1000m: unmet until then.
    const pods = [...state.pods.values()];
    for (let i = 0; i < 4; i++) {
      expect(n!.unmet()).toBe(true);
      n!.take(pods[i]!);
    }
    expect(n!.unmet()).toBe(false);
    // Cold capacity 8800m - 4000m moved = 4800m: a 5000m pod is refused.
    expect(n!.admit!(batch({ requests: { cpu: 5000, memory: GiB } }))).toBe(false);
    expect(n!.admit!(batch({ requests: { cpu: 4800, memory: GiB } }))).toBe(true);
  });
  it('evicts any evictable pod, batch first, then by the most usage of the overused resource (sortPodsOnOneOverloadedNode)', () => {
    const state = new ClusterState(KOORDINATOR_USAGE);
    for (const n of ['hot', 'cold']) state.upsertNode(node(n), NOW - MIN);
    const web = pod({ uid: 'web', nodeName: 'hot', requests: { cpu: 6000, memory: GiB } });
    const small = batch({ uid: 'small', nodeName: 'hot', requests: { cpu: 500, memory: GiB } });
    const big = batch({ uid: 'big', nodeName: 'hot', requests: { cpu: 1500, memory: GiB } });
    const sys = pod({ uid: 'ds', class: 'system', ownerKind: 'DaemonSet', nodeName: 'hot', requests: { cpu: 100, memory: GiB } });
    for (const p of [web, small, big, sys]) state.upsertPod(p, NOW - 2 * MIN);
    state.recordPodUsage('web', { cpu: 10_000, memory: GiB });
    state.recordPodUsage('small', { cpu: 500, memory: GiB });
    state.recordPodUsage('big', { cpu: 1500, memory: GiB });
    // 15000m of 16000 = 93.75 % cpu; cold node at 20 %: cold capacity (75 - 20) % x 16000 = 8800m.
    sample(state, 'hot', NOW, { cpu: 13_000, memory: 8 * GiB }, { cpu: 2000, memory: 2 * GiB });
    sample(state, 'cold', NOW, { cpu: 3200, memory: 12.8 * GiB });
    const plan = planLowNodeLoad({ state, now: NOW, config: { ...DEFAULT_LOW_NODE_LOAD, maxMigratingPerNode: 0 }, abnormal: new Map([['hot', 5]]), rateBudget: Infinity, staleMs: KOORDINATOR_USAGE.staleAfterMs });
    // big (1500m) then small (500m): 13000m = 81 %, still hot; web (10000m) would exceed the cold capacity
    // left (8800 - 2000 = 6800m): refused, and the cycle stops there.
    expect(plan.evictions.map((e) => e.pod.uid)).toEqual(['big', 'small']);
    // With room on the cold side the online pod goes next (the DaemonSet pod never).
    sample(state, 'cold', NOW, { cpu: 0, memory: 0 });
    state.upsertNode(node('cold2'), NOW - MIN);
    sample(state, 'cold2', NOW, { cpu: 0, memory: 0 });
    const more = planLowNodeLoad({ state, now: NOW, config: { ...DEFAULT_LOW_NODE_LOAD, maxMigratingPerNode: 0 }, abnormal: new Map([['hot', 5]]), rateBudget: Infinity, staleMs: KOORDINATOR_USAGE.staleAfterMs });
    expect(more.evictions.map((e) => e.pod.uid)).toEqual(['big', 'small', 'web']);
  });
  it('evicts at QPS 10, burst 1, one reconcile at a time: 1 + 10 per second since the last cycle', () => {
    expect(migrationBudget(0)).toBe(1);
    expect(migrationBudget(99)).toBe(1);
    expect(migrationBudget(100)).toBe(2);
    expect(migrationBudget(120_000)).toBe(1201);
  });
  it('plans past PodDisruptionBudgets, as Koordinator leaves them to the Eviction API', () => {
    const state = cluster(12_800, 3, 2000);
    state.upsertPdb({ namespace: 'default', name: 'jobs', selector: {}, disruptionsAllowed: 0 });
    expect(run(state).evictions.map((e) => e.pod.uid)).toEqual(['b0']);
  });
});

describe('koordinator foresight (a timed config change before the peak)', () => {
  it("halves the reclaim thresholds from the peak's drain lead to its end, and only with the option", () => {
    const d11 = loadProfileFile('profiles/double11.yaml');
    expect(koordinatorPolicy().profileFor(d11).windows).toEqual([]);
    const [w, ...rest] = koordinatorPolicy({ foresight: 1 }).profileFor(d11).windows;
    expect(rest).toEqual([]);
    // double11-peak 23:00 (1 h drain lead) merged with double11-day to 12 Nov 00:00.
    expect(w!.start).toBe(Date.parse('2026-11-10T22:00:00+08:00'));
    expect(w!.end).toBe(Date.parse('2026-11-12T00:00:00+08:00'));
    // 60 % -> 30 % cpu, 65 % -> 32.5 % memory: headroom 0.7 / 0.675.
    expect(w!.model!.headroom!.cpu).toBeCloseTo(0.7, 12);
    expect(w!.model!.headroom!.memory).toBeCloseTo(0.675, 12);
  });
});

