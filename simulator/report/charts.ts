// The report's charts over time, one line per policy, drawn by Apache ECharts on the server into SVG
// strings that the HTML page inlines: the page runs no script, so nothing can fail when it loads.
//
// Times: ECharts' time axis formats in UTC (useUTC) or in the zone of the process drawing it; neither
// is the report's zone in general. So the data are shifted by the report zone's offset at the start
// of the run and drawn as UTC: the labels read as local times of that zone. A zone whose offset
// changes during the run (daylight saving) is drawn at its starting offset, and the subtitle says so.
//
// Long runs: a line with more than MAX_CHART_POINTS samples is reduced to buckets of consecutive
// samples before drawing: levels keep each bucket's minimum and maximum (spikes survive),
// per-interval counts (evictions) are summed per bucket (the y-axis names the bucket length). The
// subtitle says when this happened.

import * as echarts from 'echarts/core';
import { LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import type { SeriesPoint } from '../engine/metrics.ts';
import type { SimulationResult } from '../engine/simulation.ts';
import { formatCount, formatFixed, formatInterval, zoneLabel, zoneOffsetMs } from './format.ts';

echarts.use([LineChart, GridComponent, LegendComponent, SVGRenderer]);

/** Above this many samples a line is bucketed before it is drawn. */
export const MAX_CHART_POINTS = 2000;

export const FONT_FAMILY = '"Segoe UI", Roboto, "Helvetica Neue", "Liberation Sans", "DejaVu Sans", Arial, sans-serif';

/** Okabe–Ito colours (distinguishable with the common colour-vision deficiencies), then greys. */
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#888888'];

export interface PolicyStyle {
  colour: string;
  dash: 'solid' | 'dashed';
  /** Line width in px. */
  width: number;
}

/**
 * The colour and line style of the i-th policy: the same in every chart and in the page's legend.
 * Where policies run at the same level (often: the constant-level policies' batch share) their lines
 * coincide; earlier policies draw wider and underneath, and every second one dashed, so that each
 * line still shows.
 */
export function policyStyle(i: number): PolicyStyle {
  return {
    colour: COLOURS[i % COLOURS.length]!,
    dash: i % 2 === 1 ? 'dashed' : 'solid',
    width: [4.5, 3, 1.75][Math.min(i, 2)]!,
  };
}

export interface ChartSpec {
  id: string;
  title: string;
  /** Axis name; "{interval}" is replaced by the length each drawn point covers. */
  yAxis: string;
  value: (p: SeriesPoint) => number;
  /** Levels are bucketed to min and max; counts per sample interval are summed. */
  reduce: 'extremes' | 'sum';
  /** Values are fractions shown as percent. */
  percent: boolean;
  /** What the line shows, for the subtitle. */
  note: (r: SimulationResult) => string;
}

export const CHARTS: readonly ChartSpec[] = [
  {
    id: 'cpu-used',
    title: 'CPU utilisation (used, online + batch)',
    yAxis: '% of allocatable CPU',
    value: (p) => p.cpuUsedOnline + p.cpuUsedBatch,
    reduce: 'extremes',
    percent: true,
    note: () => 'Measured usage of online and batch pods together.',
  },
  {
    id: 'batch-cpu-requested',
    title: 'Batch CPU requested',
    yAxis: '% of allocatable CPU',
    value: (p) => p.cpuRequestedBatch,
    reduce: 'extremes',
    percent: true,
    note: () => 'CPU requests of running batch pods.',
  },
  {
    id: 'hot-nodes',
    title: 'Online risk: hot nodes',
    yAxis: 'hot nodes',
    value: (p) => p.hotNodes,
    reduce: 'extremes',
    percent: false,
    note: (r) => `Nodes whose CPU or memory usage is above ${formatFixed(r.options.riskThreshold * 100, 0)} % of allocatable.`,
  },
  {
    id: 'batch-backlog',
    title: 'Batch backlog',
    yAxis: 'pending batch pods',
    value: (p) => p.pendingBatch,
    reduce: 'extremes',
    percent: false,
    note: () => 'Batch pods waiting for a node.',
  },
  {
    id: 'evictions',
    title: 'Evictions',
    yAxis: 'evictions per {interval}',
    value: (p) => p.evictions,
    reduce: 'sum',
    percent: false,
    note: () => 'Pods evicted by the descheduler, every reason.',
  },
  {
    id: 'batch-share',
    title: "Profile's batch share",
    yAxis: '% batch share',
    value: (p) => p.batchShare,
    reduce: 'extremes',
    percent: true,
    note: () => "The effective batch share of the profile each policy follows (the peers and kube-default follow constant levels).",
  },
];

export interface Reduced {
  times: number[];
  values: number[];
  /** Samples per drawn bucket (1: every sample drawn). */
  bucket: number;
}

/** Reduces one line to at most MAX_CHART_POINTS points (see the file comment). */
export function reduceLine(times: readonly number[], values: readonly number[], mode: ChartSpec['reduce'], max = MAX_CHART_POINTS): Reduced {
  const n = times.length;
  if (n <= max) return { times: [...times], values: [...values], bucket: 1 };
  const bucket = Math.ceil(n / (mode === 'extremes' ? Math.floor(max / 2) : max));
  const t: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < n; i += bucket) {
    const end = Math.min(n, i + bucket);
    if (mode === 'sum') {
      let s = 0;
      for (let j = i; j < end; j++) s += values[j]!;
      t.push(times[i]!);
      v.push(s);
    } else {
      let lo = i;
      let hi = i;
      for (let j = i + 1; j < end; j++) {
        if (values[j]! < values[lo]!) lo = j;
        if (values[j]! > values[hi]!) hi = j;
      }
      for (const j of lo === hi ? [lo] : [Math.min(lo, hi), Math.max(lo, hi)]) {
        t.push(times[j]!);
        v.push(values[j]!);
      }
    }
  }
  return { times: t, values: v, bucket };
}

export interface RenderedChart {
  id: string;
  title: string;
  subtitle: string;
  svg: string;
  /** Points drawn per policy line, in policy order. */
  points: number[];
}

export interface ChartRenderOptions {
  zone: string;
  width?: number;
  height?: number;
}

/** Renders every chart of CHARTS for the result. */
export function renderCharts(result: SimulationResult, opts: ChartRenderOptions): RenderedChart[] {
  return CHARTS.map((spec) => renderChart(result, spec, opts));
}

/**
 * zrender numbers its instances ("zr3-") and style classes ("cls-71") process-wide. Renames them
 * by chart and by order of appearance, so that ids stay unique within the page and the same result
 * renders to the same bytes however many charts this process drew before.
 */
/**
 * The options every time chart of the report shares (the policy charts and the forecast-vs-actual
 * chart): text, grid, a legend of line names, and a time axis over the run in the zone's local time
 * (`offset` shifts UTC to it). The caller adds yAxis and series.
 */
export function timeChartFrame(result: Pick<SimulationResult, 'start' | 'end'>, zone: string, offset: number, legend: string[]) {
  return {
    animation: false,
    useUTC: true,
    textStyle: { fontFamily: FONT_FAMILY, fontSize: 12, color: '#333' },
    grid: { left: 72, right: 28, top: 20, bottom: 92 },
    legend: {
      bottom: 8,
      left: 'center',
      selectedMode: false,
      itemWidth: 32,
      itemHeight: 12,
      itemGap: 24,
      // A line series' legend icon is its line plus a symbol; the lines here have no symbols.
      itemStyle: { opacity: 0 },
      textStyle: { fontFamily: FONT_FAMILY, fontSize: 13, color: '#222' },
      data: legend,
    },
    xAxis: {
      type: 'time',
      min: result.start + offset,
      max: result.end + offset,
      name: `time (${zoneLabel(zone, result.start)})`,
      nameLocation: 'middle',
      nameGap: 30,
      nameTextStyle: { fontFamily: FONT_FAMILY, fontSize: 13, color: '#444' },
      axisLabel: {
        fontFamily: FONT_FAMILY,
        fontSize: 12,
        color: '#444',
        hideOverlap: true,
        formatter: { year: '{MMM} {d}, {yyyy}', month: '{MMM} {d}', day: '{MMM} {d}', hour: '{HH}:{mm}', minute: '{HH}:{mm}', second: '{HH}:{mm}:{ss}', millisecond: '{HH}:{mm}:{ss}' },
      },
      axisLine: { lineStyle: { color: '#888' } },
      splitLine: { show: true, lineStyle: { color: '#eee' } },
    },
  };
}

/** A static line over time (no symbols, no hover), as every report chart draws its lines. */
export function timeLineSeries(name: string, line: { times: readonly number[]; values: readonly number[] }, style: PolicyStyle, z: number) {
  return {
    type: 'line' as const,
    name,
    data: line.times.map((t, j) => [t, line.values[j]!]),
    showSymbol: false,
    symbol: 'none',
    silent: true,
    // Lines on the axis' ends (0 %, 100 %) would lose half their width to the clip.
    clip: false,
    emphasis: { disabled: true },
    lineStyle: { color: style.colour, width: style.width, type: style.dash },
    itemStyle: { color: style.colour },
    z,
  };
}

export function renumberIds(svg: string, prefix: string): string {
  const seen = new Map<string, string>();
  const counters = new Map<string, number>();
  return svg.replace(/\bzr\d+-([a-z]+-?)(\d+)\b/g, (token, kind: string) => {
    let id = seen.get(token);
    if (id === undefined) {
      const n = counters.get(kind) ?? 0;
      counters.set(kind, n + 1);
      id = `${prefix}${kind}${n}`;
      seen.set(token, id);
    }
    return id;
  });
}

function renderChart(result: SimulationResult, spec: ChartSpec, opts: ChartRenderOptions): RenderedChart {
  const width = opts.width ?? 1000;
  const height = opts.height ?? 340;
  const offset = zoneOffsetMs(result.start, opts.zone);
  const dstShift = zoneOffsetMs(result.end, opts.zone) !== offset;
  const interval = result.options.sampleIntervalMs;
  const samples = Math.max(0, ...result.policies.map((p) => p.series.length));
  const lines = result.policies.map((p) => {
    const times = p.series.map((x) => x.time + offset);
    const values = p.series.map((x) => (spec.percent ? spec.value(x) * 100 : spec.value(x)));
    return reduceLine(times, values, spec.reduce);
  });
  const bucket = Math.max(1, ...lines.map((l) => l.bucket));
  const sentences = [spec.note(result), `${formatCount(samples)} samples, one every ${formatInterval(interval)}.`];
  if (bucket > 1) {
    const drawn = Math.max(...lines.map((l) => l.times.length));
    sentences.push(
      spec.reduce === 'sum'
        ? `Downsampled for drawing: sums over ${bucket} samples (${formatInterval(bucket * interval)}), ${formatCount(drawn)} points per line.`
        : `Downsampled for drawing: the minimum and maximum of every ${bucket} samples, ${formatCount(drawn)} points per line.`,
    );
  }
  if (dstShift) sentences.push(`Times at the zone's offset at the start (${zoneLabel(opts.zone, result.start)}); its offset changes during the run.`);
  const yName = spec.yAxis.replace('{interval}', formatInterval(interval * (spec.reduce === 'sum' ? bucket : 1)));

  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({
      ...timeChartFrame(result, opts.zone, offset, result.policies.map((p) => p.policy)),
      yAxis: {
        type: 'value',
        min: 0,
        ...(spec.percent ? { max: (e: { max: number }) => (e.max <= 100 ? 100 : Math.ceil(e.max / 10) * 10) } : { minInterval: 1 }),
        name: yName,
        nameLocation: 'middle',
        nameGap: 48,
        nameTextStyle: { fontFamily: FONT_FAMILY, fontSize: 13, color: '#444' },
        axisLabel: { fontFamily: FONT_FAMILY, fontSize: 12, color: '#444' },
        splitLine: { lineStyle: { color: '#e6e6e6' } },
      },
      series: result.policies.map((p, i) => {
        return timeLineSeries(p.policy, lines[i]!, policyStyle(i), 10 + i);
      }),
    });
    const svg = renumberIds(chart.renderToSVGString(), `tidal-${spec.id}-`).replace(
      /^<svg /,
      `<svg role="img" aria-label="${spec.title.replace(/[&<>"']/g, '')}" `,
    );
    return { id: spec.id, title: spec.title, subtitle: sentences.join(' '), svg, points: lines.map((l) => l.times.length) };
  } finally {
    chart.dispose();
  }
}
