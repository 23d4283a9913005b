// The policy comparison: one row per measure, one value per policy, which way is better and which
// policies are best. The HTML table and the terminal table both render these rows, so they always
// agree. Utilisation rows that PolicyTotals does not split (requests and memory by class) are
// time-weighted means of the series, computed the same way the engine computes its totals.

import type { SeriesPoint } from '../engine/metrics.ts';
import type { PolicyResult } from '../engine/simulation.ts';
import { forecastRows, FORECAST_SECTION, type SimulationReport } from './forecast.ts';
import { durationUnit, formatCount, formatFixed, formatInterval } from './format.ts';
import { seriesMean } from './series.ts';

export type Better = 'higher' | 'lower' | null;

export interface ComparisonRow {
  section: string;
  label: string;
  /** Unit of the values as shown ("%", "pods", "h", ...). */
  unit: string;
  /** Which way is better; null for rows that give context and are not scored. */
  better: Better;
  /** Raw values, one per policy, in the result's policy order. */
  values: number[];
  /** Values as shown. */
  cells: string[];
  /** Best value(s) of a scored row; all false when every policy shows the same value. */
  best: boolean[];
}

interface RowDef {
  label: string;
  unit: string;
  better: Better;
  value: (p: PolicyResult) => number;
  format: (v: number) => string;
}

const pct = (decimals: number) => (v: number) => formatFixed(v * 100, decimals);
const count = (v: number) => formatCount(v);
const fixed = (decimals: number) => (v: number) => formatFixed(v, decimals);

/** Small quantities (a row whose largest value is under 10) get two decimals, others one. */
function quantityRow(label: string, unit: string, better: Better, value: (p: PolicyResult) => number, policies: readonly PolicyResult[]): RowDef {
  const max = Math.max(0, ...policies.map((p) => Math.abs(value(p))).filter(Number.isFinite));
  return { label, unit, better, value, format: fixed(max < 10 ? 2 : 1) };
}
const mean = (p: PolicyResult, f: (x: SeriesPoint) => number) => seriesMean(p.series, f);

function durationRow(label: string, better: Better, values: (p: PolicyResult) => number, policies: readonly PolicyResult[]): RowDef {
  const unit = durationUnit(policies.map(values));
  return { label, unit: unit.name, better, value: values, format: (v) => formatFixed(v / unit.ms, 1) };
}

/** The comparison rows, grouped by section in display order. */
export function comparisonRows(result: SimulationReport): ComparisonRow[] {
  const ps = result.policies;
  const waitLimit = formatInterval(result.options.onlineWaitLimitMs);
  const sections: [string, RowDef[]][] = [
    [
      'Utilisation (time-weighted mean, % of allocatable)',
      [
        { label: 'CPU used, online + batch', unit: '%', better: 'higher', value: (p) => p.totals.utilisation.cpuUsed, format: pct(1) },
        { label: 'CPU used, online', unit: '%', better: null, value: (p) => p.totals.utilisation.cpuUsedOnline, format: pct(1) },
        { label: 'CPU used, batch', unit: '%', better: 'higher', value: (p) => p.totals.utilisation.cpuUsedBatch, format: pct(1) },
        { label: 'CPU requested, online + batch', unit: '%', better: null, value: (p) => p.totals.utilisation.cpuRequested, format: pct(1) },
        { label: 'CPU requested, online', unit: '%', better: null, value: (p) => mean(p, (x) => x.cpuRequestedOnline), format: pct(1) },
        { label: 'CPU requested, batch', unit: '%', better: null, value: (p) => mean(p, (x) => x.cpuRequestedBatch), format: pct(1) },
        { label: 'Memory used, online + batch', unit: '%', better: 'higher', value: (p) => p.totals.utilisation.memUsed, format: pct(1) },
        { label: 'Memory used, online', unit: '%', better: null, value: (p) => mean(p, (x) => x.memUsedOnline), format: pct(1) },
        { label: 'Memory used, batch', unit: '%', better: 'higher', value: (p) => mean(p, (x) => x.memUsedBatch), format: pct(1) },
        { label: 'Memory requested, online + batch', unit: '%', better: null, value: (p) => p.totals.utilisation.memRequested, format: pct(1) },
        { label: 'Memory requested, online', unit: '%', better: null, value: (p) => mean(p, (x) => x.memRequestedOnline), format: pct(1) },
        { label: 'Memory requested, batch', unit: '%', better: null, value: (p) => mean(p, (x) => x.memRequestedBatch), format: pct(1) },
      ],
    ],
    [
      `Online risk, from the online side (interference: CPU above ${formatFixed(result.options.interferenceFraction * 100, 0)} % of a node while online pods run)`,
      [
        { label: 'Online risk (the scalar plans and sweeps bound)', unit: '%', better: 'lower', value: (p) => p.totals.onlineRisk.score, format: pct(2) },
        { label: 'Interference node-minutes', unit: 'node·min', better: 'lower', value: (p) => p.totals.onlineRisk.interferenceNodeMinutes, format: count },
        { label: 'Interference share of node-minutes', unit: '%', better: 'lower', value: (p) => p.totals.onlineRisk.interferenceFraction, format: pct(2) },
        quantityRow('Unmet online CPU', 'core·s', 'lower', (p) => p.totals.onlineRisk.unmetOnlineCpuCoreSeconds, ps),
        { label: 'Online pods OOM-killed', unit: 'kills', better: 'lower', value: (p) => p.totals.onlineRisk.onlineOomKills, format: count },
        { label: `Online pods delayed (waited > ${waitLimit}, placed, ended or unplaced)`, unit: 'pods', better: 'lower', value: (p) => p.totals.onlineRisk.onlinePodsDelayed, format: count },
        { label: 'Online pods ended while pending past the limit', unit: 'pods', better: 'lower', value: (p) => p.totals.onlineRisk.onlinePodsEndedPending, format: count },
        { label: 'Online pods unplaced at the end', unit: 'pods', better: 'lower', value: (p) => p.totals.onlineRisk.onlinePodsUnplaced, format: count },
        durationRow('Online pending p95', 'lower', (p) => p.totals.onlineRisk.onlinePending.p95, ps),
        { label: 'Online pods evicted', unit: 'pods', better: 'lower', value: (p) => p.totals.onlineRisk.onlineEvictions, format: count },
        { label: 'Online pods placed by preempting batch', unit: 'pods', better: 'lower', value: (p) => p.totals.onlineRisk.onlinePreemptions, format: count },
        { label: `Hot node-minutes (usage above ${formatFixed(result.options.riskThreshold * 100, 0)} % of CPU or memory; secondary)`, unit: 'node·min', better: 'lower', value: (p) => p.totals.onlineRisk.hotNodeMinutes, format: count },
        { label: 'Hot share of node-minutes (secondary)', unit: '%', better: 'lower', value: (p) => p.totals.onlineRisk.hotFraction, format: pct(2) },
      ],
    ],
    [
      'Batch',
      [
        { label: 'Batch pods arrived', unit: 'pods', better: null, value: (p) => p.totals.batch.arrived, format: count },
        quantityRow('Batch work completed', 'core·h', 'higher', (p) => p.totals.batch.completedCoreHours, ps),
        { label: 'Batch pods completed', unit: 'pods', better: 'higher', value: (p) => p.totals.batch.completed, format: count },
        quantityRow('Batch CPU denied (shared node, node agent cap)', 'core·h', 'lower', (p) => p.totals.batch.cpuDeniedCoreHours, ps),
        { label: 'Batch pods OOM-killed', unit: 'kills', better: 'lower', value: (p) => p.totals.batch.oomKills, format: count },
        quantityRow('Batch throughput', 'pods/h', 'higher', (p) => p.totals.batch.throughputPerHour, ps),
        durationRow('Batch completion delay p50', 'lower', (p) => p.totals.batch.completionDelay.p50, ps),
        durationRow('Batch completion delay p95', 'lower', (p) => p.totals.batch.completionDelay.p95, ps),
        durationRow('Batch pending p95', 'lower', (p) => p.totals.batch.pending.p95, ps),
        { label: 'Batch pods unfinished at the end', unit: 'pods', better: 'lower', value: (p) => p.totals.batch.unfinished, format: count },
        { label: 'Batch jobs completed', unit: 'jobs', better: 'higher', value: (p) => p.totals.batch.jobsCompleted, format: count },
      ],
    ],
    [
      'Evictions',
      [
        { label: 'Evictions, all reasons', unit: 'pods', better: 'lower', value: (p) => p.totals.evictions.total, format: count },
        ...evictionReasons(ps).map(
          (reason): RowDef => ({ label: `Evictions: ${reason}`, unit: 'pods', better: 'lower', value: (p) => p.totals.evictions.byReason[reason] ?? 0, format: count }),
        ),
        quantityRow('Batch work lost to evictions', 'core·h', 'lower', (p) => p.totals.evictions.workLostCoreHours, ps),
        quantityRow('Batch work lost to OOM kills', 'core·h', 'lower', (p) => p.totals.evictions.workLostOomCoreHours, ps),
        quantityRow('Batch work lost to nodes leaving', 'core·h', 'lower', (p) => p.totals.evictions.workLostNodeLossCoreHours, ps),
      ],
    ],
    ['Capacity', [{ label: 'Peak nodes in use', unit: 'nodes', better: 'lower', value: (p) => p.totals.peakNodesInUse, format: count }]],
  ];
  const fr = forecastRows(result);
  if (fr.length > 0) sections.push([FORECAST_SECTION, fr.map((d): RowDef => ({ ...d, value: (p) => d.value(p.policy) }))]);
  const rows: ComparisonRow[] = [];
  for (const [section, defs] of sections) {
    for (const d of defs) {
      const values = ps.map(d.value);
      const cells = values.map(d.format);
      // A forecast row has values for the forecast policies only: a lone value is best of nothing.
      const lone = section === FORECAST_SECTION && values.filter(Number.isFinite).length < 2;
      rows.push({ section, label: d.label, unit: d.unit, better: d.better, values, cells, best: lone ? values.map(() => false) : bestOf(values, cells, d.better) });
    }
  }
  return rows;
}

/** Every eviction reason any policy reports, sorted. */
export function evictionReasons(policies: readonly PolicyResult[]): string[] {
  const set = new Set<string>();
  for (const p of policies) for (const r of Object.keys(p.totals.evictions.byReason)) set.add(r);
  return [...set].sort();
}

/**
 * The best value(s): ties by shown value count as best together; when every policy shows the same
 * value nothing is marked (there is nothing to tell apart).
 */
function bestOf(values: readonly number[], cells: readonly string[], better: Better): boolean[] {
  const none = values.map(() => false);
  if (better === null || values.length < 2) return none;
  let bi = -1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (bi < 0 || (better === 'higher' ? v > values[bi]! : v < values[bi]!)) bi = i;
  }
  if (bi < 0) return none;
  const best = cells.map((c) => c === cells[bi]);
  return best.every(Boolean) ? none : best;
}
