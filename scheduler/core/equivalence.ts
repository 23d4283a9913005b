// The equivalence cache of PolicyEngine.place (kube-scheduler had one: the equivalence class cache).
//
// A placement over thousands of nodes runs every filter and every score on each node it examines.
// Consecutive pods very often have the same *shape* (replicas of one Deployment, tasks of one Job):
// the same class, requests, level, span... For such pods a node's verdict and its row-local scores
// are the same as long as the node itself has not changed, and binding a pod changes one node. So per
// shape the cache keeps, row by row, the filters' verdict (which filter refused, or none) and each
// cacheable score's weighted, clamped value, stamped with the row's version (node-table `version`,
// bumped on every change to the node, its pods or its usage) and whether its usage was fresh at the
// time (the prediction switches to requests when it goes stale). A stamp that no longer matches is a
// miss: that row is filtered and scored again, exactly as without the cache.
//
// What a verdict or a score depends on beyond its row is either in the shape key (the active
// plugins' signatures, framework.ts Signature) or in the entry's token: the table's layout (rows added or
// moved), and with complementary-peak placement on, the app curves' version and the curve horizon's
// epoch (a folded visit or a new slot recompiles the nodes' combined curves without touching their
// versions). Scores that normalise over the feasible nodes (ZoneSpread) are not cached: they are
// computed live over the nodes the decision found. The window of nodes examined, the number of
// feasible nodes wanted, the rotation of the start and the tie-break are unchanged: the cache only
// replaces calls whose answers it already knows, so decisions are the same, bit for bit (the property
// test in test/property/equivalence.property.test.ts replays random sequences with and without it).

import type { FilterPlugin, ScorePlugin } from './framework.ts';

export interface ActiveScore {
  plugin: ScorePlugin<unknown>;
  weight: number;
  /**
   * 0: one of the policy's scores, summed as their weighted mean (weight / the group's total).
   * 1: one of kube-scheduler's plugins, summed as kube-scheduler does (score x weight: config.ts
   * KubeSchedulerScoring); the engine combines the two groups.
   */
  group: 0 | 1;
}

/** One shape's cached verdicts and scores, row by row. */
export class ShapeEntry {
  readonly key: string;
  readonly filters: readonly FilterPlugin[];
  /** Active scores, cacheable ones first (PolicyEngine.activeScores orders them so). */
  readonly scores: readonly ActiveScore[];
  /** How many of them (the first ones) are cached: their weighted sum is one column. */
  readonly cached: number;
  /** Multiplier of each active score (as PolicyEngine.scoreRows computes it: weight / group 0's total, or the weight in group 1). */
  readonly w: Float64Array;
  /** Each active score's group (ActiveScore.group). */
  readonly group: Uint8Array;
  /** Token: what the rows were computed under beyond their own stamps. */
  layout = -1;
  curves = -1;
  epoch = -1;
  /** Row stamps: the node-table version the row was computed at (-1: nothing cached). */
  stamp = new Float64Array(0);
  /**
   * The rows' usage freshness (now <= freshUntil) is part of what they were computed from; rather
   * than check it row by row, the entry keeps the interval of `now` over which none of the stamped
   * rows changes freshness: above the latest freshUntil of a row computed stale, at most the
   * earliest of a row computed fresh. A decision outside it forgets every row. (A row's freshUntil
   * changes only with a new sample, which bumps its version.)
   */
  freshLo = -Infinity;
  freshHi = Infinity;
  /** -1: passes every filter; else the index (in `filters`) of the filter that refused the row. */
  verdict = new Int8Array(0);
  /** The cached scores' weighted, clamped values summed in order (0 + w1 s1 + w2 s2 ...), for rows that pass: group 0's. */
  sum = new Float64Array(0);
  /** The same for group 1 (kube-scheduler's plugins). */
  sumHost = new Float64Array(0);

  constructor(key: string, filters: readonly FilterPlugin[], scores: readonly ActiveScore[]) {
    this.key = key;
    this.filters = filters;
    this.scores = scores;
    this.w = new Float64Array(scores.length);
    this.group = new Uint8Array(scores.length);
    let total = 0;
    for (const a of scores) if (a.group === 0) total += a.weight;
    let c = 0;
    while (c < scores.length && scores[c]!.plugin.signature !== undefined) c++;
    for (let k = 0; k < scores.length; k++) {
      const a = scores[k]!;
      this.group[k] = a.group;
      this.w[k] = a.group === 0 ? a.weight / total : a.weight;
    }
    this.cached = c;
  }

  /** Forgets every row (and makes room for n rows) when the token changed. */
  validate(n: number, layout: number, curves: number, epoch: number, now: number): void {
    if (this.stamp.length < n) {
      const cap = Math.max(n, 64);
      this.stamp = new Float64Array(cap).fill(-1);
      this.verdict = new Int8Array(cap);
      this.sum = new Float64Array(cap);
      this.sumHost = new Float64Array(cap);
      this.freshLo = -Infinity;
      this.freshHi = Infinity;
    } else if (this.layout !== layout || this.curves !== curves || this.epoch !== epoch || !(now > this.freshLo && now <= this.freshHi)) {
      this.stamp.fill(-1);
      this.freshLo = -Infinity;
      this.freshHi = Infinity;
    }
    this.layout = layout;
    this.curves = curves;
    this.epoch = epoch;
  }

  /** Whether this entry was built for the same active plugins (always, for the built-in ones). */
  matches(filters: readonly FilterPlugin[], scores: readonly ActiveScore[]): boolean {
    if (filters.length !== this.filters.length || scores.length !== this.scores.length) return false;
    for (let k = 0; k < filters.length; k++) if (filters[k] !== this.filters[k]) return false;
    for (let k = 0; k < scores.length; k++) if (scores[k]!.plugin !== this.scores[k]!.plugin || scores[k]!.weight !== this.scores[k]!.weight || scores[k]!.group !== this.scores[k]!.group) return false;
    return true;
  }
}

/** The shapes seen last, least recently used dropped first (memory: 17 bytes per row each). */
export class ShapeCache {
  readonly max: number;
  readonly #entries = new Map<string, ShapeEntry>();

  constructor(max = 48) {
    this.max = max;
  }

  get(key: string, filters: readonly FilterPlugin[], scores: readonly ActiveScore[]): ShapeEntry {
    let e = this.#entries.get(key);
    if (e !== undefined) {
      this.#entries.delete(key);
      if (!e.matches(filters, scores)) e = undefined;
    }
    if (e === undefined) {
      e = new ShapeEntry(key, filters, scores);
      if (this.#entries.size >= this.max) this.#entries.delete(this.#entries.keys().next().value!);
    }
    this.#entries.set(key, e);
    return e;
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
