// The forecast drain, by hand: a 16-core node whose online tenant is cold (4000m requested, no curve:
// the band is its requests), target 0.8 (12,800m), and batch pods of 1000m with no declared runtime
// (held for the default 1 h estimate).

import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../../../profiles/loader.ts';
import { FORECAST_PLANNER, planEvictions, type PlannerConfig } from '../../../../../scheduler/core/descheduling/plan.ts';
import { forecastShortfall } from '../../../../../scheduler/core/descheduling/strategies/forecast-drain.ts';
import { ForecastBook } from '../../../../../scheduler/core/forecast/book.ts';
import type { PodInfo } from '../../../../../scheduler/core/model.ts';
import { ClusterState } from '../../../../../scheduler/core/state.ts';
import { ProfileTimeline } from '../../../../../scheduler/core/timeline.ts';
import { batch, GiB, node, pod } from '../../../../helpers/core.ts';

const MIN = 60_000;
const NOW = Date.parse('2026-11-10T12:00:00Z');
const HEAD = 'apiVersion: tidal.io/v1alpha1\nkind: TimeSharingProfile\nmetadata:\n  name: p\nspec:\n  timeZone: UTC\n  default:\n    batchShare: 1\n    onlineHeadroom: 0\n';
// From 12:30 the online side is expected at twice its requests (8000m).
const RISE = HEAD + '  windows:\n    - name: sale\n      start: "2026-11-10T12:30"\n      duration: 2h\n      onlineDemand: {factor: 2x, of: requests}\n';
const CONFIG: PlannerConfig = { ...FORECAST_PLANNER, drain: false, hotSpot: null, forecast: { target: 0.8, leadSlots: 2 }, limits: { maxPerNode: 0, maxPerNamespace: 0, maxTotal: 0 } };

function cluster(sizes: number[], opts: { checkpointable?: (i: number) => boolean; memory?: number } = {}) {
  const state = new ClusterState();
  state.upsertNode(node('n1'), NOW - 60 * MIN); // 16 cores, 64 GiB
  state.upsertPod(pod({ uid: 'web', app: 'web', nodeName: 'n1', requests: { cpu: 4000, memory: 8 * GiB }, startedAt: NOW - 60 * MIN }), NOW - 60 * MIN);
  sizes.forEach((cpu, i) =>
    state.upsertPod(
      batch({ uid: `b${i}`, name: `b${i}`, nodeName: 'n1', requests: { cpu, memory: opts.memory ?? GiB }, startedAt: NOW - (i + 1) * MIN, checkpointable: opts.checkpointable?.(i) ?? false }),
      NOW - (i + 1) * MIN,
    ),
  );
  return state;
}

function plan(state: ClusterState, text = HEAD, book = new ForecastBook(0.95), now = NOW, config = CONFIG) {
  const timeline = new ProfileTimeline(parseProfile(text));
  const p = planEvictions({ state, timeline, now, config, rateBudget: Infinity, hotStreaks: new Map(), book });
  const shortfall = forecastShortfall({ state, now, book, profile: timeline.profile, config: config.forecast!, inFlight: new Set() }, state.nodes.get('n1')!);
  return { p, shortfall, book, timeline };
}

const freed = (ps: readonly { pod: PodInfo }[]) => ps.reduce((s, e) => s + e.pod.requests.cpu, 0);

describe('forecast drain', () => {
  it('evicts only the shortfall: 4000 + 14 x 1000 - 12,800 = 5200m -> 6 pods, cheapest first', () => {
    const state = cluster(Array(14).fill(1000));
    const { p, shortfall } = plan(state);
    expect(shortfall.cpu).toBe(5200);
    expect(p.evictions).toHaveLength(6);
    expect(p.evictions.every((e) => e.reason === 'forecast-drain')).toBe(true);
    // Equal progress (unknown): the youngest first.
    expect(p.evictions.map((e) => e.pod.uid)).toEqual(['b0', 'b1', 'b2', 'b3', 'b4', 'b5']);
    expect(p.nodes[0]!.forecastExcess.cpu).toBe(5200);
    expect(p.evictions[0]!.message).toMatch(/Tidal forecast drain: n1's forecast online usage/);
  });

  it('plans nothing where the forecast fits', () => {
    expect(plan(cluster(Array(8).fill(1000))).p.evictions).toEqual([]);
  });

  it('checkpointable pods go first, and pods past their runtime hold their requests no longer than the runtime says', () => {
    const state = cluster(Array(10).fill(1000), { checkpointable: (i) => i >= 8 });
    const { p } = plan(state); // 14,000 - 12,800 = 1200m: two pods, the two checkpointable ones
    expect(p.evictions.map((e) => e.pod.uid).sort()).toEqual(['b8', 'b9']);
  });

  it('never evicts more than the shortfall: dropping the last victim would leave it unmet (many shapes)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      let x = seed * 7919;
      const rnd = () => ((x = (x * 48271) % 2147483647) / 2147483647);
      const sizes = Array.from({ length: 3 + Math.floor(rnd() * 20) }, () => 100 * (1 + Math.floor(rnd() * 40)));
      const state = cluster(sizes);
      const { p, shortfall } = plan(state);
      const f = freed(p.evictions);
      if (shortfall.cpu <= 0) {
        expect(p.evictions).toEqual([]);
        continue;
      }
      expect(f).toBeGreaterThanOrEqual(Math.min(shortfall.cpu, sizes.reduce((a, b) => a + b, 0)));
      expect(f - p.evictions.at(-1)!.pod.requests.cpu).toBeLessThan(shortfall.cpu);
    }
  });

  it('drains ahead of a forecast rise within the lead, not earlier', () => {
    // 10 pods: 14,000m now fits (4000 + 10,000 > 12,800? yes: 1200m over), so use 8 (12,000m: fits now).
    const early = plan(cluster(Array(8).fill(1000)), RISE, new ForecastBook(0.95), NOW - 60 * MIN);
    expect(early.p.evictions).toEqual([]); // the rise is 90 minutes away, beyond the 2-slot lead
    const { p, shortfall } = plan(cluster(Array(8).fill(1000)), RISE);
    // At 12:30 (slot 2) the band is 8000m: 8000 + 8000 - 12,800 = 3200m -> 4 pods.
    expect(shortfall).toMatchObject({ cpu: 3200, slotCpu: 2 });
    expect(p.evictions).toHaveLength(4);
  });

  it('relieves a mis-forecast (usage above the band) within one cycle', () => {
    const state = cluster(Array(8).fill(1000));
    const book = new ForecastBook(0.95);
    expect(plan(state, HEAD, book).p.evictions).toEqual([]);
    // The online side suddenly uses 7000m (the band said 4000m): 7000 + 8000 - 12,800 = 2200m over.
    state.recordNodeUsage('n1', { time: NOW + MIN, online: { cpu: 7000, memory: 8 * GiB }, batch: { cpu: 8000, memory: 8 * GiB } });
    const first = plan(state, HEAD, book, NOW + 2 * MIN);
    expect(first.shortfall.cpu).toBe(2200);
    expect(first.p.evictions).toHaveLength(3);
    for (const e of first.p.evictions) state.removePod(e.pod.uid);
    const next = plan(state, HEAD, book, NOW + 3 * MIN);
    expect(next.shortfall.cpu).toBe(0);
    expect(next.p.evictions).toEqual([]);
  });

  it('a victim frees only the slots it still holds: pods ending before the rise are not evicted for it', () => {
    // From 12:30 (slot 2) the band is 8000m. b0 and b1 (the cheapest: 5-10% done) end at 12:19, in slot 1;
    // b2-b7 run to about 14:00 (46-48% done). Slots 0-1: 4000 + 8000 = 12,000m, fits; slot 2: 8000 + 6000
    // - 12,800 = 1200m over.
    const state = new ClusterState();
    state.upsertNode(node('n1'), NOW - 60 * MIN);
    state.upsertPod(pod({ uid: 'web', app: 'web', nodeName: 'n1', requests: { cpu: 4000, memory: 8 * GiB }, startedAt: NOW - 60 * MIN }), NOW - 60 * MIN);
    for (let i = 0; i < 8; i++) {
      const startedAt = NOW - (i < 2 ? i + 1 : 100 + i) * MIN;
      state.upsertPod(batch({ uid: `b${i}`, name: `b${i}`, nodeName: 'n1', requests: { cpu: 1000, memory: GiB }, startedAt, expectedRuntimeMs: (i < 2 ? 20 - i : 220) * MIN }), startedAt);
    }
    const { p, shortfall } = plan(state, RISE);
    expect(shortfall).toMatchObject({ cpu: 1200, slotCpu: 2 });
    // Paid down by requests alone it would take b0 and b1 (2000m >= 1200m) and leave slot 2 over.
    expect(p.evictions.map((e) => e.pod.uid)).toEqual(['b2', 'b3']);
    expect(p.nodes[0]).toMatchObject({ forecastExcess: { cpu: 1200, memory: 0 }, remaining: { cpu: 0, memory: 0 } });
  });

  it('per slot, over random runtimes ahead of a rise: every victim held a slot still over when it went, the plan covers every slot, and without its last victim some slot stays over', () => {
    const SLOT = 15 * MIN;
    for (let seed = 1; seed <= 30; seed++) {
      let x = seed * 104_729;
      const rnd = () => ((x = (x * 48271) % 2147483647) / 2147483647);
      const state = new ClusterState();
      state.upsertNode(node('n1'), NOW - 60 * MIN);
      state.upsertPod(pod({ uid: 'web', app: 'web', nodeName: 'n1', requests: { cpu: 4000, memory: 8 * GiB }, startedAt: NOW - 60 * MIN }), NOW - 60 * MIN);
      const ends = new Map<string, number>();
      const n = 4 + Math.floor(rnd() * 16);
      for (let i = 0; i < n; i++) {
        const startedAt = NOW - Math.floor(1 + rnd() * 120) * MIN;
        const runtime = Math.floor(10 + rnd() * 170) * MIN;
        const cpu = 100 * (1 + Math.floor(rnd() * 20));
        if (startedAt + runtime <= NOW) continue;
        state.upsertPod(batch({ uid: `b${i}`, name: `b${i}`, nodeName: 'n1', requests: { cpu, memory: GiB }, startedAt, expectedRuntimeMs: runtime }), startedAt);
        ends.set(`b${i}`, startedAt + runtime);
      }
      const { p } = plan(state, RISE);
      // The excess per slot (slots 12:00, 12:15, 12:30; the band is 4000m, then 8000m from 12:30), by hand.
      const band = [4000, 4000, 8000];
      const excess = band.map((b, k) => b - 12_800 + [...ends].reduce((sum, [uid, end]) => sum + (end > NOW + k * SLOT ? state.pods.get(uid)!.requests.cpu : 0), 0));
      const holds = (uid: string, k: number) => ends.get(uid)! > NOW + k * SLOT;
      for (const e of p.evictions) {
        expect(excess.some((v, k) => v > 0 && holds(e.pod.uid, k))).toBe(true);
        excess.forEach((_, k) => holds(e.pod.uid, k) && (excess[k]! -= e.pod.requests.cpu));
      }
      const candidates = [...ends.keys()].filter((uid) => !p.evictions.some((e) => e.pod.uid === uid));
      // Covered, or nothing left that holds an uncovered slot.
      expect(excess.every((v, k) => v <= 0 || candidates.every((uid) => !holds(uid, k)))).toBe(true);
      const last = p.evictions.at(-1);
      if (last) expect(excess.some((v, k) => holds(last.pod.uid, k) && v + last.pod.requests.cpu > 0)).toBe(true);
    }
  });

  it('memory is drained against the upper band as CPU is', () => {
    const state = cluster(Array(6).fill(500), { memory: 10 * GiB }); // 8 + 60 GiB > 0.8 x 64 = 51.2 GiB
    const { p, shortfall } = plan(state);
    expect(shortfall.memory).toBeCloseTo(16.8 * GiB, -3);
    expect(p.evictions).toHaveLength(2);
  });

  it('a planner with a forecast drain and no forecast book is refused', () => {
    expect(() => planEvictions({ state: cluster([]), timeline: new ProfileTimeline(parseProfile(HEAD)), now: NOW, config: CONFIG, rateBudget: Infinity, hotStreaks: new Map() })).toThrow(/no forecast book/);
  });
});
