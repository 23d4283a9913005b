import { describe, expect, it } from 'vitest';
import { DEFAULT_PLANNER, planEvictions, type PlannerConfig } from '../../../../scheduler/core/descheduling/plan.ts';
import { constantProfile, type Profile } from '../../../../scheduler/core/profile.ts';
import { ClusterState } from '../../../../scheduler/core/state.ts';
import { ProfileTimeline } from '../../../../scheduler/core/timeline.ts';
import { batch, GiB, node, pod } from '../../../helpers/core.ts';

const H = 3_600_000;
const NOW = Date.parse('2026-11-10T12:00:00Z');
const NO_LIMITS: PlannerConfig = { ...DEFAULT_PLANNER, limits: { maxPerNode: 0, maxPerNamespace: 0, maxTotal: 0 }, hotSpot: null };

function cluster(batchPods = 6) {
  const state = new ClusterState();
  state.upsertNode(node('n1'), NOW); // 16 cores, 64 GiB
  state.upsertPod(pod({ uid: 'web', nodeName: 'n1', requests: { cpu: 4000, memory: 8 * GiB } }), NOW);
  for (let i = 0; i < batchPods; i++) {
    state.upsertPod(batch({ uid: `b${i}`, name: `b${i}`, nodeName: 'n1', requests: { cpu: 1000, memory: GiB }, startedAt: NOW - (i + 1) * 60_000 }), NOW);
  }
  return state;
}

const plan = (state: ClusterState, profile: Profile, config = NO_LIMITS, rateBudget = Infinity, now = NOW) =>
  planEvictions({ state, timeline: new ProfileTimeline(profile), now, config, rateBudget, hotStreaks: new Map() });

describe('eviction planner', () => {
  it('drains exactly the batch in excess of the level, youngest first, never online', () => {
    const state = cluster();
    // capacity = min(16*0.25, 16*0.9 - 4) = 4 cores; batch holds 6 -> 2 to go.
    const p = plan(state, constantProfile({ batchShare: 0.25, onlineHeadroom: 0.1 }));
    expect(p.evictions.map((e) => e.pod.uid)).toEqual(['b0', 'b1']);
    expect(p.evictions.every((e) => e.reason === 'peak-drain')).toBe(true);
    expect(p.evictions[0]!.message).toMatch(/Tidal peak drain: batch on n1 exceeds its capacity at batchShare 0\.25/);
    expect(p.nodes[0]!.remaining).toEqual({ cpu: 0, memory: 0 });
  });

  it('plans nothing where batch fits', () => {
    expect(plan(cluster(), constantProfile({ batchShare: 0.5, onlineHeadroom: 0.1 })).evictions).toEqual([]);
  });

  it('drains ahead of a peak window during its ramp, a little at a time', () => {
    const peak: Profile = {
      name: 'p',
      timeZone: 'UTC',
      default: { batchShare: 0.5, onlineHeadroom: 0.1, drainLeadMs: 0, rampMs: 0 },
      windows: [{ name: 'peak', priority: 0, index: 0, batchShare: 0, onlineHeadroom: 0.5, drainLeadMs: H, rampMs: 2 * H, start: NOW + 3 * H, end: NOW + 5 * H }],
    };
    const state = cluster();
    expect(plan(state, peak, NO_LIMITS, Infinity, NOW - H).evictions).toHaveLength(0);
    const early = plan(state, peak, NO_LIMITS, Infinity, NOW + 0.5 * H); // quarter into the ramp
    const late = plan(state, peak, NO_LIMITS, Infinity, NOW + 1.5 * H); // three quarters in
    const done = plan(state, peak, NO_LIMITS, Infinity, NOW + 2 * H); // lead time: all batch gone
    expect(early.evictions.length).toBeLessThan(late.evictions.length);
    expect(done.evictions).toHaveLength(6);
    expect(done.level.drainingFor).toBe('peak');
  });

  it('respects per-node, per-namespace, total and rate limits, and says what it skipped', () => {
    const state = cluster(10);
    const zero = constantProfile({ batchShare: 0, onlineHeadroom: 0.5 });
    expect(plan(state, zero, { ...NO_LIMITS, limits: { maxPerNode: 3, maxPerNamespace: 0, maxTotal: 0 } }).evictions).toHaveLength(3);
    expect(plan(state, zero, { ...NO_LIMITS, limits: { maxPerNode: 0, maxPerNamespace: 4, maxTotal: 0 } }).evictions).toHaveLength(4);
    expect(plan(state, zero, { ...NO_LIMITS, limits: { maxPerNode: 0, maxPerNamespace: 0, maxTotal: 2 } }).evictions).toHaveLength(2);
    const rated = plan(state, zero, NO_LIMITS, 1);
    expect(rated.evictions).toHaveLength(1);
    expect(rated.skipped.get('limit: eviction rate')).toBe(1);
  });

  it('does not count pods already leaving, and never plans them twice', () => {
    const state = cluster();
    const zero = constantProfile({ batchShare: 0, onlineHeadroom: 0.5 });
    const inFlight = new Set(['b0', 'b1']);
    const p = planEvictions({ state, timeline: new ProfileTimeline(zero), now: NOW, config: NO_LIMITS, rateBudget: Infinity, hotStreaks: new Map(), inFlight });
    expect(p.evictions.map((e) => e.pod.uid).sort()).toEqual(['b2', 'b3', 'b4', 'b5']);
    const b2 = state.pods.get('b2')!;
    state.upsertPod({ ...b2, terminating: true }, NOW);
    const q = plan(state, constantProfile({ batchShare: 0.25, onlineHeadroom: 0.1 }));
    // 6 batch, one terminating: 5 count against capacity 4 -> one more to go, not b2.
    expect(q.evictions.map((e) => e.pod.uid)).toEqual(['b0']);
  });

  it('skips pods a PodDisruptionBudget would refuse', () => {
    const state = cluster();
    state.upsertPdb({ namespace: 'default', name: 'jobs', selector: {}, disruptionsAllowed: 1 });
    const p = plan(state, constantProfile({ batchShare: 0, onlineHeadroom: 0.5 }));
    expect(p.evictions).toHaveLength(1);
    expect(p.skipped.get('PodDisruptionBudget allows no more disruptions')).toBe(5);
  });

  it('relieves hot spots only after consecutive hot observations, by observed usage', () => {
    const state = cluster();
    for (const uid of ['b0', 'b1', 'b2', 'b3', 'b4', 'b5']) state.recordPodUsage(uid, { cpu: 900, memory: GiB });
    state.recordNodeUsage('n1', { time: NOW - 1000, online: { cpu: 9000, memory: 8 * GiB }, batch: { cpu: 5400, memory: 6 * GiB } });
    const cfg: PlannerConfig = { ...NO_LIMITS, drain: false, hotSpot: { threshold: { cpu: 0.85, memory: 0.9 }, target: { cpu: 0.75, memory: 0.85 }, consecutive: 2 } };
    const tl = new ProfileTimeline(constantProfile({ batchShare: 1, onlineHeadroom: 0 }));
    const first = planEvictions({ state, timeline: tl, now: NOW, config: cfg, rateBudget: Infinity, hotStreaks: new Map() });
    expect(first.evictions).toHaveLength(0);
    expect(first.hotStreaks.get('n1')).toBe(1);
    const second = planEvictions({ state, timeline: tl, now: NOW, config: cfg, rateBudget: Infinity, hotStreaks: first.hotStreaks });
    // usage 14.4 cores > 13.6; target 12 cores -> 2.4 cores to free -> 3 pods of 0.9
    expect(second.evictions.map((e) => e.reason)).toEqual(['hot-spot', 'hot-spot', 'hot-spot']);
    expect(second.evictions[0]!.message).toMatch(/hot-spot relief/);
  });

  it('leaves unevictable batch alone and reports what remains over', () => {
    const state = cluster(2);
    state.upsertPod(batch({ uid: 'bare', nodeName: 'n1', ownerKind: '', requests: { cpu: 2000, memory: GiB } }), NOW);
    const p = plan(state, constantProfile({ batchShare: 0, onlineHeadroom: 0.5 }));
    expect(p.evictions.map((e) => e.pod.uid).sort()).toEqual(['b0', 'b1']);
    expect(p.nodes[0]!.remaining.cpu).toBe(2000);
    expect(p.skipped.get('not evictable: bare pod (no controller would recreate it)')).toBe(1);
  });
});
