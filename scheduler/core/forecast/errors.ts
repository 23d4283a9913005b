// Forecast error, tracked per key (a node, an app): observed usage against the forecast mean made
// for the same slot, so that the band widens where the forecast has been wrong.
//
// Observations are pooled per slot (every sample of those 15 minutes) and a slot's error
//   e = mean observed - mean forecast
// is folded once a later slot is observed, into exponentially weighted statistics (weight alpha,
// a plain mean until 1/alpha slots):
//   bias  = EWMA(e)          sd_e = sqrt(EWMA(e^2) - bias^2)
// The adaptive margin added to a slot's upper band, given the band's own spread sd (from the curves):
//   margin = max(0, bias) + z x max(0, sd_e - sd)
// i.e. a forecast that runs low is lifted by its bias, and one whose errors spread wider than the
// curves claim is widened to the spread actually seen. Until a key has minSamples folded slots the
// margin is 0 (nothing is known of its error yet).

import { SLOT_MS } from '../app-curves.ts';
import type { Resources } from '../model.ts';
import { RecentMap } from '../recent-map.ts';

export interface ErrorConfig {
  /** Weight of a new slot's error once a key has 1/alpha slots (EWMA). */
  alpha: number;
  /** Folded slots a key needs before its margin counts. */
  minSamples: number;
  /** Keys kept at most (least recently observed dropped first). */
  maxKeys: number;
}

export const DEFAULT_ERRORS: ErrorConfig = { alpha: 0.1, minSamples: 4, maxKeys: 50_000 };

export interface ErrorStats {
  /** Folded slots. */
  n: number;
  bias: Resources;
  sd: Resources;
}

class Track {
  n = 0;
  biasCpu = 0;
  sqCpu = 0;
  biasMem = 0;
  sqMem = 0;
  /** The slot being pooled (its start), and the sums of observed - forecast in it. */
  slot = -Infinity;
  k = 0;
  sumCpu = 0;
  sumMem = 0;

  fold(alpha: number): boolean {
    if (this.k === 0) return false;
    const ec = this.sumCpu / this.k;
    const em = this.sumMem / this.k;
    const w = Math.max(alpha, 1 / ++this.n);
    this.biasCpu += w * (ec - this.biasCpu);
    this.sqCpu += w * (ec * ec - this.sqCpu);
    this.biasMem += w * (em - this.biasMem);
    this.sqMem += w * (em * em - this.sqMem);
    this.k = this.sumCpu = this.sumMem = 0;
    return true;
  }
}

export class ForecastErrors {
  readonly config: ErrorConfig;
  // RecentMap, not lru-cache: a node's errors are observed on every remake of its forecast, and each of
  // its apps' too; lru-cache's get was most of that (recent-map.ts).
  readonly #tracks: RecentMap<string, Track>;

  constructor(config: Partial<ErrorConfig> = {}) {
    this.config = { ...DEFAULT_ERRORS, ...config };
    this.#tracks = new RecentMap(this.config.maxKeys);
  }

  /** `key` used `observed` at t where the forecast mean for t's slot was `forecast`. Late data for a folded slot is ignored. */
  observe(key: string, t: number, observed: Readonly<Resources>, forecast: Readonly<Resources>): void {
    if (!Number.isFinite(observed.cpu + observed.memory + forecast.cpu + forecast.memory)) return;
    let tr = this.#tracks.get(key);
    if (!tr) this.#tracks.set(key, (tr = new Track()));
    const slot = Math.floor(t / SLOT_MS) * SLOT_MS;
    if (slot < tr.slot) return;
    if (slot > tr.slot) {
      tr.fold(this.config.alpha);
      tr.slot = slot;
    }
    tr.k++;
    tr.sumCpu += observed.cpu - forecast.cpu;
    tr.sumMem += observed.memory - forecast.memory;
  }

  /** Folds every slot still being pooled (end of a replay, tests). */
  flush(): void {
    for (const tr of this.#tracks.values()) tr.fold(this.config.alpha);
  }

  /** The key's error statistics over its folded slots, or null when it has none. */
  stats(key: string): ErrorStats | null {
    const tr = this.#tracks.peek(key);
    if (!tr || tr.n === 0) return null;
    return {
      n: tr.n,
      bias: { cpu: tr.biasCpu, memory: tr.biasMem },
      sd: { cpu: Math.sqrt(Math.max(0, tr.sqCpu - tr.biasCpu ** 2)), memory: Math.sqrt(Math.max(0, tr.sqMem - tr.biasMem ** 2)) },
    };
  }

  /**
   * The margin for a slot whose band has spread `sd` (per resource) at `z` standard deviations (see
   * the file comment), into out; 0 while the key has fewer than minSamples folded slots.
   */
  margin(key: string, sd: Readonly<Resources>, z: number, out: Resources): Resources {
    return this.marginFrom(this.stats(key), sd, z, out);
  }

  /** margin() from the key's stats (stats(key)), for a caller that asks for many slots of one key. */
  marginFrom(s: ErrorStats | null, sd: Readonly<Resources>, z: number, out: Resources): Resources {
    if (s === null || s.n < this.config.minSamples) {
      out.cpu = out.memory = 0;
      return out;
    }
    out.cpu = Math.max(0, s.bias.cpu) + z * Math.max(0, s.sd.cpu - sd.cpu);
    out.memory = Math.max(0, s.bias.memory) + z * Math.max(0, s.sd.memory - sd.memory);
    return out;
  }

  /**
   * What the key's margin is computed from, as a token: the key's track (a new one when the key was
   * dropped and observed again) and its folded slots (the statistics change only when a slot folds).
   * Equal tokens, equal margins.
   */
  token(key: string): { track: object | undefined; folds: number } {
    const tr = this.#tracks.peek(key);
    return { track: tr, folds: tr?.n ?? 0 };
  }

  get size(): number {
    return this.#tracks.size;
  }
}
