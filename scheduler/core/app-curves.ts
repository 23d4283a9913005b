// Each online app's usage over the day and the week, learned from observed per-pod usage: the shape
// of a tenant's load, not just its current level. Ant's Double 11 system placed services whose peaks do
// not coincide on the same machines; to do that a scheduler must know the curves.
//
// Per app: 7 x 96 slots of 15 minutes (a week), each an exponentially weighted mean and variance of
// one pod's usage (CPU millicores, memory bytes). Queries fall back from the week slot to the same
// slot of day across the week, then to the app's overall level, so that missing data (a new app, a
// slot not seen yet) degrades gracefully. Updates are O(1); apps are kept in an LRU so that memory is
// bounded whatever the number of apps that come and go.

import { LRUCache } from 'lru-cache';
import type { Resources } from './model.ts';

export const SLOT_MS = 15 * 60_000;
export const SLOTS_PER_DAY = 96;
export const SLOTS_PER_WEEK = 7 * SLOTS_PER_DAY;
const WEEK_MS = 7 * 86_400_000;
/** 1970-01-01 was a Thursday; the first Monday (00:00) was 4 days later: week slot 0 starts there. */
const EPOCH_WEEKDAY_SHIFT_MS = 4 * 86_400_000;

export interface CurveConfig {
  /** Offset of local time from UTC, minutes (the profile's zone; DST is not followed). */
  utcOffsetMinutes: number;
  /** Weight of a new observation once a slot has enough history (EWMA). */
  alpha: number;
  /** Observations a week slot needs before it is trusted over the day slot. */
  minWeekSamples: number;
  /** Observations a day slot needs before it is trusted over the overall level. */
  minDaySamples: number;
  /** Standard deviations added to the mean for a prediction that holds with high probability. */
  z: number;
  /** Apps kept at most (least recently observed or queried dropped first). */
  maxApps: number;
}

export const DEFAULT_CURVES: CurveConfig = {
  utcOffsetMinutes: 0,
  alpha: 0.2,
  minWeekSamples: 2,
  minDaySamples: 3,
  z: 1.65,
  maxApps: 20_000,
};

/** Running mean and variance per slot for CPU and memory. */
class Slots {
  readonly n: Uint32Array;
  readonly cpuMean: Float64Array;
  readonly cpuVar: Float64Array;
  readonly memMean: Float64Array;
  readonly memVar: Float64Array;

  constructor(size: number) {
    this.n = new Uint32Array(size);
    this.cpuMean = new Float64Array(size);
    this.cpuVar = new Float64Array(size);
    this.memMean = new Float64Array(size);
    this.memVar = new Float64Array(size);
  }

  add(i: number, cpu: number, mem: number, alpha: number): void {
    const n = ++this.n[i]!;
    // A plain running mean until the slot has 1/alpha observations, then exponential forgetting.
    const w = Math.max(alpha, 1 / n);
    const dc = cpu - this.cpuMean[i]!;
    this.cpuMean[i]! += w * dc;
    this.cpuVar[i] = (1 - w) * (this.cpuVar[i]! + w * dc * dc);
    const dm = mem - this.memMean[i]!;
    this.memMean[i]! += w * dm;
    this.memVar[i] = (1 - w) * (this.memVar[i]! + w * dm * dm);
  }
}

export interface SlotStats {
  cpu: number;
  cpuVar: number;
  memory: number;
  memVar: number;
}

export class AppCurve {
  readonly week = new Slots(SLOTS_PER_WEEK);
  readonly day = new Slots(SLOTS_PER_DAY);
  readonly overall = new Slots(1);
  /** Bumped on every observation. */
  version = 0;

  observe(weekSlot: number, cpu: number, mem: number, alpha: number): void {
    this.week.add(weekSlot, cpu, mem, alpha);
    this.day.add(weekSlot % SLOTS_PER_DAY, cpu, mem, alpha);
    this.overall.add(0, cpu, mem, alpha);
    this.version++;
  }

  /** Per-pod usage statistics for a week slot, with the fallbacks described above; null when never observed. */
  at(weekSlot: number, cfg: CurveConfig, out: SlotStats): SlotStats | null {
    let s: Slots = this.week;
    let i = weekSlot;
    if (this.week.n[i]! < cfg.minWeekSamples) {
      s = this.day;
      i = weekSlot % SLOTS_PER_DAY;
      if (this.day.n[i]! < cfg.minDaySamples) {
        s = this.overall;
        i = 0;
        if (this.overall.n[0] === 0) return null;
      }
    }
    out.cpu = s.cpuMean[i]!;
    out.cpuVar = s.cpuVar[i]!;
    out.memory = s.memMean[i]!;
    out.memVar = s.memVar[i]!;
    return out;
  }
}

export class AppCurves {
  readonly config: CurveConfig;
  readonly #apps: LRUCache<string, AppCurve>;
  /** Bumped on every observation, for caches of combined curves. */
  version = 0;

  constructor(config: Partial<CurveConfig> = {}) {
    this.config = { ...DEFAULT_CURVES, ...config };
    this.#apps = new LRUCache({ max: this.config.maxApps });
  }

  /** The week slot (0 = Monday 00:00-00:15 local) that contains instant t. */
  slotOf(t: number): number {
    const local = t + this.config.utcOffsetMinutes * 60_000 - EPOCH_WEEKDAY_SHIFT_MS;
    return Math.floor((((local % WEEK_MS) + WEEK_MS) % WEEK_MS) / SLOT_MS);
  }

  /** One pod of `app` used `usage` at time t. */
  observe(app: string, t: number, usage: Readonly<Resources>): void {
    if (!(usage.cpu >= 0) || !(usage.memory >= 0)) return;
    let c = this.#apps.get(app);
    if (!c) {
      c = new AppCurve();
      this.#apps.set(app, c);
    }
    c.observe(this.slotOf(t), usage.cpu, usage.memory, this.config.alpha);
    this.version++;
  }

  get(app: string): AppCurve | undefined {
    return this.#apps.get(app);
  }

  get size(): number {
    return this.#apps.size;
  }

  /** Predicted per-pod usage of `app` at t (mean + z standard deviations), or null when unknown. */
  predict(app: string, t: number, out: Resources): Resources | null {
    const c = this.#apps.get(app);
    if (!c) return null;
    const s = c.at(this.slotOf(t), this.config, { cpu: 0, cpuVar: 0, memory: 0, memVar: 0 });
    if (!s) return null;
    out.cpu = s.cpu + this.config.z * Math.sqrt(s.cpuVar);
    out.memory = s.memory + this.config.z * Math.sqrt(s.memVar);
    return out;
  }
}
