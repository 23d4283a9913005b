// Observed usage of one node over a sliding window, in fixed-size typed ring buffers so that memory
// per node is bounded whatever the trace length, and the percentile that predicts online usage is
// computed once per new sample rather than once per scheduling decision.

import { quantileSorted } from 'simple-statistics';
import type { CurveConfig } from './app-curves.ts';
import type { Resources, UsageSample } from './model.ts';

export interface UsageConfig {
  /** Percentile of recent online-side usage taken as its prediction, in (0, 1]. */
  percentile: number;
  /** How far back samples count. */
  windowMs: number;
  /** Samples older than this relative to now make the node fall back to requests. */
  staleAfterMs: number;
  /** Ring-buffer size per node (samples beyond it drop the oldest). */
  maxSamples: number;
  /** Per-app usage curves learned from these samples (app-curves.ts); absent fields take DEFAULT_CURVES. */
  curves?: Partial<CurveConfig>;
}

export const DEFAULT_USAGE: UsageConfig = {
  percentile: 0.95,
  windowMs: 60 * 60_000,
  staleAfterMs: 10 * 60_000,
  maxSamples: 720,
};

export class UsageHistory {
  readonly #time: Float64Array;
  readonly #onlineCpu: Float64Array;
  readonly #onlineMem: Float64Array;
  readonly #batchCpu: Float64Array;
  readonly #batchMem: Float64Array;
  #head = 0;
  #size = 0;
  /** Bumped on every sample; derived figures are cached against it. */
  version = 0;
  #cachedVersion = -1;
  #cachedWindow = 0;
  #cachedPercentile = 0;
  #cachedOnline: Resources = { cpu: 0, memory: 0 };

  constructor(capacity: number) {
    this.#time = new Float64Array(capacity);
    this.#onlineCpu = new Float64Array(capacity);
    this.#onlineMem = new Float64Array(capacity);
    this.#batchCpu = new Float64Array(capacity);
    this.#batchMem = new Float64Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  add(s: UsageSample): void {
    const cap = this.#time.length;
    const last = this.latestTime();
    if (this.#size > 0 && s.time < last) {
      throw new Error(`usage sample at ${new Date(s.time).toISOString()} is older than the latest (${new Date(last).toISOString()})`);
    }
    const i = (this.#head + this.#size) % cap;
    this.#time[i] = s.time;
    this.#onlineCpu[i] = s.online.cpu;
    this.#onlineMem[i] = s.online.memory;
    this.#batchCpu[i] = s.batch.cpu;
    this.#batchMem[i] = s.batch.memory;
    if (this.#size < cap) this.#size++;
    else this.#head = (this.#head + 1) % cap;
    this.version++;
  }

  latestTime(): number {
    if (this.#size === 0) return -Infinity;
    return this.#time[(this.#head + this.#size - 1) % this.#time.length]!;
  }

  latest(): UsageSample | null {
    if (this.#size === 0) return null;
    const i = (this.#head + this.#size - 1) % this.#time.length;
    return {
      time: this.#time[i]!,
      online: { cpu: this.#onlineCpu[i]!, memory: this.#onlineMem[i]! },
      batch: { cpu: this.#batchCpu[i]!, memory: this.#batchMem[i]! },
    };
  }

  /**
   * Predicted online-side usage: the larger of the chosen percentile over the window that ends at the
   * latest sample, and the latest sample itself (a percentile alone lags a step up in load). The window
   * is anchored at the latest sample, not at "now", so the figure only changes when a sample arrives and
   * can be cached against `version`; staleness relative to now is the caller's check. Null when empty.
   */
  predictOnline(windowMs: number, percentile: number): Resources | null {
    if (this.#size === 0) return null;
    if (this.#cachedVersion === this.version && this.#cachedWindow === windowMs && this.#cachedPercentile === percentile) {
      return this.#cachedOnline;
    }
    const from = this.latestTime() - windowMs;
    const cap = this.#time.length;
    const cpu: number[] = [];
    const mem: number[] = [];
    // Samples are in time order (add refuses an older one): the window is a suffix of the history.
    let first = this.#size;
    while (first > 0 && this.#time[(this.#head + first - 1) % cap]! >= from) first--;
    for (let k = first; k < this.#size; k++) {
      const i = (this.#head + k) % cap;
      cpu.push(this.#onlineCpu[i]!);
      mem.push(this.#onlineMem[i]!);
    }
    const last = (this.#head + this.#size - 1) % cap;
    cpu.sort((x, y) => x - y);
    mem.sort((x, y) => x - y);
    this.#cachedOnline = {
      cpu: Math.max(quantileSorted(cpu, percentile), this.#onlineCpu[last]!),
      memory: Math.max(quantileSorted(mem, percentile), this.#onlineMem[last]!),
    };
    this.#cachedVersion = this.version;
    this.#cachedWindow = windowMs;
    this.#cachedPercentile = percentile;
    return this.#cachedOnline;
  }
}
