// Crane (gocrane/crane, gocrane/crane-scheduler) as formulas and defaults, reimplemented from the
// source (no code copied). Pure functions, no I/O.
//
// Elastic resource (crane-agent, pkg/resource/node_resource_manager.go BuildNodeStatus; earlier the
// craned controller pkg/controller/noderesource/node_resource_controller.go, same formula without the
// reserve), per resource:
//   maxUsage = max(max of the TimeSeriesPrediction's samples over its horizon, local usage that cannot
//                  be reclaimed = node usage + exclusive idle cpu - usage of pods on gocrane.io/*)
//   elastic  = max(0, allocatable - allocatable x reservePercent - maxUsage)
// reservePercent: --node-resource-reserved, no default (empty -> 0, pkg/utils/string.go ParsePercentage).
// The node's gocrane.io/<r> is rewritten only when it moves by more than 10 % (MinDeltaRatio).
// The prediction (examples/noderesource-tsp-template.yaml, the template the agent instantiates): DSP/FFT
// over 3 days of 1-minute history of the node's whole CPU usage (batch included), horizon
// predictionWindowSeconds 3600; CPU only. The simulator's stand-in is Crane's own percentile predictor
// (pkg/prediction/percentile/config.go: p99) over the same 3 days (elasticFromSamples):
// a percentile cannot place a coming peak in time as DSP can, it keeps the history's peak level at all
// times, so it is more conservative than DSP between peaks and as safe at them.
//
// Dynamic scheduler plugin (crane-scheduler pkg/plugins/dynamic/plugins.go, stats.go; default policy
// deploy/manifests/dynamic/policy.yaml; usage = Prometheus rules in its README: node CPU / memory
// utilisation of all pods, batch included, as a fraction):
//   filter: refuse when any of cpu_usage_avg_5m > 0.65, cpu_usage_max_avg_1h > 0.75,
//           mem_usage_avg_5m > 0.65, mem_usage_max_avg_1h > 0.75 (an expired or missing value passes)
//   score:  sum over metrics of (1 - usage) x weight x 100 / sum of weights, weights 5m 0.2, 1h 0.3,
//           1d 0.5 for both cpu and memory, minus hotValue x 10 (hotValue = bindings in the last 5 min /
//           5 + bindings in the last 1 min / 2, integer divisions); the plugin runs at weight 3.
//   sync:   the annotator writes avg_5m every 3 min, max_avg_1h every 15 min, max_avg_1d every 3 h;
//           a value is valid for its period + 5 min.

import { quantileSorted } from 'simple-statistics';

export const CRANE_DEFAULTS = {
  /** --node-resource-reserved: no default (0). */
  reservePercent: { cpu: 0, memory: 0 },
  /** Elastic resource republished only when it moves by more than this fraction. */
  minDeltaRatio: 0.1,
  /** noderesource-tsp-template: predictionWindowSeconds 3600, DSP history 3d at 60 s. */
  predictionWindowMs: 3_600_000,
  historyMs: 3 * 24 * 3_600_000,
  /** The stand-in predictor's percentile (percentile predictor default). */
  percentile: 0.99,
  dynamic: {
    /** predicate maxLimitPecent. */
    predicate: { avg5m: 0.65, maxAvg1h: 0.75 },
    /** priority weights (the same for cpu and memory). */
    weights: { avg5m: 0.2, maxAvg1h: 0.3, maxAvg1d: 0.5 },
    /** syncPolicy periods. */
    syncMs: { avg5m: 3 * 60_000, maxAvg1h: 15 * 60_000, maxAvg1d: 3 * 3_600_000 },
    /** ExtraActivePeriod added to a period to make its validity. */
    extraActiveMs: 5 * 60_000,
    /** hotValue: bindings within timeRange / count. */
    hotValue: [
      { rangeMs: 5 * 60_000, count: 5 },
      { rangeMs: 60_000, count: 2 },
    ],
    /** The plugin's weight in the scheduler profile (README). */
    pluginWeight: 3,
  },
} as const;

/** The stand-in predictor's parameters (the sweep's knobs). */
export interface CranePredictor {
  percentile: number;
  historyMs: number;
}

export const DEFAULT_PREDICTOR: CranePredictor = { percentile: CRANE_DEFAULTS.percentile, historyMs: CRANE_DEFAULTS.historyMs };

export interface ElasticInput {
  allocatable: number;
  /** Fraction of allocatable reserved, in [0, 1). */
  reservePercent: number;
  /** The prediction's samples over its horizon. */
  predicted: readonly number[];
  /** Local usage that cannot be reclaimed (all but the elastic pods'). */
  localUsage: number;
}

/** Crane's elastic resource for one resource (the formula at the top of this file). */
export function craneElastic(input: ElasticInput): number {
  let maxUsage = input.localUsage;
  for (const v of input.predicted) if (v > maxUsage) maxUsage = v;
  return Math.max(0, input.allocatable - input.allocatable * input.reservePercent - maxUsage);
}

/** Whether the node's elastic resource is rewritten: it is new, zero, or moved by more than 10 %. */
export function elasticUpdated(current: number | undefined, next: number): boolean {
  if (current === undefined || current === 0) return true;
  return Math.abs(current - next) / current > CRANE_DEFAULTS.minDeltaRatio;
}

/** Node utilisation figures the annotator publishes (fractions of the node). */
export interface DynamicLoad {
  cpu: { avg5m: number | null; maxAvg1h: number | null; maxAvg1d: number | null };
  memory: { avg5m: number | null; maxAvg1h: number | null; maxAvg1d: number | null };
}

/** Dynamic's filter: the first predicate the node breaks, or null (a missing value never refuses). */
export function dynamicOverload(load: DynamicLoad): string | null {
  const p = CRANE_DEFAULTS.dynamic.predicate;
  for (const r of ['cpu', 'memory'] as const) {
    const l = load[r];
    if (l.avg5m !== null && l.avg5m > p.avg5m) return `${r === 'cpu' ? 'cpu' : 'mem'}_usage_avg_5m`;
    if (l.maxAvg1h !== null && l.maxAvg1h > p.maxAvg1h) return `${r === 'cpu' ? 'cpu' : 'mem'}_usage_max_avg_1h`;
  }
  return null;
}

/**
 * Dynamic's score before normalisation: the weighted (1 - usage) x 100 over the six metrics, divided by
 * the sum of all weights (a missing metric adds its weight but no score), minus hotValue x 10.
 */
export function dynamicScore(load: DynamicLoad, hotValue = 0): number {
  const w = CRANE_DEFAULTS.dynamic.weights;
  let score = 0;
  let weight = 0;
  for (const r of ['cpu', 'memory'] as const) {
    for (const k of ['avg5m', 'maxAvg1h', 'maxAvg1d'] as const) {
      weight += w[k];
      const u = load[r][k];
      if (u !== null) score += (1 - u) * w[k] * 100;
    }
  }
  return Math.trunc(score / weight) - Math.trunc(hotValue * 10);
}

/** hotValue from the times of the node's recent bindings (integer divisions, as the annotator). */
export function hotValue(bindings: readonly number[], now: number): number {
  let v = 0;
  for (const h of CRANE_DEFAULTS.dynamic.hotValue) {
    const n = bindings.filter((t) => t > now - h.rangeMs && t <= now).length;
    v += Math.floor(n / h.count);
  }
  return v;
}

/** One node's utilisation samples (time, cpu fraction, memory fraction), oldest first. */
export interface LoadSample {
  time: number;
  cpu: number;
  memory: number;
}

/**
 * The annotator's figures at `now` from the node's samples: avg_5m = mean over (now - 5 min, now];
 * max_avg_1h / max_avg_1d = the largest 5-minute average over the last hour / day (max_over_time of
 * the avg_5m series, evaluated at each sample). null where no sample falls in the range.
 */
export function annotatorLoad(samples: readonly LoadSample[], now: number): DynamicLoad {
  const FIVE = 5 * 60_000;
  // The 5-minute average at each sample (a sliding window over the time-ordered samples).
  const avg: { cpu: number; memory: number }[] = [];
  let lo = 0;
  let sc = 0;
  let sm = 0;
  for (let k = 0; k < samples.length; k++) {
    const x = samples[k]!;
    sc += x.cpu;
    sm += x.memory;
    while (samples[lo]!.time <= x.time - FIVE) {
      sc -= samples[lo]!.cpu;
      sm -= samples[lo]!.memory;
      lo++;
    }
    avg.push({ cpu: sc / (k - lo + 1), memory: sm / (k - lo + 1) });
  }
  const one = (r: 'cpu' | 'memory') => {
    let avg5m: number | null = null;
    let h: number | null = null;
    let d: number | null = null;
    for (let k = 0; k < samples.length; k++) {
      const t = samples[k]!.time;
      if (t > now) break;
      const a = avg[k]![r];
      if (t > now - FIVE) avg5m = a;
      if (t > now - 3_600_000) h = h === null ? a : Math.max(h, a);
      if (t > now - 86_400_000) d = d === null ? a : Math.max(d, a);
    }
    return { avg5m, maxAvg1h: h, maxAvg1d: d };
  };
  return { cpu: one('cpu'), memory: one('memory') };
}

/** One node's samples for the elastic resource: whole-node usage (batch included) and the rest's. */
export interface NodeUsageSample {
  time: number;
  /** Everything on the node (what node_cpu_seconds_total shows), millicores / bytes. */
  totalCpu: number;
  /** All but the elastic (batch) pods. */
  nonElasticCpu: number;
  nonElasticMemory: number;
}

/**
 * The elastic resource the agent publishes from a node's samples, with the p99 stand-in predictor:
 *   cpu    = craneElastic(A, reserve, [p99 of whole-node CPU usage over the last 3 days], latest non-elastic CPU)
 *   memory = craneElastic(A, reserve, [], latest non-elastic memory): the TSP template predicts CPU only
 *            (its one predictionMetric is `cpu`; memory's predicted figure stays 0 in
 *            GetCanNotBeReclaimedResourceFromTsp), so memory follows the local figure.
 * null without a sample in the window.
 */
export function elasticFromSamples(
  samples: readonly NodeUsageSample[],
  now: number,
  allocatable: { cpu: number; memory: number },
  predictor: CranePredictor = DEFAULT_PREDICTOR,
  /** The window's totalCpu values in ascending order when the caller keeps them (SortedWindow): saves a sort per sample. */
  sortedTotals?: readonly number[],
): { cpu: number; memory: number } | null {
  const inWindow = sortedTotals ? samples : samples.filter((s) => s.time > now - predictor.historyMs && s.time <= now);
  if (inWindow.length === 0) return null;
  const latest = inWindow[inWindow.length - 1]!;
  const sorted = sortedTotals ?? inWindow.map((s) => s.totalCpu).sort((a, b) => a - b);
  const p = quantileSorted(sorted, predictor.percentile);
  const r = CRANE_DEFAULTS.reservePercent;
  return {
    cpu: craneElastic({ allocatable: allocatable.cpu, reservePercent: r.cpu, predicted: [p], localUsage: latest.nonElasticCpu }),
    memory: craneElastic({ allocatable: allocatable.memory, reservePercent: r.memory, predicted: [], localUsage: latest.nonElasticMemory }),
  };
}

/**
 * A multiset of numbers kept in ascending order (binary-search insert and remove), for the agent's
 * percentile over a sliding window: the same values elasticFromSamples would sort, without a sort per sample.
 */
export class SortedWindow {
  readonly values: number[] = [];

  private lowerBound(x: number): number {
    let lo = 0;
    let hi = this.values.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.values[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(x: number): void {
    this.values.splice(this.lowerBound(x), 0, x);
  }

  remove(x: number): void {
    const i = this.lowerBound(x);
    if (this.values[i] !== x) throw new Error(`SortedWindow: ${x} is not in the window`);
    this.values.splice(i, 1);
  }
}
