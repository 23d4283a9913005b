// Batch CPU committed at what its owner's pods use (forecast/batch-usage.ts, ForecastCapacity
// batchCpu: usage), by hand: the ratio learned per owner, the commitments, the filter, the drain's
// pay-down, and the forecast mode's default level that no longer caps batch CPU requests at A - online.

import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../../profiles/loader.ts';
import { FORECAST_PLANNER, planEvictions, type PlannerConfig } from '../../../../scheduler/core/descheduling/plan.ts';
import { forecastShortfall } from '../../../../scheduler/core/descheduling/strategies/forecast-drain.ts';
import { BatchUsageEstimates } from '../../../../scheduler/core/forecast/batch-usage.ts';
import { ForecastBook } from '../../../../scheduler/core/forecast/book.ts';
import { PolicyEngine } from '../../../../scheduler/core/engine.ts';
import { TIME_SHARING_FORECAST } from '../../../../scheduler/core/config.ts';
import { forecastModeProfile } from '../../../../scheduler/core/profile.ts';
import { ClusterState } from '../../../../scheduler/core/state.ts';
import { ProfileTimeline } from '../../../../scheduler/core/timeline.ts';
import { batch, GiB, node, pod } from '../../../helpers/core.ts';

const MIN = 60_000;
const NOW = Date.parse('2026-11-10T12:00:00Z');
const HEAD = 'apiVersion: tidal.io/v1alpha1\nkind: TimeSharingProfile\nmetadata:\n  name: p\nspec:\n  timeZone: UTC\n  default:\n    batchShare: 1\n    onlineHeadroom: 0\n';

describe('BatchUsageEstimates', () => {
  it('keeps the highest usage per request seen per owner; a zero reading teaches nothing; the request until one is seen', () => {
    const u = new BatchUsageEstimates();
    const a = batch({ ownerName: 'etl', requests: { cpu: 2000, memory: GiB } });
    const b = batch({ ownerName: 'etl', requests: { cpu: 4000, memory: GiB } });
    const other = batch({ ownerName: 'train', requests: { cpu: 1000, memory: GiB } });
    expect(u.cpuOf(a)).toBe(2000);
    u.observe(a, 0);
    expect(u.ratioOf(a)).toBeNull();
    u.observe(a, 1200); // 0.6
    expect(u.cpuOf(b)).toBe(2400); // same owner: 4000 x 0.6
    u.observe(b, 2000); // 0.5: lower (throttled?), kept at 0.6
    expect(u.ratioOf(a)).toBe(0.6);
    const v = u.version;
    u.observe(b, 2800); // 0.7: rises
    expect(u.ratioOf(a)).toBe(0.7);
    expect(u.version).toBe(v + 1);
    expect(u.cpuOf(other)).toBe(1000);
  });
});

/** A 16-core node, an online tenant cold at 4000m (its band is its requests), batch of owner etl at 2000m each. */
function world(n: number, usedPerPod: number) {
  const state = new ClusterState();
  state.learnCurves();
  state.upsertNode(node('n1'), NOW - 60 * MIN);
  state.upsertPod(pod({ uid: 'web', app: 'web', nodeName: 'n1', requests: { cpu: 4000, memory: 8 * GiB }, startedAt: NOW - 60 * MIN }), NOW - 60 * MIN);
  for (let i = 0; i < n; i++) {
    state.upsertPod(batch({ uid: `b${i}`, name: `b${i}`, ownerName: 'etl', nodeName: 'n1', requests: { cpu: 2000, memory: GiB }, startedAt: NOW - (i + 1) * MIN }), NOW - (i + 1) * MIN);
    state.recordPodUsage(`b${i}`, { cpu: usedPerPod, memory: GiB / 2 });
  }
  return state;
}

describe('batch CPU committed by usage', () => {
  it('commits each pod at request x its owner ratio; memory stays at requests', () => {
    const state = world(4, 1000); // ratio 0.5
    const byUsage = new ForecastBook(0.95, {}, 3_600_000, 'usage');
    const byRequests = new ForecastBook(0.95, {}, 3_600_000, 'requests');
    const profile = forecastModeProfile(parseProfile(HEAD));
    const n = state.nodes.get('n1')!;
    expect(byUsage.forecast(state, n, profile, NOW).committed.cpu[0]).toBe(4000); // 4 x 2000 x 0.5
    expect(byRequests.forecast(state, n, profile, NOW).committed.cpu[0]).toBe(8000);
    expect(byUsage.forecast(state, n, profile, NOW).committed.memory[0]).toBe(4 * GiB);
    // A higher reading rises the ratio: the kept entry's commitments are remade.
    state.recordPodUsage('b0', { cpu: 1500, memory: GiB / 2 }); // 0.75
    expect(byUsage.forecast(state, n, profile, NOW).committed.cpu[0]).toBe(6000);
  });

  it('the filter admits by the pod\'s expected usage: 12,800 - 4000 (web) - 6 x 1000 = 2800m free, so a 2000m etl pod (1000m expected) fits 2 more; by requests none', () => {
    const state = world(6, 1000);
    const profile = new ProfileTimeline(forecastModeProfile(parseProfile(HEAD)));
    const verdict = (batchCpu: 'usage' | 'requests', uid: string) => {
      const config = { ...TIME_SHARING_FORECAST, pluginArgs: { ...TIME_SHARING_FORECAST.pluginArgs, ForecastCapacity: { target: 0.8, quantile: 0.95, defaultRuntime: '1h', batchCpu } } };
      const engine = new PolicyEngine({ config, state, profile });
      return engine.place(batch({ uid, ownerName: 'etl', requests: { cpu: 2000, memory: GiB } }), NOW).node?.name ?? null;
    };
    expect(verdict('usage', 'x1')).toBe('n1');
    expect(verdict('requests', 'x2')).toBeNull();
    // Two more at their usage (2 x 1000 <= 2800), the third does not fit (800 < 1000).
    for (const uid of ['y1', 'y2']) {
      state.upsertPod(batch({ uid, name: uid, ownerName: 'etl', nodeName: 'n1', requests: { cpu: 2000, memory: GiB }, startedAt: NOW }), NOW);
    }
    expect(verdict('usage', 'x3')).toBeNull();
  });

  it('the forecast drain pays a shortfall down by the victims\' commitments: web doubles to 8000m at 12:30; by usage 8000 + 6 x 1000 - 12,800 = 1200m -> 2 pods of 1000m', () => {
    const RISE = HEAD + '  windows:\n    - name: sale\n      start: "2026-11-10T12:30"\n      duration: 2h\n      onlineDemand: {factor: 2x, of: requests}\n';
    const config: PlannerConfig = { ...FORECAST_PLANNER, drain: false, hotSpot: null, forecast: { target: 0.8, leadSlots: 2 }, limits: { maxPerNode: 0, maxPerNamespace: 0, maxTotal: 0 } };
    const run = (basis: 'usage' | 'requests') => {
      const state = world(6, 1000);
      const timeline = new ProfileTimeline(forecastModeProfile(parseProfile(RISE)));
      const book = new ForecastBook(0.95, {}, 3_600_000, basis);
      const shortfall = forecastShortfall({ state, now: NOW, book, profile: timeline.profile, config: config.forecast!, inFlight: new Set() }, state.nodes.get('n1')!);
      const p = planEvictions({ state, timeline, now: NOW, config, rateBudget: Infinity, hotStreaks: new Map(), book });
      return { shortfall: shortfall.cpu, evicted: p.evictions.length };
    };
    expect(run('usage')).toEqual({ shortfall: 1200, evicted: 2 });
    // By requests: 8000 + 12,000 - 12,800 = 7200m -> 4 pods of 2000m.
    expect(run('requests')).toEqual({ shortfall: 7200, evicted: 4 });
  });
});

describe("the forecast mode's default level", () => {
  const LEAD = HEAD + '  windows:\n    - name: freeze\n      start: "2026-11-10T14:00"\n      duration: 1h\n      drainLeadTime: 30m\n      batchShare: 0.9\n      onlineHeadroom: 0.5\n';
  it('caps batch CPU requests at allocatable, not at allocatable - online usage; an operator window still ramps its caps in', () => {
    const state = new ClusterState();
    state.upsertNode(node('n1'), NOW - 60 * MIN);
    state.upsertPod(pod({ uid: 'web', app: 'web', nodeName: 'n1', requests: { cpu: 4000, memory: 8 * GiB }, startedAt: NOW - 60 * MIN }), NOW - 60 * MIN);
    state.recordNodeUsage('n1', { time: NOW - MIN, online: { cpu: 6000, memory: 8 * GiB }, batch: { cpu: 0, memory: 0 } });
    const timeline = new ProfileTimeline(forecastModeProfile(parseProfile(LEAD)));
    const config = { ...TIME_SHARING_FORECAST, filters: ['BatchCapacityFit'] };
    const engine = new PolicyEngine({ config, state, profile: timeline });
    const fits = (uid: string, cpu: number, at: number) => engine.place(batch({ uid, requests: { cpu, memory: GiB } }), at).node?.name === 'n1';
    // 12,000m of batch requests on a 16-core node using 6000m online: over A - online (10,000m), within A.
    expect(fits('big', 12_000, NOW)).toBe(true);
    expect(fits('huge', 16_001, NOW)).toBe(false);
    // In the freeze's drain lead (13:30-14:00) the window's floor applies: 16,000 x (1 - 0.5) - 6000 = 2000m.
    const lead = NOW + 100 * MIN;
    state.recordNodeUsage('n1', { time: lead - MIN, online: { cpu: 6000, memory: 8 * GiB }, batch: { cpu: 0, memory: 0 } });
    expect(fits('b2', 2000, lead)).toBe(true);
    expect(fits('b3', 2100, lead)).toBe(false);
  });
});
