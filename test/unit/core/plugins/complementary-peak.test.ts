import { describe, expect, it } from 'vitest';
import { AppCurves, SLOT_MS } from '../../../../scheduler/core/app-curves.ts';
import { KUBE_DEFAULT, STATIC_COLOCATION, TIME_SHARING, type PolicyConfig } from '../../../../scheduler/core/config.ts';
import { PolicyEngine } from '../../../../scheduler/core/engine.ts';
import { DEFAULT_PLANNER, planEvictions } from '../../../../scheduler/core/descheduling/plan.ts';
import type { Resources } from '../../../../scheduler/core/model.ts';
import { combinedPeak, peakBound, podCurve, podCurvesOf } from '../../../../scheduler/core/plugins/complementary-peak.ts';
import { constantProfile, type Profile } from '../../../../scheduler/core/profile.ts';
import { ClusterState } from '../../../../scheduler/core/state.ts';
import { ProfileTimeline } from '../../../../scheduler/core/timeline.ts';
import { batch, GiB, node, pod } from '../../../helpers/core.ts';

const H = 3_600_000;
/** Monday 00:00 UTC: slot of day d starts at DAY0 + d * 15 min. */
const DAY0 = Date.parse('2026-11-09T00:00:00Z');
const NOW = DAY0 + 24 * H + 12 * H; // Tuesday 12:00, after one day of observations

/** One day of per-pod observations: `at(slot)` CPU (one value, or a pair for variance), memory 1 GiB. */
function learn(state: ClusterState, app: string, at: (slot: number) => number | [number, number]): void {
  for (let d = 0; d < 96; d++) {
    const v = at(d);
    for (const cpu of Array.isArray(v) ? v : [v]) state.curves.observe(app, DAY0 + d * SLOT_MS, { cpu, memory: GiB });
  }
}

function peakAt(slot: number, high: number, low: number): (d: number) => number {
  return (d) => (d === slot ? high : low);
}

/** TIME_SHARING with every complementary-peak option on (the filter is opt-in). */
const ALL_ON: PolicyConfig = { ...TIME_SHARING, complementaryPeak: { enabled: true, filter: true, batchCapacity: true } };

function setup(opts: { profile?: Profile; config?: PolicyConfig; cpu?: number } = {}) {
  const config = opts.config ?? ALL_ON;
  const state = new ClusterState(config.usage);
  const engine = new PolicyEngine({ config, state, profile: opts.profile ?? constantProfile({ batchShare: 0.5, onlineHeadroom: 0.1 }) });
  for (const n of ['n1', 'n2', 'n3']) state.upsertNode(node(n, { allocatable: { cpu: opts.cpu ?? 16_000, memory: 64 * GiB } }), DAY0);
  return { state, engine };
}

const r0 = (): Resources => ({ cpu: 0, memory: 0 });

describe('combined peak of a node (hand-worked)', () => {
  it('sums curves slot by slot: the peak of the sum, not the sum of the peaks', () => {
    const { state, engine } = setup();
    learn(state, 'evening', peakAt(80, 4000, 1000)); // 20:00
    learn(state, 'morning', peakAt(32, 4000, 1000)); // 08:00
    state.curves.flush();
    state.upsertPod(pod({ app: 'evening', nodeName: 'n1' }), NOW);
    state.upsertPod(pod({ app: 'morning', nodeName: 'n2' }), NOW);
    const ctx = engine.context(pod({ app: 'evening' }), NOW);
    const pc = podCurve(ctx, podCurvesOf(engine.handle));
    // n1: evening + evening = 4000 + 4000 at 20:00.
    expect(combinedPeak(pc, state.rows.get('n1')!, r0()).cpu).toBeCloseTo(8000);
    // n2: morning + evening: 1000 + 4000 at either peak (a sum of peaks would say 8000).
    expect(combinedPeak(pc, state.rows.get('n2')!, r0()).cpu).toBeCloseTo(5000);
    // n3: empty.
    expect(combinedPeak(pc, state.rows.get('n3')!, r0()).cpu).toBeCloseTo(4000);
    expect(combinedPeak(pc, state.rows.get('n1')!, r0()).memory).toBeCloseTo(2 * GiB);
    // The score's bound is exact here (no variance, one peak slot per block).
    expect(peakBound(pc, state.rows.get('n2')!, r0()).cpu).toBeCloseTo(5000);
    const scores = engine.scoreNames(ctx, ['n1', 'n2', 'n3']);
    const only = new PolicyEngine({ config: { ...TIME_SHARING, scoreWeights: { online: { ComplementaryPeak: 1 }, batch: {} } }, state, profile: constantProfile({ batchShare: 0.5, onlineHeadroom: 0.1 }) });
    const s = only.scoreNames(only.context(pod({ app: 'evening' }), NOW), ['n1', 'n2', 'n3']);
    // 1 - 8000/16000 = 0.5 (cpu), memory 1 - 2/64; weighted mean of the two, x 100.
    expect(s[0]).toBeCloseTo(50 * (0.5 + (1 - 2 / 64)));
    expect(s[1]).toBeCloseTo(50 * (1 - 5 / 16 + (1 - 2 / 64)));
    expect(s[1]).toBeGreaterThan(s[0]!);
    expect(scores[1]).toBeGreaterThan(scores[0]!);
  });

  it('adds standard deviations linearly within an app and as independent across apps', () => {
    const { state, engine } = setup();
    // Per pod: mean 2000, variance 1e6 (sd 1000) in every slot; two apps with the same curve.
    learn(state, 'a', () => [1000, 3000]);
    learn(state, 'b', () => [1000, 3000]);
    state.curves.flush();
    const z = state.curves.config.z;
    state.upsertPod(pod({ app: 'a', nodeName: 'n1' }), NOW);
    state.upsertPod(pod({ app: 'b', nodeName: 'n2' }), NOW);
    const pc = podCurve(engine.context(pod({ app: 'a' }), NOW), podCurvesOf(engine.handle));
    // Two pods of a: 4000 + z * (1000 + 1000).
    expect(combinedPeak(pc, state.rows.get('n1')!, r0()).cpu).toBeCloseTo(4000 + z * 2000);
    // a and b: 4000 + z * sqrt(1000^2 + 1000^2).
    expect(combinedPeak(pc, state.rows.get('n2')!, r0()).cpu).toBeCloseTo(4000 + z * Math.SQRT2 * 1000);
    // The table agrees once the pod is there.
    state.upsertPod(pod({ app: 'a', nodeName: 'n1' }), NOW);
    const nc = state.nodeCurves;
    expect(nc.pCpu(state.rows.get('n1')!, 10)).toBeCloseTo(4000 + z * 2000);
  });

  it('counts an app with no curve yet, and system pods, flat at their requests', () => {
    const { state, engine } = setup();
    state.upsertPod(pod({ app: 'new', nodeName: 'n1', requests: { cpu: 3000, memory: GiB } }), NOW);
    state.upsertPod(pod({ app: 'ds', class: 'system', nodeName: 'n1', requests: { cpu: 500, memory: GiB } }), NOW);
    const pc = podCurve(engine.context(pod({ app: 'other', requests: { cpu: 2000, memory: GiB } }), NOW), podCurvesOf(engine.handle));
    expect(combinedPeak(pc, state.rows.get('n1')!, r0()).cpu).toBeCloseTo(5500);
    // Once the app is learned, the rows move from its requests to its curve.
    learn(state, 'new', peakAt(48, 2500, 500));
    state.curves.flush();
    const pc2 = podCurve(engine.context(pod({ app: 'other', requests: { cpu: 2000, memory: GiB } }), NOW), podCurvesOf(engine.handle));
    expect(combinedPeak(pc2, state.rows.get('n1')!, r0()).cpu).toBeCloseTo(2500 + 500 + 2000);
  });

  it('learns from node usage: pods with their own metrics first, the rest split by requests', () => {
    const state = new ClusterState();
    state.learnCurves();
    state.upsertNode(node('n1'), DAY0);
    state.upsertPod(pod({ uid: 'm', app: 'metered', nodeName: 'n1', requests: { cpu: 1000, memory: GiB } }), DAY0);
    state.upsertPod(pod({ uid: 'u1', app: 'plain', nodeName: 'n1', requests: { cpu: 1000, memory: GiB } }), DAY0);
    state.upsertPod(pod({ uid: 'u2', app: 'plain', nodeName: 'n1', requests: { cpu: 3000, memory: 3 * GiB } }), DAY0);
    state.recordPodUsage('m', { cpu: 600, memory: GiB / 2 });
    state.recordNodeUsage('n1', { time: DAY0 + 60_000, online: { cpu: 4600, memory: 4.5 * GiB }, batch: { cpu: 0, memory: 0 } });
    state.curves.flush();
    const at = (app: string) => state.curves.predict(app, DAY0, r0())!;
    expect(at('metered').cpu).toBeCloseTo(600);
    // 4000 left for u1 (1/4 of the requests) and u2 (3/4): 1000 and 3000, one app: mean 2000.
    expect(at('plain').cpu).toBeGreaterThan(2000);
  });

  it('keeps rows right through node removal (rows move) and pod churn', () => {
    const { state, engine } = setup();
    learn(state, 'x', peakAt(10, 3000, 1000));
    state.curves.flush();
    for (const n of ['n1', 'n2', 'n3']) state.upsertPod(pod({ app: 'x', nodeName: n }), NOW);
    void state.nodeCurves;
    state.upsertPod(pod({ uid: 'extra', app: 'x', nodeName: 'n3' }), NOW);
    state.removeNode('n1'); // n3 moves into row 0
    const pc = podCurve(engine.context(pod({ app: 'y', requests: { cpu: 0, memory: 0 } }), NOW), podCurvesOf(engine.handle));
    const i3 = state.rows.get('n3')!;
    expect(i3).toBe(0);
    expect(combinedPeak(pc, i3, r0()).cpu).toBeCloseTo(6000 + 250);
    state.removePod('extra');
    const pc2 = podCurve(engine.context(pod({ app: 'y', requests: { cpu: 0, memory: 0 } }), NOW), podCurvesOf(engine.handle));
    expect(combinedPeak(pc2, i3, r0()).cpu).toBeCloseTo(3000 + 250);
  });
});

describe('CombinedPeakFit', () => {
  it('refuses a node where the summed curves would cross allocatable x (1 - headroom) in some slot', () => {
    const { state, engine } = setup({ cpu: 8000 });
    learn(state, 'evening', peakAt(80, 4000, 1000));
    learn(state, 'morning', peakAt(32, 4000, 1000));
    state.curves.flush();
    state.upsertPod(pod({ app: 'evening', nodeName: 'n1' }), NOW);
    state.upsertPod(pod({ app: 'morning', nodeName: 'n2' }), NOW);
    const out = engine.filter(engine.context(pod({ app: 'evening' }), NOW), ['n1', 'n2', 'n3']);
    // n1 would peak at 8000 > 7200.
    expect(out.feasible.map((n) => n.name)).toEqual(['n2', 'n3']);
    expect(out.unresolvable.get('n1')).toMatch(/^tidal\/CombinedPeakFit: predicted peak of the node's summed online cpu curves/);
  });

  it("uses the headroom of the profile level in force in each slot", () => {
    const profile: Profile = {
      ...constantProfile({ batchShare: 0.5, onlineHeadroom: 0.1 }),
      windows: [{ name: 'morning-peak', priority: 0, index: 0, batchShare: 0, onlineHeadroom: 0.5, drainLeadMs: 0, rampMs: 0, recurrence: { days: [1, 2, 3, 4, 5, 6, 7], startMinute: 7 * 60, endMinute: 10 * 60 } }],
    };
    const { state, engine } = setup({ cpu: 8000, profile });
    learn(state, 'evening', peakAt(80, 4000, 1000));
    learn(state, 'morning', peakAt(32, 4000, 1000));
    state.curves.flush();
    state.upsertPod(pod({ app: 'morning', nodeName: 'n2' }), NOW);
    // n2 at 08:00: 4000 + 1000 > 8000 x 0.5.
    const out = engine.filter(engine.context(pod({ app: 'evening' }), NOW), ['n2', 'n3']);
    expect(out.feasible.map((n) => n.name)).toEqual(['n3']);
  });

  it('is off in the other presets and with the switch off', () => {
    for (const config of [KUBE_DEFAULT, STATIC_COLOCATION, { ...TIME_SHARING, complementaryPeak: { enabled: false, filter: true, batchCapacity: true } }]) {
      const { state, engine } = setup({ cpu: 8000, config });
      learn(state, 'evening', peakAt(80, 4000, 1000));
      state.curves.flush();
      state.upsertPod(pod({ app: 'evening', nodeName: 'n1' }), NOW);
      const ctx = engine.context(pod({ app: 'evening' }), NOW);
      expect(ctx.curves).toBeNull();
      expect(engine.filter(ctx, ['n1']).feasible).toHaveLength(1);
    }
  });
});

describe('batch capacity from the curves', () => {
  it('keeps a long non-checkpointable batch pod off a node whose tenant peaks within its runtime', () => {
    const { state, engine } = setup({ profile: constantProfile({ batchShare: 1, onlineHeadroom: 0.1 }) });
    const now = DAY0 + 24 * H + 16 * H; // Tuesday 16:00
    learn(state, 'evening', (d) => (d >= 80 && d < 88 ? 10_000 : 1000));
    state.curves.flush();
    state.upsertPod(pod({ uid: 'e', app: 'evening', nodeName: 'n1', startedAt: now - H }), now);
    state.recordPodUsage('e', { cpu: 1000, memory: GiB });
    state.recordNodeUsage('n1', { time: now - 60_000, online: { cpu: 1000, memory: GiB }, batch: { cpu: 0, memory: 0 } });
    const long = batch({ requests: { cpu: 6000, memory: GiB }, expectedRuntimeMs: 6 * H, checkpointable: false });
    const out = engine.filter(engine.context(long, now), ['n1']);
    // Now: min(16000, 14400 - 1000) = 13400 free; at 20:00 the tenant rises by 9000: 4400 < 6000.
    expect(out.unresolvable.get('n1')).toMatch(/BatchCapacityFit: not enough batch cpu over its 6h runtime once the node's online tenants reach their predicted peaks/);
    const short = batch({ requests: { cpu: 6000, memory: GiB }, expectedRuntimeMs: 2 * H, checkpointable: false });
    expect(engine.filter(engine.context(short, now), ['n1']).feasible).toHaveLength(1);
    // A checkpointable one may go, but WindowSurvival gives it nothing there.
    const cp = batch({ requests: { cpu: 6000, memory: GiB }, expectedRuntimeMs: 6 * H, checkpointable: true });
    const ctx = engine.context(cp, now);
    expect(engine.filter(ctx, ['n1']).feasible).toHaveLength(1);
    const only = new PolicyEngine({ config: { ...TIME_SHARING, scoreWeights: { online: {}, batch: { WindowSurvival: 1 } } }, state, profile: constantProfile({ batchShare: 1, onlineHeadroom: 0.1 }) });
    expect(only.scoreNames(only.context(cp, now), ['n1'])[0]).toBe(0);
  });
});

describe('predictive hot-spot relief', () => {
  it('evicts batch ahead of a learned peak within the lookahead, and not without it', () => {
    const { state } = setup();
    const now = DAY0 + 24 * H + 19 * H + 40 * 60_000; // Tuesday 19:40: 20:00 is 2 slots ahead at most
    learn(state, 'evening', peakAt(80, 9000, 3000));
    state.curves.flush();
    state.upsertPod(pod({ uid: 'e', app: 'evening', nodeName: 'n1', startedAt: now - H }), now);
    for (let k = 0; k < 4; k++) state.upsertPod(batch({ uid: `b${k}`, nodeName: 'n1', requests: { cpu: 2000, memory: GiB }, startedAt: now - H }), now);
    for (let k = 0; k < 4; k++) state.recordPodUsage(`b${k}`, { cpu: 2000, memory: GiB });
    state.recordPodUsage('e', { cpu: 3000, memory: GiB });
    state.recordNodeUsage('n1', { time: now - 30_000, online: { cpu: 3000, memory: GiB }, batch: { cpu: 8000, memory: 4 * GiB } });
    // Observed 11000 / 16000 = 69% < 85%; predicted at 20:00: +6000 -> 106%.
    const hs = { ...DEFAULT_PLANNER.hotSpot!, consecutive: 1 };
    const timeline = new ProfileTimeline(constantProfile({ batchShare: 0.5, onlineHeadroom: 0.1 }));
    const input = { state, timeline, now, rateBudget: Infinity, hotStreaks: new Map<string, number>() };
    const plan = planEvictions({ ...input, config: { ...DEFAULT_PLANNER, drain: false, hotSpot: hs } });
    expect(plan.evictions.length).toBeGreaterThan(0);
    expect(plan.evictions.every((e) => e.reason === 'hot-spot')).toBe(true);
    expect(plan.evictions[0]!.message).toMatch(/predicted above 85% cpu .* within 30 minutes/);
    // Relief to the 75% target: 17000 - 12000 = 5000 -> three 2000m pods.
    expect(plan.evictions).toHaveLength(3);
    const off = planEvictions({ ...input, config: { ...DEFAULT_PLANNER, drain: false, hotSpot: { ...hs, lookaheadSlots: 0 } } });
    expect(off.evictions).toHaveLength(0);
  });
});

describe('app curves (visits)', () => {
  it('pools a slot visit and folds it when a later slot is observed', () => {
    const c = new AppCurves({ z: 0 });
    c.observe('a', DAY0, { cpu: 1000, memory: 0 });
    c.observe('a', DAY0 + 60_000, { cpu: 3000, memory: 0 });
    expect(c.predict('a', DAY0, r0())).toBeNull();
    c.observe('a', DAY0 + SLOT_MS, { cpu: 5000, memory: 0 });
    expect(c.predict('a', DAY0, r0())!.cpu).toBeCloseTo(2000);
    const withZ = new AppCurves({ z: 1 });
    withZ.observe('a', DAY0, { cpu: 1000, memory: 0 });
    withZ.observe('a', DAY0, { cpu: 3000, memory: 0 });
    withZ.flush();
    expect(withZ.predict('a', DAY0, r0())!.cpu).toBeCloseTo(3000);
    // Late data for a folded visit is ignored.
    c.observe('a', DAY0, { cpu: 9000, memory: 0 });
    expect(c.predict('a', DAY0, r0())!.cpu).toBeCloseTo(2000);
  });
});

describe('curve learning is paid for only by policies that use curves', () => {
  it('a state learns nothing until a policy with complementary peaks (or nodeCurves) asks', () => {
    const sample = { time: DAY0 + 60_000, online: { cpu: 2000, memory: GiB }, batch: { cpu: 0, memory: 0 } };
    const plain = new ClusterState();
    plain.upsertNode(node('n1'), DAY0);
    plain.upsertPod(pod({ uid: 'a', app: 'web', nodeName: 'n1', requests: { cpu: 1000, memory: GiB } }), DAY0);
    plain.recordNodeUsage('n1', sample);
    plain.curves.flush();
    expect(plain.curves.has('web')).toBe(false);
    new PolicyEngine({ config: KUBE_DEFAULT, state: plain, profile: constantProfile({ batchShare: 1, onlineHeadroom: 0 }) });
    plain.recordNodeUsage('n1', { ...sample, time: DAY0 + 120_000 });
    plain.curves.flush();
    expect(plain.curves.has('web')).toBe(false);
    new PolicyEngine({ config: TIME_SHARING, state: plain, profile: constantProfile({ batchShare: 1, onlineHeadroom: 0 }) });
    plain.recordNodeUsage('n1', { ...sample, time: DAY0 + 180_000 });
    plain.curves.flush();
    expect(plain.curves.has('web')).toBe(true);
  });
});
