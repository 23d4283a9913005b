// Forecast vs actual, for the report: per policy that admits batch by the forecast (a ForecastCapacity
// filter), per node, each usage sample of the node's online side (online + system pods + the OS, as
// the core records it) beside the forecast the scheduler held when the sample was taken: the mean
// (the median of the band's normal model) and the upper band of the sample's 15-minute slot, in the
// node's latest forecast before the sample (ForecastBook.peek: a pure read, so watching a run never
// changes it).
//
// Driven by simulate()'s onStep hook (after every step of the clock; the sample is the step's last
// act, so the forecast held at a step's hook is the one in force at the step's sample) and finish()
// once the run is over (the last sample). Counts add up: per node, samples = compared + uncovered,
// where uncovered samples had no forecast yet (a node's first samples, before any decision on it) or
// one too old to cover them.

import type { ForecastEntry } from '../scheduler/core/forecast/book.ts';
import { slotAt } from '../scheduler/core/forecast/node-forecast.ts';
import { forecastBookOf, forecastCapacityArgs, type ForecastCapacityArgs } from '../scheduler/core/plugins/forecast-capacity.ts';
import type { PolicySim } from './engine/policy-sim.ts';

/** One node's samples beside the forecast held for them (cpu in millicores, memory in bytes). */
export interface NodeForecastSeries {
  node: string;
  /** Every sample of the node's online side (compared or not). */
  samples: number;
  /** Samples with a forecast covering them: the arrays below have this length. */
  compared: number;
  times: number[];
  actualCpu: number[];
  meanCpu: number[];
  upperCpu: number[];
  actualMemory: number[];
  meanMemory: number[];
  upperMemory: number[];
}

export interface ForecastErrorSummary {
  samples: number;
  compared: number;
  /** Mean absolute error of the mean against the actual (millicores, bytes). */
  maeCpu: number;
  maeMemory: number;
  /** Mean of actual - mean (positive: the forecast runs low). */
  biasCpu: number;
  biasMemory: number;
  /** Share of the compared samples at or under the upper band. */
  coverageCpu: number;
  coverageMemory: number;
  /** Mean actual online-side CPU (millicores), to tell the busiest node. */
  meanActualCpu: number;
}

export interface PolicyForecastTrack {
  policy: string;
  quantile: number;
  summary: ForecastErrorSummary;
  nodes: (ForecastErrorSummary & { node: string })[];
}

export interface ForecastTracking {
  /** 0: each sample against the forecast held when it was taken; else the newest held at least this long before (ms). */
  leadMs: number;
  policies: PolicyForecastTrack[];
  /** The node charted: the one asked for, else the one with the largest CPU error (ties: the busiest) under the first policy. */
  node: string | null;
  /** The charted node's series per policy (policy order). */
  series: { policy: string; series: NodeForecastSeries | null }[];
}

/** The lead, or an error: at least 0 and under 24 h (a forecast spans a day). */
export function checkForecastLead(ms: number): number {
  if (!(ms >= 0 && ms < 24 * 3_600_000)) throw new Error(`forecast lead must be at least 0 and under 24 h (got ${ms} ms)`);
  return ms;
}

/** With a lead, a node's forecast is captured at most this often (the lead holds to within it). */
export const LEAD_CAPTURE_MS = 5 * 60_000;

interface NodeTrack {
  held: ForecastEntry | undefined;
  /** With a lead: forecasts held, oldest first, with when they were seen held. */
  past: { at: number; entry: ForecastEntry }[];
  lastSample: number;
  s: NodeForecastSeries;
}

interface PolicyTrack {
  sim: PolicySim;
  quantile: number;
  nodes: Map<string, NodeTrack>;
}

const newSeries = (node: string): NodeForecastSeries => ({ node, samples: 0, compared: 0, times: [], actualCpu: [], meanCpu: [], upperCpu: [], actualMemory: [], meanMemory: [], upperMemory: [] });

/** Summary of one or more nodes' series. */
export function summarize(list: readonly NodeForecastSeries[]): ForecastErrorSummary {
  let samples = 0;
  let n = 0;
  let aeC = 0;
  let aeM = 0;
  let bC = 0;
  let bM = 0;
  let inC = 0;
  let inM = 0;
  let act = 0;
  for (const s of list) {
    samples += s.samples;
    for (let i = 0; i < s.compared; i++) {
      n++;
      const dc = s.actualCpu[i]! - s.meanCpu[i]!;
      const dm = s.actualMemory[i]! - s.meanMemory[i]!;
      aeC += Math.abs(dc);
      aeM += Math.abs(dm);
      bC += dc;
      bM += dm;
      if (s.actualCpu[i]! <= s.upperCpu[i]!) inC++;
      if (s.actualMemory[i]! <= s.upperMemory[i]!) inM++;
      act += s.actualCpu[i]!;
    }
  }
  const d = n || NaN;
  return { samples, compared: n, maeCpu: aeC / d, maeMemory: aeM / d, biasCpu: bC / d, biasMemory: bM / d, coverageCpu: inC / d, coverageMemory: inM / d, meanActualCpu: act / d };
}

export class ForecastTracker {
  readonly #tracks = new Map<PolicySim, PolicyTrack | null>();
  #sims: readonly PolicySim[] = [];
  #now = -Infinity;
  /**
   * 0 (default): each sample against the forecast held when it was taken (remade every few minutes
   * and anchored on the latest sample: the error at the shortest horizon). A lead (< 24 h) compares it
   * with the newest forecast held at least that long before: the error at the horizon a batch pod's
   * runtime spans (to within LEAD_CAPTURE_MS).
   */
  readonly leadMs: number;

  constructor(opts: { leadMs?: number } = {}) {
    this.leadMs = checkForecastLead(opts.leadMs ?? 0);
  }

  /** simulate()'s onStep. */
  readonly onStep = (now: number, sims: readonly PolicySim[]): void => {
    this.#sims = sims;
    this.#now = now;
    for (const sim of sims) {
      const t = this.#track(sim);
      if (t) this.#observe(t, true);
    }
  };

  /** After the run: the samples taken since the last step. */
  finish(): void {
    for (const sim of this.#sims) {
      const t = this.#track(sim);
      if (t) this.#observe(t, false);
    }
  }

  /** The forecast a sample at `time` is judged by (see leadMs). */
  #forecastFor(n: NodeTrack, time: number): ForecastEntry | undefined {
    if (this.leadMs === 0) return n.held;
    const by = time - this.leadMs;
    const p = n.past;
    let k = -1;
    while (k + 1 < p.length && p[k + 1]!.at <= by) k++;
    if (k < 0) return undefined;
    // Older captures are never needed again (samples come in time order).
    if (k > 0) p.splice(0, k);
    return p[0]!.entry;
  }

  #track(sim: PolicySim): PolicyTrack | null {
    let t = this.#tracks.get(sim);
    if (t === undefined) {
      t = sim.engine.config.filters.includes('ForecastCapacity') ? { sim, quantile: forecastCapacityArgs(sim.engine.config).quantile, nodes: new Map() } : null;
      this.#tracks.set(sim, t);
    }
    return t;
  }

  #observe(t: PolicyTrack, hold: boolean): void {
    const sim = t.sim;
    const book = forecastBookOf(sim.engine.handle, sim.engine.config.pluginArgs['ForecastCapacity'] as Partial<ForecastCapacityArgs> | undefined);
    for (const node of sim.state.nodes.values()) {
      let n = t.nodes.get(node.name);
      if (!n) t.nodes.set(node.name, (n = { held: undefined, past: [], lastSample: -Infinity, s: newSeries(node.name) }));
      const latest = node.usage.latest();
      if (latest && latest.time > n.lastSample) {
        n.lastSample = latest.time;
        n.s.samples++;
        const f = this.#forecastFor(n, latest.time)?.forecast;
        const k = f ? slotAt(f, latest.time) : -1;
        if (f && k >= 0) {
          const s = n.s;
          s.compared++;
          s.times.push(latest.time);
          s.actualCpu.push(latest.online.cpu);
          s.meanCpu.push(f.meanCpu[k]!);
          s.upperCpu.push(f.upperCpu[k]!);
          s.actualMemory.push(latest.online.memory);
          s.meanMemory.push(f.meanMem[k]!);
          s.upperMemory.push(f.upperMem[k]!);
        }
      }
      if (hold) {
        n.held = book.peek(node) ?? n.held;
        // With a lead, every forecast held is captured with when it was seen, thinned to one per
        // LEAD_CAPTURE_MS: a newer one within that of the capture before the last replaces the last.
        if (this.leadMs > 0 && n.held && n.past.at(-1)?.entry !== n.held) {
          const p = n.past;
          if (p.length >= 2 && this.#now - p[p.length - 2]!.at < LEAD_CAPTURE_MS) p[p.length - 1] = { at: this.#now, entry: n.held };
          else p.push({ at: this.#now, entry: n.held });
        }
      }
    }
  }

  /** The raw series of each policy on the forecast (plain data: it crosses from a worker thread). */
  tracked(): TrackedPolicy[] {
    return [...this.#tracks.values()].filter((t): t is PolicyTrack => t !== null).map((t) => ({ policy: t.sim.policy.name, quantile: t.quantile, nodes: [...t.nodes.values()].map((n) => n.s) }));
  }

  /** The tracking of the run, with the charted node (`node`, else the largest CPU error under the first policy tracked). */
  result(node?: string): ForecastTracking {
    return forecastTracking(this.leadMs, this.tracked(), node);
  }
}

/** One policy's samples beside its forecasts, per node (ForecastTracker.tracked). */
export interface TrackedPolicy {
  policy: string;
  quantile: number;
  nodes: NodeForecastSeries[];
}

/**
 * The report's tracking from the policies' series (in policy order), with the charted node (`node`,
 * else the largest CPU error under the first policy tracked; ties: the busiest, then by name).
 */
export function forecastTracking(leadMs: number, tracks: readonly TrackedPolicy[], node?: string): ForecastTracking {
  const policies = tracks.map((t) => ({
    policy: t.policy,
    quantile: t.quantile,
    summary: summarize(t.nodes),
    nodes: t.nodes.map((s) => ({ node: s.node, ...summarize([s]) })).sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0)),
  }));
  let chosen: string | null = node ?? null;
  if (node !== undefined && !tracks.some((t) => t.nodes.some((s) => s.node === node))) {
    throw new Error(`--forecast-node ${node}: no such node under a forecast policy${tracks.length ? `; nodes: ${tracks[0]!.nodes.map((s) => s.node).join(', ')}` : ' (no policy ran with ForecastCapacity)'}`);
  }
  if (chosen === null && policies.length > 0) {
    const cands = policies[0]!.nodes.filter((n) => n.compared > 0);
    cands.sort((a, b) => b.maeCpu - a.maeCpu || b.meanActualCpu - a.meanActualCpu || (a.node < b.node ? -1 : 1));
    chosen = cands[0]?.node ?? null;
  }
  const series = tracks.map((t) => ({ policy: t.policy, series: chosen === null ? null : (t.nodes.find((s) => s.node === chosen) ?? null) }));
  return { leadMs, policies, node: chosen, series };
}
