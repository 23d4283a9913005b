// Properties of the eviction planner for arbitrary clusters, levels and limits (fast-check).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchCapacity, predictedNonBatch } from '../../scheduler/core/capacity.ts';
import { DEFAULT_PLANNER, planEvictions, type PlannerConfig } from '../../scheduler/core/descheduling/plan.ts';
import { constantProfile } from '../../scheduler/core/profile.ts';
import { ClusterState } from '../../scheduler/core/state.ts';
import { ProfileTimeline } from '../../scheduler/core/timeline.ts';
import { batch, GiB, node, pod } from '../helpers/core.ts';

const NOW = Date.parse('2026-11-10T12:00:00Z');

const podArb = fc.record({
  node: fc.integer({ min: 0, max: 5 }),
  online: fc.boolean(),
  cpu: fc.integer({ min: 0, max: 8000 }),
  memGi: fc.integer({ min: 0, max: 16 }),
  ns: fc.constantFrom('a', 'b', 'c'),
  checkpointable: fc.boolean(),
  ageMin: fc.integer({ min: 1, max: 600 }),
  bare: fc.boolean(),
});

const limitsArb = fc.record({
  maxPerNode: fc.integer({ min: 0, max: 4 }),
  maxPerNamespace: fc.integer({ min: 0, max: 6 }),
  maxTotal: fc.integer({ min: 0, max: 10 }),
});

function build(pods: Array<typeof podArb extends fc.Arbitrary<infer T> ? T : never>, usage: number | null): ClusterState {
  const state = new ClusterState();
  for (let i = 0; i < 6; i++) state.upsertNode(node(`n${i}`), NOW - 3_600_000);
  pods.forEach((p, i) => {
    const spec = {
      uid: `p${i}`,
      name: `p${i}`,
      namespace: p.ns,
      nodeName: `n${p.node}`,
      requests: { cpu: p.cpu, memory: p.memGi * GiB },
      startedAt: NOW - p.ageMin * 60_000,
      checkpointable: p.checkpointable,
    };
    state.upsertPod(p.online ? pod(spec) : batch({ ...spec, ownerKind: p.bare ? '' : 'Job' }), NOW - 3_600_000);
  });
  if (usage !== null) {
    for (let i = 0; i < 6; i++) state.recordNodeUsage(`n${i}`, { time: NOW - 1000, online: { cpu: 16_000 * usage, memory: 64 * GiB * usage }, batch: { cpu: 0, memory: 0 } });
  }
  return state;
}

const level = fc.record({ batchShare: fc.double({ min: 0, max: 1, noNaN: true }), onlineHeadroom: fc.double({ min: 0, max: 1, noNaN: true }) });

describe('eviction planner properties', () => {
  it('never plans an online or unevictable pod, and never exceeds any limit', () => {
    fc.assert(
      fc.property(fc.array(podArb, { maxLength: 40 }), level, limitsArb, fc.integer({ min: 0, max: 12 }), fc.option(fc.double({ min: 0, max: 1.2, noNaN: true }), { nil: null }), (pods, lv, limits, rate, usage) => {
        const state = build(pods, usage);
        const config: PlannerConfig = { ...DEFAULT_PLANNER, limits, hotSpot: { ...DEFAULT_PLANNER.hotSpot!, consecutive: 1 } };
        const plan = planEvictions({ state, timeline: new ProfileTimeline(constantProfile(lv)), now: NOW, config, rateBudget: rate, hotStreaks: new Map() });
        const perNode = new Map<string, number>();
        const perNs = new Map<string, number>();
        const seen = new Set<string>();
        for (const e of plan.evictions) {
          expect(e.pod.class).toBe('batch');
          expect(e.pod.ownerKind).not.toBe('');
          expect(seen.has(e.pod.uid)).toBe(false);
          seen.add(e.pod.uid);
          perNode.set(e.node, (perNode.get(e.node) ?? 0) + 1);
          perNs.set(e.pod.namespace, (perNs.get(e.pod.namespace) ?? 0) + 1);
        }
        expect(plan.evictions.length).toBeLessThanOrEqual(rate);
        if (limits.maxTotal > 0) expect(plan.evictions.length).toBeLessThanOrEqual(limits.maxTotal);
        if (limits.maxPerNode > 0) for (const n of perNode.values()) expect(n).toBeLessThanOrEqual(limits.maxPerNode);
        if (limits.maxPerNamespace > 0) for (const n of perNs.values()) expect(n).toBeLessThanOrEqual(limits.maxPerNamespace);
      }),
      { numRuns: 300 },
    );
  });

  it('after the plan is carried out, batch on every node fits the level wherever enough evictable pods exist', () => {
    fc.assert(
      fc.property(fc.array(podArb, { maxLength: 40 }), level, (pods, lv) => {
        const state = build(pods, null);
        const timeline = new ProfileTimeline(constantProfile(lv));
        const config: PlannerConfig = { ...DEFAULT_PLANNER, limits: { maxPerNode: 0, maxPerNamespace: 0, maxTotal: 0 }, hotSpot: null };
        const plan = planEvictions({ state, timeline, now: NOW, config, rateBudget: Infinity, hotStreaks: new Map() });
        for (const e of plan.evictions) state.removePod(e.pod.uid);
        for (const n of state.nodeList) {
          const cap = batchCapacity(n, lv, predictedNonBatch(n, NOW), { cpu: 0, memory: 0 });
          const stuck = [...n.pods.values()].filter((p) => p.class === 'batch' && p.ownerKind === '');
          const stuckCpu = stuck.reduce((s, p) => s + p.requests.cpu, 0);
          const stuckMem = stuck.reduce((s, p) => s + p.requests.memory, 0);
          // Only pods the rules protect (bare pods here) may keep a node over its capacity: when an excess
          // remains, every evictable pod that frees that resource is gone.
          expect(n.requested.batch.cpu).toBeLessThanOrEqual(Math.max(cap.cpu, stuckCpu) + 1e-6);
          expect(n.requested.batch.memory).toBeLessThanOrEqual(Math.max(cap.memory, stuckMem) + 1e-6);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(fc.array(podArb, { maxLength: 30 }), level, limitsArb, (pods, lv, limits) => {
        const run = () =>
          planEvictions({ state: build(pods, 0.9), timeline: new ProfileTimeline(constantProfile(lv)), now: NOW, config: { ...DEFAULT_PLANNER, limits }, rateBudget: 8, hotStreaks: new Map([['n1', 5]]) }).evictions.map(
            (e) => `${e.node}/${e.pod.uid}/${e.reason}`,
          );
        expect(run()).toEqual(run());
      }),
      { numRuns: 100 },
    );
  });
});
