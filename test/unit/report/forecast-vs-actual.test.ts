// Forecast vs actual in the simulator report (simulator/forecast-track.ts, simulator/report/forecast.ts):
// the figures on hand-made forecasts and samples, then on a hand-made trace replayed under
// time-sharing (the forecast) and kube-default: counts add up to the input's samples, the table's
// figures are those of the recorded series, watching never changes the run, and the report shows them.

import { describe, expect, it } from 'vitest';
import { simulate, type SimulationResult } from '../../../simulator/engine/simulation.ts';
import type { PolicySim } from '../../../simulator/engine/policy-sim.ts';
import { ForecastTracker, summarize } from '../../../simulator/forecast-track.ts';
import { policyByName } from '../../../simulator/policies/index.ts';
import { comparisonRows, formatJsonReport, formatTotalsTable, renderHtmlReport, type SimulationReport } from '../../../simulator/report/index.ts';
import { FORECAST_SECTION } from '../../../simulator/report/forecast.ts';
import type { TraceEvent } from '../../../simulator/traces/events.ts';
import { GiB, node } from '../../helpers/core.ts';
import { arrayTrace, tracePod } from '../../helpers/trace.ts';

const MIN = 60_000;
const H = 60 * MIN;
const T0 = Date.parse('2026-11-10T00:00:00Z');

/** A forecast of `slots` slots from T0 with mean(k) = base + step x k and upper = mean + band. */
function forecast(base: number, step: number, band: number, slots = 96) {
  const mean = Float64Array.from({ length: slots }, (_, k) => base + step * k);
  const upper = mean.map((m) => m + band);
  return { forecast: { start: T0, slots, meanCpu: mean, upperCpu: upper, meanMem: mean.map((m) => m * 1000), upperMem: upper.map((m) => m * 1000) } };
}

/** A PolicySim stand-in: what the tracker reads (the engine's config and book, the nodes' latest sample). */
function fakeSim(held: Map<string, unknown>) {
  const latest = new Map<string, { time: number; online: { cpu: number; memory: number } } | null>();
  const book = { peek: (n: { name: string }) => held.get(n.name) };
  const nodes = new Map(['n1', 'n2'].map((name) => [name, { name, usage: { latest: () => latest.get(name) ?? null } }]));
  const sim = {
    policy: { name: 'fake-forecast' },
    state: { nodes },
    engine: { config: { filters: ['ForecastCapacity'], pluginArgs: { ForecastCapacity: { quantile: 0.9 } } }, handle: { shared: () => book } },
  } as unknown as PolicySim;
  const sample = (n: string, time: number, cpu: number) => latest.set(n, { time, online: { cpu, memory: cpu * 1000 } });
  return { sim, sample };
}

describe('forecast vs actual: the figures on hand-made forecasts', () => {
  it('compares each sample with the forecast held before it; counts, MAE, bias and coverage by hand', () => {
    const held = new Map<string, unknown>([['n1', forecast(1000, 100, 500)]]);
    const { sim, sample } = fakeSim(held);
    const t = new ForecastTracker();
    t.onStep(T0, [sim]); // no sample yet; n1's forecast F1 held, n2 has none
    sample('n1', T0 + 5 * MIN, 1200); // slot 0: mean 1000, upper 1500 -> error +200, inside
    sample('n2', T0 + 5 * MIN, 700); // no forecast: uncovered
    t.onStep(T0 + 6 * MIN, [sim]);
    sample('n1', T0 + 20 * MIN, 2000); // slot 1: mean 1100, upper 1600 -> +900, above the band
    held.set('n1', forecast(5000, 0, 0)); // remade after the sample: not the one the sample is judged by
    t.onStep(T0 + 21 * MIN, [sim]);
    t.onStep(T0 + 22 * MIN, [sim]); // no new sample: nothing counted twice
    sample('n1', T0 + 35 * MIN, 4000); // slot 2 of the forecast held since 21 min (F2): mean 5000 -> -1000, inside
    sample('n2', T0 + 35 * MIN, 800);
    t.finish();
    const r = t.result();
    expect(r.policies).toHaveLength(1);
    const p = r.policies[0]!;
    expect(p.quantile).toBe(0.9);
    const n1 = p.nodes.find((n) => n.node === 'n1')!;
    expect(n1).toMatchObject({ samples: 3, compared: 3 });
    expect(n1.maeCpu).toBeCloseTo((200 + 900 + 1000) / 3, 9);
    expect(n1.biasCpu).toBeCloseTo((200 + 900 - 1000) / 3, 9);
    expect(n1.coverageCpu).toBeCloseTo(2 / 3, 9);
    expect(n1.maeMemory).toBeCloseTo(((200 + 900 + 1000) / 3) * 1000, 6);
    const n2 = p.nodes.find((n) => n.node === 'n2')!;
    expect(n2).toMatchObject({ samples: 2, compared: 0 });
    expect(Number.isNaN(n2.maeCpu)).toBe(true);
    expect(p.summary).toMatchObject({ samples: 5, compared: 3 });
    expect(p.summary.maeCpu).toBeCloseTo(n1.maeCpu, 9);
    // The charted node: the largest error (n2 has none to compare).
    expect(r.node).toBe('n1');
    expect(r.series[0]!.series).toMatchObject({ node: 'n1', samples: 3, compared: 3, times: [T0 + 5 * MIN, T0 + 20 * MIN, T0 + 35 * MIN], actualCpu: [1200, 2000, 4000], meanCpu: [1000, 1100, 5000], upperCpu: [1500, 1600, 5000] });
    expect(t.result('n2').node).toBe('n2');
    expect(() => t.result('nope')).toThrow(/no such node/);
  });

  it('a sample outside the held forecast\'s horizon is not compared, but counted', () => {
    const held = new Map<string, unknown>([['n1', forecast(1000, 0, 0, 4)]]);
    const { sim, sample } = fakeSim(held);
    const t = new ForecastTracker();
    t.onStep(T0, [sim]);
    sample('n1', T0 + 2 * H, 900); // the 4 slots end at 1 h
    t.finish();
    expect(t.result().policies[0]!.nodes.find((n) => n.node === 'n1')).toMatchObject({ samples: 1, compared: 0 });
  });

  it('with a lead, each sample is judged by the newest forecast held at least that long before it', () => {
    const held = new Map<string, unknown>();
    const { sim, sample } = fakeSim(held);
    const t = new ForecastTracker({ leadMs: 10 * MIN });
    const at = (m: number, f?: unknown) => {
      if (f) held.set('n1', f);
      t.onStep(T0 + m * MIN, [sim]);
    };
    at(0, forecast(1000, 0, 100)); // F1
    at(6, forecast(2000, 0, 100)); // F2
    at(8, forecast(3000, 0, 100)); // F3, 8 min after F1's capture: kept
    at(9, forecast(4000, 0, 100)); // F4, within 5 min of F2's capture: replaces F3
    sample('n1', T0 + 5 * MIN, 1500); // held 10 min before: none yet
    at(10);
    sample('n1', T0 + 15 * MIN, 1500); // by 00:05: F1
    at(16);
    sample('n1', T0 + 20 * MIN, 1500); // by 00:10: F4 (seen at 00:09)
    t.finish();
    const r = t.result();
    expect(r.leadMs).toBe(10 * MIN);
    expect(r.series[0]!.series).toMatchObject({ samples: 3, compared: 2, times: [T0 + 15 * MIN, T0 + 20 * MIN], meanCpu: [1000, 4000], upperCpu: [1100, 4100] });
    expect(() => new ForecastTracker({ leadMs: 24 * 60 * MIN })).toThrow(/under 24 h/);
  });

  it('summarize pools nodes sample by sample', () => {
    const s = (actual: number[], mean: number[], upper: number[]) => ({ node: 'x', samples: actual.length + 1, compared: actual.length, times: actual.map((_, i) => i), actualCpu: actual, meanCpu: mean, upperCpu: upper, actualMemory: actual, meanMemory: mean, upperMemory: upper });
    const m = summarize([s([10, 20], [12, 20], [11, 25]), s([30], [25], [29])]);
    expect(m).toMatchObject({ samples: 5, compared: 3 });
    expect(m.maeCpu).toBeCloseTo((2 + 0 + 5) / 3, 12);
    expect(m.biasCpu).toBeCloseTo((-2 + 0 + 5) / 3, 12);
    expect(m.coverageCpu).toBeCloseTo(2 / 3, 12);
    expect(m.meanActualCpu).toBeCloseTo(20, 12);
  });
});

/** 3 nodes, a day and a half: online pods with a day curve (busy 09-12 h), batch with runtimes. */
function trace(): TraceEvent[] {
  const ev: TraceEvent[] = [];
  for (let i = 0; i < 3; i++) ev.push({ type: 'node-add', time: T0, node: node(`n${i}`, { allocatable: { cpu: 16_000, memory: 64 * GiB } }) });
  for (let i = 0; i < 5; i++) ev.push({ type: 'pod-arrival', time: T0, pod: tracePod({ uid: `web-${i}`, app: 'web', requests: { cpu: 4000, memory: 8 * GiB } }) });
  for (let h = 0; h <= 36; h++) ev.push({ type: 'app-usage', time: T0 + h * H, app: 'web', cpu: h % 24 >= 9 && h % 24 <= 12 ? 0.8 : 0.25, memory: 0.5 });
  for (let j = 0; j < 40; j++) {
    ev.push({ type: 'pod-arrival', time: T0 + j * 45 * MIN, pod: tracePod({ uid: `b-${j}`, class: 'batch', app: 'etl', priority: 5000, job: `job-${j % 8}`, requests: { cpu: 2000, memory: 2 * GiB }, runtimeMs: (1 + (j % 3)) * H, declaredRuntimeMs: (1 + (j % 3)) * H }) });
  }
  ev.push({ type: 'pod-end', time: T0 + 36 * H, uid: 'web-4' });
  return ev;
}

const strip = (r: SimulationResult) => ({ ...r, wallSeconds: 0, policies: r.policies.map((p) => ({ ...p, totals: { ...p.totals, cpuSeconds: null } })) });

describe('forecast vs actual: a hand-made trace under time-sharing and kube-default', async () => {
  const policies = ['kube-default', 'time-sharing'];
  const plain = await simulate({ trace: arrayTrace(trace()), profile: { name: 'none', timeZone: 'UTC', default: { batchShare: 1, onlineHeadroom: 0, drainLeadMs: 0, rampMs: 0 }, windows: [] }, policies: policies.map(policyByName) });
  const tracker = new ForecastTracker();
  const watched = await simulate({ trace: arrayTrace(trace()), profile: { name: 'none', timeZone: 'UTC', default: { batchShare: 1, onlineHeadroom: 0, drainLeadMs: 0, rampMs: 0 }, windows: [] }, policies: policies.map(policyByName), onStep: tracker.onStep });
  tracker.finish();
  const tracked = tracker.result();
  const report: SimulationReport = { ...watched, forecast: tracked };

  it('watching the forecasts never changes the run', () => {
    expect(strip(watched)).toEqual(strip(plain));
  });

  it('tracks the forecast policy only; every node sample of the run is counted once, compared or not', () => {
    expect(tracked.policies.map((p) => p.policy)).toEqual(['time-sharing']);
    const p = tracked.policies[0]!;
    const points = watched.policies[1]!.series.length;
    expect(p.nodes.map((n) => n.node)).toEqual(['n0', 'n1', 'n2']);
    // Nodes are there from the first sample to the last: one usage sample per node per series point.
    for (const n of p.nodes) expect(n.samples).toBe(points);
    expect(p.summary.samples).toBe(3 * points);
    // Only the very first sample(s) come before any forecast.
    for (const n of p.nodes) expect(n.compared).toBeGreaterThanOrEqual(points - 2);
    expect(p.summary.compared).toBe(p.nodes.reduce((s, n) => s + n.compared, 0));
  });

  it("the charted node is the largest error's, and the table's figures are its series' and the pool's", () => {
    const p = tracked.policies[0]!;
    const worst = [...p.nodes].sort((a, b) => b.maeCpu - a.maeCpu)[0]!;
    expect(tracked.node).toBe(worst.node);
    const s = tracked.series[0]!.series!;
    expect(s.times).toHaveLength(s.compared);
    expect(s.compared).toBe(worst.compared);
    const mae = s.actualCpu.reduce((a, x, i) => a + Math.abs(x - s.meanCpu[i]!), 0) / s.compared;
    expect(worst.maeCpu).toBeCloseTo(mae, 6);
    const rows = comparisonRows(report).filter((r) => r.section === FORECAST_SECTION);
    const row = (label: RegExp) => rows.find((r) => label.test(r.label))!;
    expect(row(/^Node samples of/).values).toEqual([NaN, p.summary.samples]);
    expect(row(/^Node samples of/).cells[0]).toBe('-');
    expect(row(/error, CPU/).values[1]).toBeCloseTo(p.summary.maeCpu / 1000, 9);
    expect(row(/coverage, CPU/).values[1]).toBeCloseTo(p.summary.coverageCpu, 9);
    expect(row(/quantile/).values[1]).toBeCloseTo(0.95, 9);
    // One forecast policy: no value is marked best (there is nothing to compare it with).
    expect(rows.every((r) => r.best.every((b) => !b))).toBe(true);
    // Usage is above zero and the band above the mean everywhere.
    expect(s.actualCpu.every((x) => x > 0)).toBe(true);
    expect(s.upperCpu.every((u, i) => u >= s.meanCpu[i]!)).toBe(true);
  });

  it('the report shows the rows, the chart and the JSON', () => {
    expect(formatTotalsTable(report)).toMatch(/Forecast error, CPU/);
    const html = renderHtmlReport(report);
    expect(html).toContain('id="chart-forecast-time-sharing"');
    expect(html).toContain(`Forecast vs actual: node ${tracked.node} (time-sharing)`);
    const json = JSON.parse(formatJsonReport(report));
    expect(json.forecast.node).toBe(tracked.node);
    expect(json.forecast.policies[0].summary.compared).toBe(tracked.policies[0]!.summary.compared);
    // Without tracking: no section, no chart.
    expect(comparisonRows(watched).some((r) => r.section === FORECAST_SECTION)).toBe(false);
    expect(renderHtmlReport(watched)).not.toContain('chart-forecast-');
  });
});
