// The sweep's analysis on hand-made totals: objectives, frontier, selection within the bound,
// held-out statistics and the tie rule.

import { describe, expect, it } from 'vitest';
import type { PolicyTotals } from '../../../simulator/engine/metrics.ts';
import { analyse, bestWithin, compare, isPeer, paretoFrontier, stats, type PolicyAnalysis, type SettingPoint } from '../../../simulator/sweep/analyse.ts';
import type { SweepSpec } from '../../../simulator/sweep/file.ts';
import { settingLabel, type Setting } from '../../../simulator/sweep/knobs.ts';
import { batchOutcome, onlineRisk } from '../../../simulator/sweep/objectives.ts';
import { formatHtml, formatMarkdown, frontierSvg } from '../../../simulator/sweep/output.ts';
import type { RunResult } from '../../../simulator/sweep/run-one.ts';

const d = { count: 0, mean: 0, p50: 0, p95: 0, p99: 0, max: 0 };
function totals(completed: number, interferenceFraction: number, delayed = 0): PolicyTotals {
  return {
    policy: 'p',
    utilisation: { cpuUsed: 0, cpuUsedOnline: 0, cpuUsedBatch: 0, cpuRequested: 0, memUsed: 0, memRequested: 0 },
    onlineRisk: {
      hotNodeMinutes: 0,
      hotFraction: 0,
      onlinePodsDelayed: delayed,
      onlinePodsUnplaced: 0,
      onlinePending: d,
      onlinePreemptions: 0,
      onlinePodsEndedPending: 0,
      unmetOnlineCpuCoreSeconds: 0,
      interferenceNodeMinutes: 0,
      interferenceFraction,
      onlineOomKills: 0,
      onlineEvictions: 0,
      score: 0,
    },
    batch: { arrived: completed, completed, throughputPerHour: 0, completionDelay: d, pending: d, jobsCompleted: 0, jobCompletionTime: d, unfinished: 0, completedCoreHours: completed, cpuDeniedCoreHours: 0, oomKills: 0 },
    evictions: { total: 0, byReason: {}, workLostCoreHours: 0, workLostOomCoreHours: 0, workLostNodeLossCoreHours: 0 },
    peakNodesInUse: 0,
    placements: 0,
    failedAttempts: 0,
    cpuSeconds: { placement: 0, planning: 0 },
  };
}

function result(seed: number, policy: string, setting: Setting, t: PolicyTotals): RunResult {
  return { key: '', scenario: 's', seed, policy, setting, label: settingLabel(setting), batch: batchOutcome(t), risk: onlineRisk(t), totals: t, digest: { totals: '', series: '' }, wallSeconds: 0 };
}

describe('objectives', () => {
  it('batch outcome is completed core-hours; risk is the interference share, 1 when an online pod was delayed', () => {
    expect(batchOutcome(totals(42, 0.01))).toBe(42);
    expect(onlineRisk(totals(42, 0.0005))).toBe(0.0005);
    expect(onlineRisk(totals(42, 0, 1))).toBe(1);
  });
});

describe('frontier and statistics', () => {
  it('keeps the non-dominated points, by increasing risk', () => {
    const pts = [
      { label: 'a', batch: 100, risk: 0 },
      { label: 'b', batch: 90, risk: 0.01 }, // dominated by a
      { label: 'c', batch: 150, risk: 0.02 },
      { label: 'd', batch: 150, risk: 0.03 }, // dominated by c
      { label: 'e', batch: 200, risk: 0.5 },
    ];
    expect(paretoFrontier(pts)).toEqual(['a', 'c', 'e']);
  });

  it('breaks a tie in batch and risk by the lower batch completion delay p95, then by label', () => {
    const pt = (label: string, batch: number, risk: number, delay: number): SettingPoint => ({ label, setting: {}, batch: stats([batch]), risk: stats([risk]), delayP95: stats([delay]), feasible: true, onFrontier: false });
    // Every setting completed all 100 core-hours at no risk: b finishes its batch sooner.
    expect(bestWithin([pt('a', 100, 0, 7_200_000), pt('b', 100, 0, 3_600_000), pt('c', 90, 0, 0)])!.label).toBe('b');
    expect(bestWithin([pt('b', 100, 0, 60_000), pt('a', 100, 0, 60_000)])!.label).toBe('a');
    // Risk comes before delay; batch before both.
    expect(bestWithin([pt('a', 100, 0.0005, 0), pt('b', 100, 0, 3_600_000)])!.label).toBe('b');
    expect(bestWithin([pt('a', 101, 0.0005, 9e9), pt('b', 100, 0, 0)])!.label).toBe('a');
  });

  it('computes mean, range and sample stddev', () => {
    expect(stats([2, 4, 6])).toEqual({ n: 3, mean: 4, min: 2, max: 6, stddev: 2 });
    expect(stats([5]).stddev).toBe(0);
  });
});

describe('analyse', () => {
  const spec: SweepSpec = {
    source: 't',
    riskBound: 0.001,
    tidal: 'time-sharing',
    scenarios: [{ name: 's', kind: 'synthetic', scenario: 'normal-week', profile: 'x' }],
    seeds: { training: [1, 2], heldOut: [3, 4, 5] },
    policies: [
      { policy: 'koordinator', settings: [{ reclaimCpuPercent: 40 }, { reclaimCpuPercent: 60 }, { reclaimCpuPercent: 80 }] },
      { policy: 'time-sharing', settings: [{}] },
    ],
  };
  // koordinator: 40 safe but little batch; 60 more batch, within the bound on seed 1 only; 80 most batch, hot.
  const k = (s: number, seed: number) => ({ 40: [100, 0], 60: [150, seed === 2 ? 0.002 : 0], 80: [200, 0.05] })[s]!;
  const runs: RunResult[] = [];
  for (const seed of [1, 2, 3, 4, 5]) {
    for (const s of [40, 60, 80]) runs.push(result(seed, 'koordinator', { reclaimCpuPercent: s }, totals(k(s, seed)[0]! + seed, k(s, seed)[1]!)));
    runs.push(result(seed, 'time-sharing', {}, totals(120 + seed * 2, 0)));
  }

  it('selects the best setting feasible on every training seed and evaluates it held out', () => {
    const a = analyse(spec, runs);
    const koord = a.scenarios[0]!.policies[0]!;
    expect(koord.frontier).toEqual(['reclaimCpuPercent=40', 'reclaimCpuPercent=60', 'reclaimCpuPercent=80']);
    expect(koord.points.map((p) => p.feasible)).toEqual([true, false, false]);
    expect(koord.best).toBe('reclaimCpuPercent=40');
    expect(koord.heldOut!.batch).toMatchObject({ n: 3, mean: 104, min: 103, max: 105 });
    expect(koord.heldOut!.withinBound).toBe(true);
    const c = a.scenarios[0]!.comparison;
    // time-sharing held out: 126, 128, 130 against koordinator's 103..105: ahead, ratio 128/104.
    expect(c).toMatchObject({ peer: 'koordinator', verdict: 'tidal' });
    expect(c.ratio).toBeCloseTo(128 / 104, 10);
    const md = formatMarkdown(a);
    expect(md).toContain('| koordinator | reclaimCpuPercent=40 | 104.0 (103.0-105.0, sd 1.0)');
    expect(md).toContain('**time-sharing ahead**');
    expect(frontierSvg(a.scenarios[0]!, a.riskBound)).toMatch(/^<svg[\s\S]*<polyline[\s\S]*<\/svg>\n$/);
    // The HTML report: the chart inline and the frontier table, one row per policy.
    const page = formatHtml(a);
    expect(page).toMatch(/<h2>s<\/h2>\n<svg[\s\S]*<\/svg>/);
    expect(page).toContain('<tr><td>koordinator</td><td>reclaimCpuPercent=40</td><td class="n">104.0 (103.0-105.0, sd 1.0)</td>');
    expect(page).toContain('reclaimCpuPercent=80: 201.5 @ 5.00%');
    expect(page).toContain('<b>time-sharing ahead</b>');
  });

  it('throws naming a missing run', () => {
    expect(() => analyse(spec, runs.slice(1))).toThrow(/no result for s seed 1 koordinator reclaimCpuPercent=40/);
  });
});

describe('tie rule', () => {
  const pa = (policy: string, xs: number[] | null): PolicyAnalysis => ({ policy, points: [], frontier: [], best: xs ? 'x' : null, heldOut: xs ? { batch: stats(xs), risk: stats(xs.map(() => 0)), withinBound: true, values: xs } : null });

  it('is paired by seed: behind on every seed loses even when the ranges overlap', () => {
    expect(compare(pa('time-sharing', [100, 110, 120]), [pa('koordinator', [115, 125, 130])])).toMatchObject({ verdict: 'peer', peer: 'koordinator' });
  });
  it('ahead on some seeds and behind on others is a tie, whatever the means', () => {
    const c = compare(pa('time-sharing', [100, 130, 120]), [pa('koordinator', [115, 125, 130])]);
    expect(c).toMatchObject({ verdict: 'tie', peer: 'koordinator' });
    expect(c.reason).toBe('neither ahead on every held-out seed (per held-out seed time-sharing - koordinator: -15.0, 5.0, -10.0)');
  });
  it('separate ranges name the winner', () => {
    expect(compare(pa('time-sharing', [100, 105]), [pa('koordinator', [106, 110])]).verdict).toBe('peer');
  });
  it('the best peer is the one with the highest held-out mean', () => {
    expect(compare(pa('time-sharing', [50]), [pa('volcano-tdm', [80]), pa('koordinator', [90]), pa('katalyst-tide', null)]).peer).toBe('koordinator');
  });
  it('among peers with the same held-out mean, the one that stayed within the bound is the best peer', () => {
    const over = pa('crane', [90, 90]);
    over.heldOut!.withinBound = false;
    expect(compare(pa('time-sharing', [50, 50]), [over, pa('koordinator', [90, 90])]).peer).toBe('koordinator');
    expect(compare(pa('time-sharing', [50, 50]), [over, pa('koordinator', [89, 89])]).peer).toBe('crane');
  });
  it('a policy with no feasible setting loses to one with any', () => {
    expect(compare(pa('time-sharing', null), [pa('koordinator', [1])]).verdict).toBe('peer');
    expect(compare(pa('time-sharing', [1]), [pa('koordinator', null)]).verdict).toBe('tidal');
    expect(compare(pa('time-sharing', null), [pa('koordinator', null)]).verdict).toBe('none');
  });
});

describe('without Tidal', () => {
  it('compares nothing', () => {
    expect(compare(undefined, []).verdict).toBe('none');
  });
});

describe('peers', () => {
  it("Tidal's own modes are measured beside it, never its best peer", () => {
    expect(['time-sharing', 'time-sharing-timetable', 'time-sharing-no-curves'].map(isPeer)).toEqual([false, false, false]);
    expect(['koordinator', 'koordinator+foresight', 'crane', 'kube-default'].map(isPeer)).toEqual([true, true, true, true]);
  });
});
