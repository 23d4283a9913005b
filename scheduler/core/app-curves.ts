// Each online app's usage over the day and the week, learned from observed per-pod usage: the shape
// of a tenant's load, not just its current level. Ant's Double 11 system placed services whose peaks do
// not coincide on the same machines; to do that a scheduler must know the curves.
//
// Per app: 7 x 96 slots of 15 minutes (a week), each an exponentially weighted mean and variance of
// one pod's usage (CPU millicores, memory bytes). Observations are pooled per visit of a slot (every
// pod of the app, every sample taken in those 15 minutes) and a visit is folded into the slot's
// statistics once the app is observed in a later slot: a slot's EWMA then forgets day over day (week
// over week), whatever the sampling rate, and its variance holds both the spread within a visit
// (pods, samples) and from one visit to the next. Queries fall back from the week slot to the same
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
  /** Weight of a new visit of a slot once the slot has enough history (EWMA). */
  alpha: number;
  /** Visits a week slot needs before it is trusted over the day slot. */
  minWeekSamples: number;
  /** Visits a day slot needs before it is trusted over the overall level. */
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
  minDaySamples: 1,
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

  /**
   * Folds one visit (mean and variance of what was seen in it) into slot i. A plain running mean
   * until the slot has 1/alpha visits, then exponential forgetting; the variance is that of the
   * mixture of the history and the visit.
   */
  add(i: number, cpu: number, cpuVar: number, mem: number, memVar: number, alpha: number): void {
    const n = ++this.n[i]!;
    const w = Math.max(alpha, 1 / n);
    const dc = cpu - this.cpuMean[i]!;
    this.cpuMean[i]! += w * dc;
    this.cpuVar[i] = (1 - w) * (this.cpuVar[i]! + w * dc * dc) + w * cpuVar;
    const dm = mem - this.memMean[i]!;
    this.memMean[i]! += w * dm;
    this.memVar[i] = (1 - w) * (this.memVar[i]! + w * dm * dm) + w * memVar;
  }
}

export interface SlotStats {
  cpu: number;
  cpuVar: number;
  memory: number;
  memVar: number;
}

/** Per-pod usage per slot of the coming day, indexed by slot of day (see AppCurves.compile). */
export interface DayCurve {
  readonly cpu: Float64Array;
  readonly cpuVar: Float64Array;
  readonly memory: Float64Array;
  readonly memVar: Float64Array;
}

export function newDayCurve(): DayCurve {
  return { cpu: new Float64Array(SLOTS_PER_DAY), cpuVar: new Float64Array(SLOTS_PER_DAY), memory: new Float64Array(SLOTS_PER_DAY), memVar: new Float64Array(SLOTS_PER_DAY) };
}

export class AppCurve {
  readonly week = new Slots(SLOTS_PER_WEEK);
  readonly day = new Slots(SLOTS_PER_DAY);
  readonly overall = new Slots(1);
  /** Bumped on every folded visit (what queries see). */
  version = 0;
  /** The visit being pooled: absolute slot number (since the epoch), sums and sums of squares. */
  #visit = -1;
  #k = 0;
  #sc = 0;
  #scc = 0;
  #sm = 0;
  #smm = 0;

  /**
   * One observation at absolute slot `abs` (floor(local time / SLOT_MS)) and week slot `weekSlot`.
   * Returns true when it closed (folded) an earlier visit, i.e. when queries change.
   */
  observe(abs: number, weekSlot: number, cpu: number, mem: number, alpha: number): boolean {
    if (abs < this.#visit) return false; // late data for a visit already folded
    let folded = false;
    if (abs !== this.#visit) {
      folded = this.flush(alpha);
      this.#visit = abs;
      this.#weekSlot = weekSlot;
    }
    this.#k++;
    this.#sc += cpu;
    this.#scc += cpu * cpu;
    this.#sm += mem;
    this.#smm += mem * mem;
    return folded;
  }

  #weekSlot = 0;

  /** Folds the visit being pooled, if any; true when it did. */
  flush(alpha: number): boolean {
    const k = this.#k;
    if (k === 0) return false;
    const cpu = this.#sc / k;
    const mem = this.#sm / k;
    const cpuVar = Math.max(0, this.#scc / k - cpu * cpu);
    const memVar = Math.max(0, this.#smm / k - mem * mem);
    const ws = this.#weekSlot;
    this.week.add(ws, cpu, cpuVar, mem, memVar, alpha);
    this.day.add(ws % SLOTS_PER_DAY, cpu, cpuVar, mem, memVar, alpha);
    // The overall level forgets over about a day of visits, not over a few slots.
    this.overall.add(0, cpu, cpuVar, mem, memVar, alpha / SLOTS_PER_DAY);
    this.#k = this.#sc = this.#scc = this.#sm = this.#smm = 0;
    this.version++;
    return true;
  }

  /** Per-pod usage statistics for a week slot, with the fallbacks described above; null when never folded. */
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
  /** Bumped on every folded visit, for caches of combined curves. */
  version = 0;
  /** Apps whose queries changed since the last drainChanged() (null: too many to list, treat all as changed). */
  #changed: Set<string> | null = new Set();
  readonly #stats: SlotStats = { cpu: 0, cpuVar: 0, memory: 0, memVar: 0 };

  constructor(config: Partial<CurveConfig> = {}) {
    this.config = { ...DEFAULT_CURVES, ...config };
    this.#apps = new LRUCache({ max: this.config.maxApps });
  }

  #local(t: number): number {
    return t + this.config.utcOffsetMinutes * 60_000;
  }

  /** The week slot (0 = Monday 00:00-00:15 local) that contains instant t. */
  slotOf(t: number): number {
    const local = this.#local(t) - EPOCH_WEEKDAY_SHIFT_MS;
    return Math.floor((((local % WEEK_MS) + WEEK_MS) % WEEK_MS) / SLOT_MS);
  }

  /** Start (epoch ms) of the slot that contains t. */
  slotStart(t: number): number {
    const off = this.config.utcOffsetMinutes * 60_000;
    return Math.floor((t + off) / SLOT_MS) * SLOT_MS - off;
  }

  /** One pod of `app` used `usage` at time t. */
  observe(app: string, t: number, usage: Readonly<Resources>): void {
    if (!(usage.cpu >= 0) || !(usage.memory >= 0) || !Number.isFinite(usage.cpu + usage.memory)) return;
    let c = this.#apps.get(app);
    if (!c) {
      c = new AppCurve();
      this.#apps.set(app, c);
    }
    const abs = Math.floor(this.#local(t) / SLOT_MS);
    if (c.observe(abs, this.slotOf(t), usage.cpu, usage.memory, this.config.alpha)) this.#touch(app);
  }

  /** Folds every visit still being pooled (end of a replay, tests). */
  flush(): void {
    for (const [app, c] of this.#apps.entries()) if (c.flush(this.config.alpha)) this.#touch(app);
  }

  #touch(app: string): void {
    this.version++;
    if (this.#changed) {
      this.#changed.add(app);
      if (this.#changed.size > this.config.maxApps) this.#changed = null;
    }
  }

  /** Apps whose curves changed since the previous call, or null when every app must be taken as changed. */
  drainChanged(): Set<string> | null {
    const c = this.#changed;
    this.#changed = new Set();
    return c;
  }

  /** Whether compile(app, ...) would give a curve (the app has a folded observation). */
  has(app: string): boolean {
    const c = this.#apps.peek(app);
    return c !== undefined && c.overall.n[0] !== 0;
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
    const s = c.at(this.slotOf(t), this.config, this.#stats);
    if (!s) return null;
    out.cpu = s.cpu + this.config.z * Math.sqrt(s.cpuVar);
    out.memory = s.memory + this.config.z * Math.sqrt(s.memVar);
    return out;
  }

  /**
   * The app's per-pod curve over the 24 hours that start with week slot `fromWeekSlot`, written into
   * `out` indexed by slot of day (entry d holds the next occurrence of that time of day, from the
   * week slot where the app has one, else the day slot or overall level). False when the app has no
   * folded observation (the caller falls back to requests).
   */
  compile(app: string, fromWeekSlot: number, out: DayCurve): boolean {
    const c = this.#apps.peek(app);
    if (!c || c.overall.n[0] === 0) return false;
    const s = this.#stats;
    for (let k = 0; k < SLOTS_PER_DAY; k++) {
      const ws = (fromWeekSlot + k) % SLOTS_PER_WEEK;
      c.at(ws, this.config, s);
      const d = ws % SLOTS_PER_DAY;
      out.cpu[d] = s.cpu;
      out.cpuVar[d] = s.cpuVar;
      out.memory[d] = s.memory;
      out.memVar[d] = s.memVar;
    }
    return true;
  }
}
