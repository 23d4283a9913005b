// Hot-spot relief's needs, hand-computed: a node hot for `consecutive` cycles states
// usage (+ predicted rise) - leaving batch usage - target x allocatable, paid down by usage.

import { describe, expect, it } from 'vitest';
import { SLOT_MS } from '../../../../../scheduler/core/app-curves.ts';
import { hotSpotNeeds, type HotSpotConfig } from '../../../../../scheduler/core/descheduling/strategies/hot-spot.ts';
import { ClusterState } from '../../../../../scheduler/core/state.ts';
import { batch, GiB, node, pod } from '../../../../helpers/core.ts';

const MIN = 60_000;
const H = 60 * MIN;
const NOW = Date.parse('2026-11-10T12:00:00Z');
const HS: HotSpotConfig = { threshold: { cpu: 0.85, memory: 0.9 }, target: { cpu: 0.75, memory: 0.85 }, consecutive: 3 };

/** n1 at `cpu` millicores / `mem` used, four batch pods using 900m each (b3 without a metric: its 1000m request). */
function cluster(cpu: number, mem = 16 * GiB, sampledAt = NOW - MIN) {
  const state = new ClusterState();
  state.upsertNode(node('n1'), NOW - H);
  state.upsertNode(node('cool'), NOW - H);
  for (let i = 0; i < 4; i++) {
    state.upsertPod(batch({ uid: `b${i}`, nodeName: 'n1', requests: { cpu: 1000, memory: GiB }, startedAt: NOW - (i + 1) * MIN }), NOW - H);
    if (i < 3) state.recordPodUsage(`b${i}`, { cpu: 900, memory: GiB });
  }
  state.recordNodeUsage('n1', { time: sampledAt, online: { cpu: cpu - 3600, memory: mem - 4 * GiB }, batch: { cpu: 3600, memory: 4 * GiB } });
  state.recordNodeUsage('cool', { time: sampledAt, online: { cpu: 4000, memory: 8 * GiB }, batch: { cpu: 0, memory: 0 } });
  return state;
}
const run = (state: ClusterState, streaks: Record<string, number> = { n1: 2 }, config = HS, inFlight = new Set<string>()) =>
  hotSpotNeeds({ state, now: NOW, config, hotStreaks: new Map(Object.entries(streaks)), inFlight });

describe('hot-spot strategy', () => {
  it('acts on the consecutive-th hot observation only, and carries streaks of hot nodes only', () => {
    const state = cluster(14_400); // 90 % > 85 %
    const first = run(state, {});
    expect(first.needs).toEqual([]);
    expect([...first.hotStreaks]).toEqual([['n1', 1]]);
    const third = run(state, { n1: 2, cool: 7 });
    expect([...third.hotStreaks]).toEqual([['n1', 3]]);
    expect(third.needs).toHaveLength(1);
    const [n] = third.needs;
    // 14400 - 0.75 x 16000 = 2400m over; memory 16 GiB is far under.
    expect(n!.initial).toEqual({ cpu: 2400, memory: 0 });
    expect(n!.severity).toBe(2400 / 16000);
    expect(n!.reason).toBe('hot-spot');
    expect(n!.message()).toBe('Tidal hot-spot relief: n1 usage above 85% cpu or 90% memory for 3 consecutive observations');
  });

  it('ignores a stale sample: neither hot nor a streak', () => {
    const r = run(cluster(15_000, 16 * GiB, NOW - 11 * MIN)); // DEFAULT_USAGE: stale after 10 minutes
    expect(r.needs).toEqual([]);
    expect(r.hotStreaks.size).toBe(0);
  });

  it('is hot on memory alone, and states the memory over target', () => {
    const [n] = run(cluster(8000, 60 * GiB)).needs; // 60 GiB > 0.9 x 64 = 57.6 GiB
    expect(n!.initial.cpu).toBe(0);
    expect(n!.initial.memory).toBeCloseTo(60 * GiB - 0.85 * 64 * GiB, 0);
  });

  it('does not count usage of batch already leaving, and is paid down by usage (requests without a metric)', () => {
    const state = cluster(14_400);
    // b0 in flight frees its 900m: 2400 - 900 = 1500 over.
    const [n] = run(state, undefined, HS, new Set(['b0'])).needs;
    expect(n!.initial).toEqual({ cpu: 1500, memory: 0 });
    n!.take(state.pods.get('b3')!); // no metric: 1000m
    expect(n!.remaining()).toEqual({ cpu: 500, memory: 0 });
    expect(n!.helps(pod({ requests: { cpu: 0, memory: GiB } }))).toBe(false);
    n!.take(state.pods.get('b1')!);
    expect(n!.unmet()).toBe(false);
  });

  it('with a lookahead, counts the rise of the node\'s learned curves and says the usage is predicted', () => {
    // One day of an app at 3000m, 9000m in slot 80 (20:00); the node runs one pod of it.
    const day0 = Date.parse('2026-11-09T00:00:00Z');
    const now = day0 + 24 * H + 19 * H + 40 * MIN; // 19:40, slot 78: slots 79 and 80 ahead
    const state = new ClusterState();
    state.upsertNode(node('n1'), day0);
    for (let d = 0; d < 96; d++) state.curves.observe('evening', day0 + d * SLOT_MS, { cpu: d === 80 ? 9000 : 3000, memory: GiB });
    state.curves.flush();
    state.upsertPod(pod({ uid: 'e', app: 'evening', nodeName: 'n1', startedAt: now - H }), now);
    for (let k = 0; k < 4; k++) {
      state.upsertPod(batch({ uid: `b${k}`, nodeName: 'n1', requests: { cpu: 2000, memory: GiB }, startedAt: now - H }), now);
      state.recordPodUsage(`b${k}`, { cpu: 2000, memory: GiB });
    }
    state.recordNodeUsage('n1', { time: now - 30_000, online: { cpu: 3000, memory: GiB }, batch: { cpu: 8000, memory: 4 * GiB } });
    const at = (lookaheadSlots: number) => hotSpotNeeds({ state, now, config: { ...HS, consecutive: 1, lookaheadSlots }, hotStreaks: new Map(), inFlight: new Set() });
    // Observed 11000 = 69 %: not hot. Predicted 11000 + (9000 - 3000) = 17000 > 13600: hot;
    // 17000 - 12000 = 5000m over.
    expect(at(0).needs).toEqual([]);
    expect(at(1).needs).toEqual([]); // slot 79 rises by nothing
    const [n] = at(2).needs;
    expect(n!.initial).toEqual({ cpu: 5000, memory: 0 });
    expect(n!.message()).toBe("Tidal hot-spot relief: n1 usage predicted above 85% cpu or 90% memory within 30 minutes (its tenants' usage curves) for 1 consecutive observations");
  });
});
