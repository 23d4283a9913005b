// Properties the policy core must keep for any cluster, profile and pod (fast-check).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchCapacity, predictedNonBatch } from '../../scheduler/core/capacity.ts';
import { TIME_SHARING } from '../../scheduler/core/config.ts';
import { PolicyEngine } from '../../scheduler/core/engine.ts';
import type { Profile, WindowSpec } from '../../scheduler/core/profile.ts';
import { ClusterState } from '../../scheduler/core/state.ts';
import { ProfileTimeline } from '../../scheduler/core/timeline.ts';
import { batch, batchFree, GiB, node, pod } from '../helpers/core.ts';

const H = 3_600_000;
const NOW = Date.parse('2026-11-10T12:00:00Z');

const fraction = fc.double({ min: 0, max: 1, noNaN: true });
const level = fc.record({ batchShare: fraction, onlineHeadroom: fraction });

const windowArb = fc
  .record({
    startH: fc.integer({ min: -24, max: 72 }),
    lenH: fc.integer({ min: 1, max: 12 }),
    batchShare: fraction,
    onlineHeadroom: fraction,
    leadMin: fc.integer({ min: 0, max: 180 }),
    rampMin: fc.integer({ min: 0, max: 180 }),
    priority: fc.integer({ min: 0, max: 3 }),
    recurring: fc.boolean(),
  })
  .map(
    (w): WindowSpec => ({
      name: `w${w.startH}`,
      priority: w.priority,
      index: 0,
      batchShare: w.batchShare,
      onlineHeadroom: w.onlineHeadroom,
      drainLeadMs: w.leadMin * 60_000,
      rampMs: w.rampMin * 60_000,
      ...(w.recurring
        ? { recurrence: { days: [1, 2, 3, 4, 5, 6, 7], startMinute: (((w.startH % 24) + 24) % 24) * 60, endMinute: ((((w.startH + w.lenH) % 24) + 24) % 24) * 60 } }
        : { start: NOW + w.startH * H, end: NOW + (w.startH + w.lenH) * H }),
    }),
  );

const profileArb = fc.record({ def: level, windows: fc.array(windowArb, { maxLength: 5 }) }).map(
  ({ def, windows }): Profile => ({
    name: 'prop',
    timeZone: 'UTC',
    default: { ...def, drainLeadMs: 0, rampMs: 0 },
    windows: windows.map((w, i) => ({ ...w, index: i, name: `w${i}` })),
  }),
);

// Loads as fractions of the node, so that empty, comfortable, full and over-committed nodes all occur.
const nodeLoad = fc
  .record({
    cpu: fc.integer({ min: 1000, max: 96_000 }),
    memGi: fc.integer({ min: 1, max: 512 }),
    online: fc.double({ min: 0, max: 1.2, noNaN: true }),
    batch: fc.double({ min: 0, max: 0.8, noNaN: true }),
    usage: fc.option(fc.double({ min: 0, max: 1.1, noNaN: true }), { nil: undefined }),
  })
  .map((l) => ({
    cpu: l.cpu,
    memGi: l.memGi,
    onlineCpu: Math.round(l.cpu * l.online),
    onlineMemGi: Math.round(l.memGi * l.online),
    batchCpu: Math.round(l.cpu * l.batch),
    batchMemGi: Math.round(l.memGi * l.batch),
    usage: l.usage === undefined ? undefined : { cpu: Math.round(l.cpu * l.usage), memGi: Math.round(l.memGi * l.usage) },
  }));

type NodeLoad = typeof nodeLoad extends fc.Arbitrary<infer T> ? T : never;

function build(loads: NodeLoad[]): ClusterState {
  const state = new ClusterState();
  loads.forEach((l, i) => {
    state.upsertNode(node(`n${i}`, { allocatable: { cpu: l.cpu, memory: l.memGi * GiB }, zone: `z${i % 3}` }), NOW - H);
    if (l.onlineCpu || l.onlineMemGi) state.upsertPod(pod({ uid: `o${i}`, nodeName: `n${i}`, requests: { cpu: l.onlineCpu, memory: l.onlineMemGi * GiB }, startedAt: NOW - 2 * H }), NOW - H);
    if (l.batchCpu || l.batchMemGi) state.upsertPod(batch({ uid: `b${i}`, nodeName: `n${i}`, requests: { cpu: l.batchCpu, memory: l.batchMemGi * GiB }, startedAt: NOW - 2 * H }), NOW - H);
    if (l.usage) state.recordNodeUsage(`n${i}`, { time: NOW - 60_000, online: { cpu: l.usage.cpu, memory: l.usage.memGi * GiB }, batch: { cpu: 0, memory: 0 } });
  });
  return state;
}

describe('policy core properties', () => {
  it('batch capacity is never negative and never exceeds allocatable x batchShare', () => {
    fc.assert(
      fc.property(nodeLoad, level, (l, lv) => {
        const state = build([l]);
        const n = state.nodes.get('n0')!;
        const online = predictedNonBatch(n, NOW);
        const cap = batchCapacity(n, lv, online, { cpu: 0, memory: 0 });
        const free = batchFree(n, lv, online, { cpu: 0, memory: 0 });
        const a = n.spec.allocatable;
        for (const r of ['cpu', 'memory'] as const) {
          expect(cap[r]).toBeGreaterThanOrEqual(0);
          expect(free[r]).toBeGreaterThanOrEqual(0);
          expect(cap[r]).toBeLessThanOrEqual(a[r] * lv.batchShare + 1e-6);
          expect(free[r]).toBeLessThanOrEqual(cap[r]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never places a non-checkpointable batch pod where its runtime crosses a window that would evict it', () => {
    let placements = 0;
    fc.assert(
      fc.property(profileArb, fc.array(nodeLoad, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 48 }), fc.integer({ min: 100, max: 4000 }), (profile, loads, runtimeH, reqCpu) => {
        // Always include an empty 64-core node so that feasible placements are common.
        const state = build([{ cpu: 64_000, memGi: 256, onlineCpu: 0, onlineMemGi: 0, batchCpu: 0, batchMemGi: 0, usage: undefined }, ...loads]);
        const timeline = new ProfileTimeline(profile);
        const engine = new PolicyEngine({ config: TIME_SHARING, state, profile: timeline });
        const p = batch({ requests: { cpu: reqCpu, memory: 256 * 2 ** 20 }, expectedRuntimeMs: runtimeH * H });
        const ctx = engine.context(p, NOW);
        for (const n of engine.filter(ctx, null).feasible) {
          placements++;
          const online = predictedNonBatch(n, NOW);
          // Sample the effective level every 5 minutes over the runtime: the pod must fit at every instant.
          for (let t = NOW; t <= NOW + runtimeH * H; t += 5 * 60_000) {
            const free = batchFree(n, timeline.at(t), online, { cpu: 0, memory: 0 });
            expect(p.requests.cpu).toBeLessThanOrEqual(free.cpu + 1e-6);
            expect(p.requests.memory).toBeLessThanOrEqual(free.memory + 1e-6);
          }
        }
      }),
      { numRuns: 300 },
    );
    expect(placements).toBeGreaterThan(0); // the property was exercised, not vacuously true
  });

  it('scores are within 0..100 for every pod class and node', () => {
    fc.assert(
      fc.property(profileArb, fc.array(nodeLoad, { minLength: 1, maxLength: 8 }), fc.constantFrom('online', 'batch', 'system' as const), fc.integer({ min: 0, max: 64_000 }), (profile, loads, cls, cpu) => {
        const state = build(loads);
        const engine = new PolicyEngine({ config: TIME_SHARING, state, profile });
        const ctx = engine.context(pod({ class: cls, requests: { cpu, memory: GiB }, expectedRuntimeMs: cls === 'batch' ? 3 * H : 0 }), NOW);
        const scores = engine.score(ctx, state.nodeList);
        for (const s of scores) {
          expect(s).toBeGreaterThanOrEqual(0);
          expect(s).toBeLessThanOrEqual(100);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('gives the same answer for the same inputs', () => {
    fc.assert(
      fc.property(profileArb, fc.array(nodeLoad, { minLength: 1, maxLength: 8 }), fc.boolean(), (profile, loads, isBatch) => {
        const run = () => {
          const state = build(loads);
          const engine = new PolicyEngine({ config: TIME_SHARING, state, profile });
          const p = (isBatch ? batch : pod)({ uid: 'same', requests: { cpu: 1500, memory: GiB }, expectedRuntimeMs: isBatch ? 2 * H : 0 });
          const ctx = engine.context(p, NOW);
          const f = engine.filter(ctx, null);
          return {
            feasible: f.feasible.map((n) => n.name),
            failed: [...f.failed],
            unresolvable: [...f.unresolvable],
            scores: [...engine.score(ctx, f.feasible)],
            placed: engine.place(p, NOW).node?.name ?? null,
          };
        };
        expect(run()).toEqual(run());
      }),
      { numRuns: 100 },
    );
  });
});
