// Properties of complementary-peak placement (fast-check): the combined peak is monotone in the
// tenants, and an app is never scored better next to its own twin than next to a stranger.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SLOT_MS } from '../../scheduler/core/app-curves.ts';
import { TIME_SHARING } from '../../scheduler/core/config.ts';
import { PolicyEngine } from '../../scheduler/core/engine.ts';
import { combinedPeak, peakBound, podCurve, podCurvesOf } from '../../scheduler/core/plugins/complementary-peak.ts';
import { constantProfile } from '../../scheduler/core/profile.ts';
import { ClusterState } from '../../scheduler/core/state.ts';
import { GiB, node, pod } from '../helpers/core.ts';

const H = 3_600_000;
const DAY0 = Date.parse('2026-11-09T00:00:00Z');
const NOW = DAY0 + 36 * H;
const RUNS = { numRuns: 60 };

/** An app curve: 96 slots of (low, high) observation pairs, so that slots have a mean and a variance. */
const curveArb = fc.array(fc.tuple(fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 0, max: 2000 })), { minLength: 96, maxLength: 96 });

function learn(state: ClusterState, app: string, curve: ReadonlyArray<readonly [number, number]>): void {
  curve.forEach(([base, spread], d) => {
    state.curves.observe(app, DAY0 + d * SLOT_MS, { cpu: base, memory: GiB + base * 1000 });
    state.curves.observe(app, DAY0 + d * SLOT_MS, { cpu: base + spread, memory: GiB + (base + spread) * 1000 });
  });
}

function world(curves: ReadonlyArray<ReadonlyArray<readonly [number, number]>>) {
  const state = new ClusterState();
  const engine = new PolicyEngine({ config: { ...TIME_SHARING, scoreWeights: { online: { ComplementaryPeak: 1 }, batch: {} } }, state, profile: constantProfile({ batchShare: 0.5, onlineHeadroom: 0.1 }) });
  curves.forEach((c, k) => learn(state, `app-${k}`, c));
  state.curves.flush();
  for (const n of ['x', 'y']) state.upsertNode(node(n, { allocatable: { cpu: 64_000, memory: 256 * GiB } }), DAY0);
  return { state, engine };
}

const zero = () => ({ cpu: 0, memory: 0 });

describe('complementary-peak properties', () => {
  it('adding a tenant never lowers a node combined peak (exact, and the bound the score uses)', () => {
    fc.assert(
      fc.property(fc.array(curveArb, { minLength: 1, maxLength: 3 }), fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), fc.nat(), (curves, tenants, extra) => {
        const { state, engine } = world(curves);
        for (const t of tenants) state.upsertPod(pod({ app: `app-${t % curves.length}`, nodeName: 'x' }), NOW);
        const probe = () => podCurve(engine.context(pod({ app: 'probe', requests: { cpu: 0, memory: 0 } }), NOW), podCurvesOf(engine.handle));
        const i = state.rows.get('x')!;
        const before = combinedPeak(probe(), i, zero());
        const boundBefore = peakBound(probe(), i, zero());
        state.upsertPod(pod({ app: `app-${extra % curves.length}`, nodeName: 'x' }), NOW);
        const after = combinedPeak(probe(), i, zero());
        const boundAfter = peakBound(probe(), i, zero());
        expect(after.cpu).toBeGreaterThanOrEqual(before.cpu - 1e-6);
        expect(after.memory).toBeGreaterThanOrEqual(before.memory - 1e-3);
        expect(boundAfter.cpu).toBeGreaterThanOrEqual(boundBefore.cpu - 1e-6);
        // The bound is an upper bound.
        expect(boundAfter.cpu).toBeGreaterThanOrEqual(after.cpu - 1e-6);
      }),
      RUNS,
    );
  });

  it('two services with identical curves are never scored better together than apart', () => {
    fc.assert(
      fc.property(curveArb, fc.array(curveArb, { maxLength: 2 }), fc.integer({ min: 1, max: 4 }), fc.array(fc.nat(), { maxLength: 4 }), (twin, others, k, shared) => {
        // app-0 and app-1 have the same curve; others are background tenants on both nodes alike.
        const { state, engine } = world([twin, twin, ...others]);
        for (let j = 0; j < k; j++) {
          state.upsertPod(pod({ app: 'app-0', nodeName: 'x' }), NOW);
          state.upsertPod(pod({ app: 'app-1', nodeName: 'y' }), NOW);
        }
        if (others.length > 0) {
          for (const s of shared) {
            state.upsertPod(pod({ app: `app-${2 + (s % others.length)}`, nodeName: 'x' }), NOW);
            state.upsertPod(pod({ app: `app-${2 + (s % others.length)}`, nodeName: 'y' }), NOW);
          }
        }
        // A new pod of app-0: together with its own app on x, apart from it on y.
        const ctx = engine.context(pod({ app: 'app-0' }), NOW);
        const [together, apart] = engine.scoreNames(ctx, ['x', 'y']);
        expect(together!).toBeLessThanOrEqual(apart! + 1e-9);
        const pc = podCurve(ctx, podCurvesOf(engine.handle));
        expect(combinedPeak(pc, state.rows.get('x')!, zero()).cpu).toBeGreaterThanOrEqual(combinedPeak(pc, state.rows.get('y')!, zero()).cpu - 1e-6);
      }),
      RUNS,
    );
  });

  it('incremental rows equal a rebuild from scratch after any churn', () => {
    fc.assert(
      fc.property(fc.array(curveArb, { minLength: 1, maxLength: 3 }), fc.array(fc.tuple(fc.boolean(), fc.nat(), fc.boolean()), { maxLength: 20 }), (curves, ops) => {
        const { state } = world(curves);
        void state.nodeCurves;
        let n = 0;
        const live: string[] = [];
        for (const [add, a, onX] of ops) {
          if (add || live.length === 0) {
            const uid = `p${n++}`;
            live.push(uid);
            state.upsertPod(pod({ uid, app: `app-${a % curves.length}`, nodeName: onX ? 'x' : 'y' }), NOW);
          } else {
            state.removePod(live.splice(a % live.length, 1)[0]!);
          }
        }
        // Curves move on (another visit folded) after the rows were built.
        learn(state, 'app-0', curves[0]!.map(([b, s]) => [b + 100, s] as const));
        state.curves.observe('app-0', DAY0 + 2 * 86_400_000, { cpu: 1, memory: 1 });
        const nc = state.nodeCurves;
        nc.sync(NOW);
        // A fresh state with the same pods and curves.
        const fresh = new ClusterState();
        curves.forEach((c, k) => learn(fresh, `app-${k}`, c));
        fresh.curves.flush();
        learn(fresh, 'app-0', curves[0]!.map(([b, s]) => [b + 100, s] as const));
        fresh.curves.observe('app-0', DAY0 + 2 * 86_400_000, { cpu: 1, memory: 1 });
        for (const name of ['x', 'y']) fresh.upsertNode(node(name, { allocatable: { cpu: 64_000, memory: 256 * GiB } }), DAY0);
        for (const uid of live) fresh.upsertPod(state.pods.get(uid)!, NOW);
        const fc2 = fresh.nodeCurves;
        fc2.sync(NOW);
        for (const name of ['x', 'y']) {
          const i = state.rows.get(name)!;
          const j = fresh.rows.get(name)!;
          for (let d = 0; d < 96; d += 7) {
            expect(nc.pCpu(i, d)).toBeCloseTo(fc2.pCpu(j, d), 3);
            expect(nc.pMem(i, d) / GiB).toBeCloseTo(fc2.pMem(j, d) / GiB, 3);
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});
