// Forecast vs actual in the report (simulator/forecast-track.ts records it during the run): the
// comparison table's rows (samples compared, mean absolute error, bias, band coverage, per policy
// that ran on the forecast; "-" for the others) and a chart per forecast policy of the charted node's
// online side: actual usage, the forecast mean and its upper band.

import * as echarts from 'echarts/core';
import type { SimulationResult } from '../engine/simulation.ts';
import type { ForecastTracking } from '../forecast-track.ts';
import { FONT_FAMILY, reduceLine, renumberIds, timeChartFrame, timeLineSeries, type RenderedChart } from './charts.ts';
import { formatCount, formatFixed, formatInterval, zoneOffsetMs } from './format.ts';

/** A result with what the forecast tracker saw, when it ran. */
export type SimulationReport = SimulationResult & { forecast?: ForecastTracking };

export interface ForecastRowDef {
  label: string;
  unit: string;
  better: 'higher' | 'lower' | null;
  /** NaN for a policy that did not run on the forecast. */
  value: (policy: string) => number;
  format: (v: number) => string;
}

const GiB = 2 ** 30;
const dash = (f: (v: number) => string) => (v: number) => (Number.isFinite(v) ? f(v) : '-');

export const FORECAST_SECTION = 'Forecast vs actual (online side per node and sample, against the forecast held then, or the lead before; forecast policies only)';

/** The forecast rows, or none when no policy ran on the forecast. */
export function forecastRows(result: SimulationReport): ForecastRowDef[] {
  const f = result.forecast;
  if (!f || f.policies.length === 0) return [];
  const of = (policy: string) => f.policies.find((p) => p.policy === policy);
  const v = (g: (s: NonNullable<ReturnType<typeof of>>) => number) => (policy: string) => {
    const p = of(policy);
    return p ? g(p) : NaN;
  };
  return [
    { label: 'Node samples of the online side', unit: 'samples', better: null, value: v((p) => p.summary.samples), format: dash(formatCount) },
    { label: 'Node samples compared (a forecast held for them)', unit: 'samples', better: null, value: v((p) => p.summary.compared), format: dash(formatCount) },
    { label: 'Forecast error, CPU (mean absolute, mean vs actual)', unit: 'cores', better: 'lower', value: v((p) => p.summary.maeCpu / 1000), format: dash((x) => formatFixed(x, 3)) },
    { label: 'Forecast bias, CPU (actual - mean)', unit: 'cores', better: null, value: v((p) => p.summary.biasCpu / 1000), format: dash((x) => formatFixed(x, 3)) },
    { label: 'Band coverage, CPU (actual at or under the upper band)', unit: '%', better: null, value: v((p) => p.summary.coverageCpu), format: dash((x) => formatFixed(x * 100, 1)) },
    { label: 'Forecast error, memory (mean absolute)', unit: 'GiB', better: 'lower', value: v((p) => p.summary.maeMemory / GiB), format: dash((x) => formatFixed(x, 3)) },
    { label: 'Band coverage, memory', unit: '%', better: null, value: v((p) => p.summary.coverageMemory), format: dash((x) => formatFixed(x * 100, 1)) },
    { label: 'Band quantile (the coverage it aims at)', unit: '%', better: null, value: v((p) => p.quantile), format: dash((x) => formatFixed(x * 100, 1)) },
    { label: 'Forecast lead (made at least this long before the sample)', unit: 'min', better: null, value: v(() => (f.leadMs ?? 0) / 60_000), format: dash((x) => formatFixed(x, 0)) },
  ];
}

const LINES = [
  { name: 'actual (online side)', colour: '#000000', width: 2, dash: 'solid' as const, pick: 'actualCpu' as const },
  { name: 'forecast mean', colour: '#0072B2', width: 2, dash: 'solid' as const, pick: 'meanCpu' as const },
  { name: 'forecast upper band', colour: '#D55E00', width: 2, dash: 'dashed' as const, pick: 'upperCpu' as const },
];

/** One chart per forecast policy of the charted node's CPU: actual, forecast mean, upper band (cores). */
export function renderForecastCharts(result: SimulationReport, opts: { zone: string; width?: number; height?: number }): RenderedChart[] {
  const f = result.forecast;
  if (!f || f.node === null) return [];
  const out: RenderedChart[] = [];
  for (const { policy, series } of f.series) {
    if (!series || series.compared === 0) continue;
    const summary = f.policies.find((p) => p.policy === policy)!.nodes.find((n) => n.node === f.node);
    const width = opts.width ?? 1000;
    const height = opts.height ?? 340;
    const offset = zoneOffsetMs(result.start, opts.zone);
    const times = series.times.map((t) => t + offset);
    const lines = LINES.map((l) => reduceLine(times, series[l.pick].map((x) => x / 1000), 'extremes'));
    const bucket = Math.max(...lines.map((l) => l.bucket));
    const id = `forecast-${policy.replace(/[^a-z0-9-]/gi, '_')}`;
    const sentences = [
      `${policy} on node ${f.node}: the node's online-side CPU (online and system pods, the OS) at each sample, and the mean and upper band of the slot in the forecast the scheduler held ${f.leadMs ? `${formatInterval(f.leadMs)} before` : 'then'}.`,
      summary
        ? `${formatCount(series.compared)} of ${formatCount(series.samples)} samples compared; mean absolute error ${formatFixed(summary.maeCpu / 1000, 3)} cores, ${formatFixed(summary.coverageCpu * 100, 1)} % at or under the band.`
        : '',
      `Samples every ${formatInterval(result.options.sampleIntervalMs)}.`,
    ];
    if (bucket > 1) sentences.push(`Downsampled for drawing: the minimum and maximum of every ${bucket} samples.`);
    const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
    try {
      chart.setOption({
        ...timeChartFrame(result, opts.zone, offset, LINES.map((l) => l.name)),
        yAxis: { type: 'value', min: 0, name: 'cores', nameLocation: 'middle', nameGap: 48, axisLabel: { fontFamily: FONT_FAMILY, fontSize: 12, color: '#444' }, splitLine: { lineStyle: { color: '#e6e6e6' } } },
        series: LINES.map((l, i) => timeLineSeries(l.name, lines[i]!, l, 10 + i)),
      });
      const svg = renumberIds(chart.renderToSVGString(), `tidal-${id}-`).replace(/^<svg /, `<svg role="img" aria-label="forecast vs actual, ${policy}, ${f.node}" `);
      out.push({ id, title: `Forecast vs actual: node ${f.node} (${policy})`, subtitle: sentences.filter(Boolean).join(' '), svg, points: lines.map((l) => l.times.length) });
    } finally {
      chart.dispose();
    }
  }
  return out;
}
