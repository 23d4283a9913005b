// Observed usage of one node over a sliding window, in typed ring buffers that hold the window's
// samples only (at most maxSamples), so that memory per node is bounded whatever the trace length, and
// the percentile that predicts online usage is computed once per new sample rather than once per
// scheduling decision.

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
  /** Most samples a node keeps (beyond it the oldest drop; samples older than the window drop anyway). */
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

/**
 * A node's usage samples: the latest, and those within `keepMs` of it that predictOnline reads (at most
 * `maxSamples` of them, the oldest dropped first). The ring starts small and doubles up to maxSamples
 * as the window needs it: with the simulator's 5-minute samples and a 1-hour window a node keeps 13
 * samples, not 720 (the 720 columns of every node were 230 MB at 4000 nodes and two policies).
 */
export class UsageHistory {
  #time: Float64Array;
  #onlineCpu: Float64Array;
  #onlineMem: Float64Array;
  #batchCpu: Float64Array;
  #batchMem: Float64Array;
  readonly #maxSamples: number;
  readonly #keepMs: number;
  #head = 0;
  #size = 0;
  /** Bumped on every sample; derived figures are cached against it. */
  version = 0;
  #cachedVersion = -1;
  #cachedWindow = 0;
  #cachedPercentile = 0;
  #cachedOnline: Resources = { cpu: 0, memory: 0 };

  /** `keepMs`: the longest window predictOnline is asked for (UsageConfig.windowMs). */
  constructor(maxSamples: number, keepMs: number) {
    if (!(Number.isInteger(maxSamples) && maxSamples >= 1)) throw new Error(`usage history of ${maxSamples} samples: must be a whole number of at least 1`);
    this.#maxSamples = maxSamples;
    this.#keepMs = keepMs;
    const cap = Math.min(maxSamples, 16);
    this.#time = new Float64Array(cap);
    this.#onlineCpu = new Float64Array(cap);
    this.#onlineMem = new Float64Array(cap);
    this.#batchCpu = new Float64Array(cap);
    this.#batchMem = new Float64Array(cap);
  }

  get size(): number {
    return this.#size;
  }

  /** Slots the ring holds now (it grows with the window's samples, up to maxSamples). */
  get capacity(): number {
    return this.#time.length;
  }

  add(s: UsageSample): void {
    const last = this.latestTime();
    if (this.#size > 0 && s.time < last) {
      throw new Error(`usage sample at ${new Date(s.time).toISOString()} is older than the latest (${new Date(last).toISOString()})`);
    }
    // Samples no window will read again (older than keepMs before this one) go first.
    const from = s.time - this.#keepMs;
    while (this.#size > 0 && this.#time[this.#head]! < from) {
      this.#head = (this.#head + 1) % this.#time.length;
      this.#size--;
    }
    if (this.#size === this.#time.length && this.#size < this.#maxSamples) this.#grow(Math.min(this.#maxSamples, 2 * this.#size));
    const cap = this.#time.length;
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

  /** A ring of `cap` slots holding the same samples, oldest first. */
  #grow(cap: number): void {
    const move = (a: Float64Array): Float64Array => {
      const b = new Float64Array(cap);
      for (let k = 0; k < this.#size; k++) b[k] = a[(this.#head + k) % a.length]!;
      return b;
    };
    this.#time = move(this.#time);
    this.#onlineCpu = move(this.#onlineCpu);
    this.#onlineMem = move(this.#onlineMem);
    this.#batchCpu = move(this.#batchCpu);
    this.#batchMem = move(this.#batchMem);
    this.#head = 0;
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
    if (windowMs > this.#keepMs) throw new Error(`usage window of ${windowMs} ms is longer than the history keeps (${this.#keepMs} ms)`);
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
