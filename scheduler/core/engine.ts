// The policy engine: one pod, a set of nodes, a time -> which nodes pass, how each scores, where the
// pod goes. The extender calls filter/score on the nodes kube-scheduler sends; the simulator calls
// place(), which scans nodes the way kube-scheduler does (rotating start, stop after enough feasible).

import { SLOT_MS, SLOTS_PER_DAY } from './app-curves.ts';
import { refreshPredicted, usageEstimate } from './capacity.ts';
import { toExtenderScore, type PolicyConfig } from './config.ts';
import {
  clampScore,
  CycleState,
  type BoundQuery,
  type CurveContext,
  type FilterDefinition,
  type FilterPlugin,
  type FilterVerdict,
  type PluginDefinition,
  type PluginHandle,
  type PodContext,
  type RowBound,
  type ScoreDefinition,
  type ScorePlugin,
  type SlotLevels,
  type StateKey,
} from './framework.ts';
import type { PodInfo, Resources, WorkloadClass } from './model.ts';
import type { Level, Profile } from './profile.ts';
import { RecentMap } from './recent-map.ts';
import type { ClusterState, NodeState } from './state.ts';
import { fnv1a } from './node-table.ts';
import { ShapeCache, type ActiveScore, type ShapeEntry } from './equivalence.ts';
import { argsIssues, filterDefinition, scoreDefinition } from './registry.ts';
import { ProfileTimeline } from './timeline.ts';

export const UNKNOWN_NODE = 'tidal: node is unknown to Tidal (not in its informer cache yet)';

/** The verdict for a node Tidal does not know (no plugin refused it: the engine did). */
export const UNKNOWN_NODE_VERDICT: FilterVerdict = { plugin: 'UnknownNode', reason: 'node is unknown to Tidal (not in its informer cache yet)', unresolvable: true, message: UNKNOWN_NODE };

/** Time spans are widened to whole minutes so that their worst levels can be cached (a conservative widening). */
const SPAN_QUANTUM = 60_000;

export interface FilterOutcome {
  feasible: NodeState[];
  /** Node -> reason, where evicting lower-priority pods might help. */
  failed: Map<string, string>;
  /** Node -> reason, where it cannot (kube-scheduler's UnschedulableAndUnresolvable). */
  unresolvable: Map<string, string>;
}

export interface Verdicts {
  /**
   * Per input node: null when it passes, else the refusing plugin's verdict (one object per distinct
   * reason; its message is the reason the extender sends, its unresolvable flag says whether evicting
   * could help; UNKNOWN_NODE_VERDICT for a node Tidal does not know).
   */
  refusals: Array<FilterVerdict | null>;
  passed: number;
}

export interface PlaceResult {
  node: NodeState | null;
  score: number;
  /** How many nodes each filter rejected (for "0/N nodes are available" messages and reports). */
  rejectedBy: Map<string, number>;
  evaluated: number;
}

export interface EngineOptions {
  config: PolicyConfig;
  state: ClusterState;
  profile: Profile | ProfileTimeline;
  /**
   * Plugin definitions beyond the registry's (an experiment, a test, a peer's plugin kept with the
   * peer), found by name before the registry's.
   */
  definitions?: readonly PluginDefinition[];
  /**
   * place() reuses filter verdicts and row-local scores across pods of the same shape while the
   * nodes they were computed on are unchanged (equivalence.ts); same decisions, less work. Default on.
   */
  equivalenceCache?: boolean;
  /**
   * How place() breaks ties among equal top scores. 'hash' (the default): by a hash of pod and node,
   * so replays are deterministic. 'random': uniformly at random as kube-scheduler's selectHost does
   * (reservoir sampling over the top scores), from a stream seeded by tieSeed; for comparing with a
   * real cluster (simulator/calibrate), where the hash's choice is one kube-scheduler makes by chance.
   */
  tieBreak?: 'hash' | 'random';
  /** The random tie-breaker's seed (tieBreak 'random'); 1 when not given. */
  tieSeed?: number;
}

export class PolicyEngine {
  readonly config: PolicyConfig;
  readonly state: ClusterState;
  readonly timeline: ProfileTimeline;
  /** This engine's filter instances, in the order they run (config.filters). */
  readonly filters: readonly FilterPlugin[];
  /** This engine's score instances by name (those config.scoreWeights names). */
  readonly scorePlugins: Readonly<Record<string, ScorePlugin<any>>>;
  /** What this engine's plugins share (framework.ts PluginHandle). */
  readonly handle: PluginHandle = new EngineHandle();
  readonly #spanCache = new RecentMap<string, Level>(4096);
  #nextStart = 0;
  /** Reused buffer of feasible rows for place(). */
  #rows = new Int32Array(0);
  /** The coming day's levels slot by slot, for the slot that contains the last decision's time. */
  #levels: SlotLevels | null = null;
  /** Reused buffers of place()'s scores on the cached path (the policy's, kube-scheduler's plugins'). */
  #scores = new Float64Array(0);
  #hostScores = new Float64Array(0);
  /** place()'s equivalence cache (null when turned off). */
  readonly #shapes: ShapeCache | null;
  /** The random tie-breaker's stream (null: ties break by hash). */
  readonly #tieRandom: (() => number) | null;

  constructor(opts: EngineOptions) {
    this.config = opts.config;
    this.state = opts.state;
    this.timeline = opts.profile instanceof ProfileTimeline ? opts.profile : new ProfileTimeline(opts.profile);
    // Learn the apps' curves from the first usage sample on, not from the first decision.
    if (this.config.complementaryPeak.enabled || this.config.complementaryPeak.batchCapacity) this.state.learnCurves();
    const extra = opts.definitions ?? [];
    const filterDef = (name: string) => (extra.find((d) => d.kind === 'filter' && d.name === name) as FilterDefinition<any> | undefined) ?? filterDefinition(name);
    const scoreDef = (name: string) => (extra.find((d) => d.kind === 'score' && d.name === name) as ScoreDefinition<any> | undefined) ?? scoreDefinition(name);
    const filters: FilterPlugin[] = [];
    for (const name of this.config.filters) {
      const d = filterDef(name);
      if (!d) throw new Error(`policy ${this.config.name}: unknown filter plugin "${name}"`);
      filters.push(d.create(this.#argsOf(d), this.handle));
    }
    this.filters = filters;
    const scores: Record<string, ScorePlugin<any>> = {};
    const host = this.config.kubeScheduler?.hostScores ?? {};
    for (const [cls, weights] of [['online', this.config.scoreWeights.online], ['batch', this.config.scoreWeights.batch], ['kube-scheduler', host]] as const) {
      for (const name of Object.keys(weights)) {
        if (scores[name]) continue;
        const d = scoreDef(name);
        if (!d) throw new Error(`policy ${this.config.name}: unknown ${cls} score plugin "${name}"`);
        scores[name] = d.create(this.#argsOf(d), this.handle);
      }
    }
    this.scorePlugins = scores;
    this.#shapes = opts.equivalenceCache === false ? null : new ShapeCache();
    this.#tieRandom = opts.tieBreak === 'random' ? splitmix32(opts.tieSeed ?? 1) : null;
  }

  /** A plugin's args: the policy's (checked by the definition's validator), else the defaults. */
  #argsOf(d: FilterDefinition<any> | ScoreDefinition<any>): any {
    if (!Object.hasOwn(this.config.pluginArgs, d.name)) return d.defaults;
    const args = this.config.pluginArgs[d.name];
    const issues = argsIssues(d, args);
    if (issues.length > 0) throw new Error(`policy ${this.config.name}: args of ${d.name}: ${issues.map((i) => `${i.path.join('.') || '(args)'}: ${i.message}`).join('; ')}`);
    return args;
  }

  /** PreFilter: everything about the pod that does not depend on the node, computed once. */
  context(pod: PodInfo, now: number): PodContext {
    const level = this.timeline.at(now);
    let spanLevel: Level = level;
    let spanEnd = now;
    if (pod.class === 'batch' && pod.expectedRuntimeMs > 0 && this.config.batch.durationAware) {
      const remaining = Math.max(0, pod.expectedRuntimeMs - (pod.startedAt > 0 ? now - pod.startedAt : 0));
      spanEnd = now + remaining;
      spanLevel = this.#worstOver(now, spanEnd);
    }
    return {
      pod,
      now,
      config: this.config,
      state: this.state,
      t: this.state.table,
      nodes: this.state.nodeList,
      profile: this.timeline.profile,
      level,
      spanLevel,
      spanEnd,
      mustHoldSpan: spanEnd > now && !pod.checkpointable,
      estimate: usageEstimate(pod.requests, this.config.emptyRequestEstimate, { cpu: 0, memory: 0 }),
      cycle: new CycleState(),
      scratch: { cpu: 0, memory: 0 },
      scratch2: { cpu: 0, memory: 0 },
      curves: this.config.complementaryPeak.enabled && pod.class !== 'system' ? this.curveContext(now) : null,
    };
  }

  /** The nodes' combined curves synced to `now`, with the coming day's levels (complementary-peak placement). */
  curveContext(now: number): CurveContext {
    const table = this.state.nodeCurves;
    table.sync(now);
    const start = this.state.curves.slotStart(now);
    let lv = this.#levels;
    if (!lv || lv.start !== start) {
      const epoch = this.state.curves.slotOf(now);
      const headroom = new Float64Array(SLOTS_PER_DAY);
      const share = new Float64Array(SLOTS_PER_DAY);
      for (let k = 0; k < SLOTS_PER_DAY; k++) {
        const a = start + k * SLOT_MS;
        const l = this.timeline.over(Math.max(a, now), a + SLOT_MS - 1);
        const d = (epoch + k) % SLOTS_PER_DAY;
        headroom[d] = l.onlineHeadroom;
        share[d] = l.batchShare;
      }
      lv = this.#levels = { epoch, slot0: epoch % SLOTS_PER_DAY, start, headroom, share };
    }
    return { table, levels: lv };
  }

  activeFilters(ctx: PodContext): FilterPlugin[] {
    return this.filters.filter((f) => f.appliesTo(ctx));
  }

  /**
   * The filters' verdict for each named node, aligned with `names`: refusals[k] is null when node k
   * passes, else the verdict that refused it (one object per distinct reason). The webhook's fast
   * path: one array, no maps.
   */
  verdicts(ctx: PodContext, names: readonly string[]): Verdicts {
    const filters = this.activeFilters(ctx);
    const n = names.length;
    const refusals = new Array<FilterVerdict | null>(n);
    let passed = 0;
    const rowOf = this.state.rows;
    const refusal: Refusal = { verdict: null };
    for (let k = 0; k < n; k++) {
      const i = rowOf.get(names[k]!);
      if (i === undefined) {
        refusals[k] = UNKNOWN_NODE_VERDICT;
        continue;
      }
      refreshPredicted(ctx.t, i, ctx.now);
      if (firstRefusal(filters, ctx, i, refusal) < 0) {
        refusals[k] = null;
        passed++;
      } else refusals[k] = refusal.verdict;
    }
    return { refusals, passed };
  }

  /**
   * verdicts() as the simulator's queueing hints ask it, with the filters given (activeFilters(ctx)):
   * how many of the named nodes pass, and when none does, the highest index (in `filters`) of a
   * filter that refused one of them (every node is refused by one of the filters up to it; Infinity
   * when a node is unknown). Every node is judged, as verdicts() judges them.
   */
  refusals(ctx: PodContext, filters: readonly FilterPlugin[], names: readonly string[]): { passed: number; last: number } {
    // Which filter refused is all this reads: no reasons are built.
    const quiet = ctx.cycle.quiet;
    ctx.cycle.quiet = true;
    let passed = 0;
    let last = -1;
    const rowOf = this.state.rows;
    for (let k = 0; k < names.length; k++) {
      const i = rowOf.get(names[k]!);
      if (i === undefined) {
        last = Infinity;
        continue;
      }
      refreshPredicted(ctx.t, i, ctx.now);
      const r = firstRefusal(filters, ctx, i, null);
      if (r < 0) passed++;
      else if (r > last) last = r;
    }
    ctx.cycle.quiet = quiet;
    return { passed, last };
  }

  /** Scores aligned with `names` (0..100); a node Tidal does not know scores 0. */
  scoreNames(ctx: PodContext, names: readonly string[]): Float64Array {
    const rowOf = this.state.rows;
    const n = names.length;
    const rows = new Int32Array(n);
    const at = new Int32Array(n);
    let m = 0;
    for (let k = 0; k < n; k++) {
      const i = rowOf.get(names[k]!);
      if (i === undefined) continue;
      refreshPredicted(ctx.t, i, ctx.now);
      rows[m] = i;
      at[m++] = k;
    }
    const scored = this.scoreRows(ctx, rows, m);
    const out = new Float64Array(n);
    for (let j = 0; j < m; j++) out[at[j]!] = scored[j]!;
    return out;
  }

  /** Runs the filters over the named nodes (all known nodes when `names` is null). */
  filter(ctx: PodContext, names: Iterable<string> | null): FilterOutcome {
    const filters = this.activeFilters(ctx);
    const out: FilterOutcome = { feasible: [], failed: new Map(), unresolvable: new Map() };
    const rowOf = this.state.rows;
    const all = this.state.nodeList;
    const refusal: Refusal = { verdict: null };
    for (const name of names ?? rowOf.keys()) {
      const i = rowOf.get(name);
      if (i === undefined) {
        out.unresolvable.set(name, UNKNOWN_NODE);
        continue;
      }
      refreshPredicted(ctx.t, i, ctx.now);
      if (firstRefusal(filters, ctx, i, refusal) < 0) {
        out.feasible.push(all[i]!);
        continue;
      }
      const v = refusal.verdict!;
      (v.unresolvable ? out.unresolvable : out.failed).set(name, v.message);
    }
    return out;
  }

  /**
   * The scores that apply to the pod, signed ones first, each group in configuration order: the
   * policy's (group 0: a weighted mean; group 1 when config.kubeScheduler makes them kube-scheduler's
   * plugins), then kube-scheduler's own beside an extender (group 1). See KubeSchedulerScoring.
   */
  activeScores(ctx: PodContext): ActiveScore[] {
    const weights: Readonly<Record<string, number>> = this.config.scoreWeights[ctx.pod.class === 'batch' ? 'batch' : 'online'];
    const out: ActiveScore[] = [];
    if (ctx.pod.class === 'system') return out;
    const kube = this.config.kubeScheduler;
    const extender = kube !== undefined && kube.extenderWeight > 0;
    let cached = 0;
    const add = (ws: Readonly<Record<string, number>>, group: 0 | 1) => {
      for (const [name, weight] of Object.entries(ws)) {
        const plugin = this.scorePlugins[name]!;
        if (!(weight && weight > 0 && plugin.appliesTo(ctx))) continue;
        if (plugin.signature !== undefined) out.splice(cached++, 0, { plugin, weight, group });
        else out.push({ plugin, weight, group });
      }
    };
    add(weights, kube !== undefined && !extender ? 1 : 0);
    if (extender && kube.hostScores) add(kube.hostScores, 1);
    return out;
  }

  /**
   * A node's score from its groups' sums (ActiveScore.group), in place into `mean`: without
   * config.kubeScheduler, group 0's weighted mean as it is; else kube-scheduler's total, group 1's sum
   * plus the extender's wire score (toExtenderScore of group 0's mean) x weight x 10, divided by the
   * weights that applied.
   */
  #combine(active: readonly ActiveScore[], mean: Float64Array, host: Float64Array, n: number): Float64Array {
    const kube = this.config.kubeScheduler;
    if (kube === undefined) return mean;
    const x = kube.extenderWeight > 0 ? kube.extenderWeight : 0;
    let total = x;
    for (const a of active) if (a.group === 1) total += a.weight;
    if (total === 0) return mean.fill(0, 0, n);
    for (let k = 0; k < n; k++) mean[k] = (host[k]! + (x > 0 ? x * 10 * toExtenderScore(mean[k]!) : 0)) / total;
    return mean;
  }

  /**
   * Weighted score 0..100 per node, in the order given. The weighted scores are summed signed
   * plugins first (framework.ts Signature), then the others, each group in configuration order, so
   * that place()'s equivalence cache can keep the first part as one number per node. System pods and
   * pods no plugin scores get 0 everywhere.
   */
  score(ctx: PodContext, nodes: readonly NodeState[]): Float64Array {
    const rows = new Int32Array(nodes.length);
    for (let k = 0; k < nodes.length; k++) {
      rows[k] = nodes[k]!.index;
      refreshPredicted(ctx.t, rows[k]!, ctx.now);
    }
    return this.scoreRows(ctx, rows, rows.length);
  }

  /** score() over the first n table rows given (their predictions already refreshed). */
  scoreRows(ctx: PodContext, rows: Int32Array, n: number): Float64Array {
    const scores = new Float64Array(n);
    const active = this.activeScores(ctx);
    if (active.length === 0) return scores;
    let total = 0;
    for (const a of active) if (a.group === 0) total += a.weight;
    const host = this.config.kubeScheduler === undefined ? scores : new Float64Array(n);
    const view = n === rows.length ? rows : rows.subarray(0, n);
    for (const a of active) addScores(a.plugin, ctx, rows, n, a.plugin.prepare?.(ctx, view), a.group === 0 ? a.weight / total : a.weight, a.group === 0 ? scores : host);
    return this.#combine(active, scores, host, n);
  }

  /**
   * Chooses a node for the pod as kube-scheduler would with this policy as its plugins: filters from a
   * rotating start until enough feasible nodes are found (percentageOfNodesToScore; 0 = adaptive as
   * kube-scheduler), scores them, takes the best; ties break by a hash of pod and node, so that
   * replays are deterministic without piling onto the first node (or at random, EngineOptions.tieBreak).
   */
  place(pod: PodInfo, now: number, percentageOfNodesToScore = 0): PlaceResult {
    const ctx = this.context(pod, now);
    // Which filter refused is all place() reads (rejectedBy): no reasons are built.
    ctx.cycle.quiet = true;
    const all = this.state.nodeList;
    const n = all.length;
    const rejectedBy = new Map<string, number>();
    const result: PlaceResult = { node: null, score: 0, rejectedBy, evaluated: 0 };
    if (n === 0) return result;
    const want = numFeasibleNodesToFind(n, percentageOfNodesToScore);
    const filters = this.activeFilters(ctx);
    const t = ctx.t;
    if (this.#rows.length < n) this.#rows = new Int32Array(n);
    const rows = this.#rows;
    const active = this.activeScores(ctx);
    const entry = this.#shapes === null ? null : this.#shapeEntry(ctx, filters, active);
    const refusal: Refusal = { verdict: null };
    let found = 0;
    let i = 0;
    // The window of nodes examined; with the cache, verdicts come from it where the row is unchanged.
    const stamp = entry?.stamp;
    const verdict = entry?.verdict;
    const version = t.version;
    let prepared: unknown[] | null = null;
    let row = this.#nextStart % n;
    for (; i < n && found < want; i++) {
      let k: number;
      if (entry === null) {
        refreshPredicted(t, row, now);
        k = firstRefusal(filters, ctx, row, refusal);
      } else {
        if (stamp![row] !== version[row]) prepared = this.#evaluate(ctx, entry, row, prepared);
        k = verdict![row]!;
      }
      if (k < 0) rows[found++] = row;
      else rejectedBy.set(filters[k]!.name, (rejectedBy.get(filters[k]!.name) ?? 0) + 1);
      if (++row === n) row = 0;
    }
    this.#nextStart = (this.#nextStart + i) % n;
    result.evaluated = i;
    if (found === 0) return result;
    const scores = found === 1 ? new Float64Array(1) : entry === null ? this.scoreRows(ctx, rows, found) : this.#scoreCached(ctx, entry, rows, found);
    if (this.#tieRandom !== null) {
      const best = selectHostRandom(scores, found, this.#tieRandom);
      result.node = all[rows[best]!]!;
      result.score = scores[best]!;
      return result;
    }
    // Highest score; among equal scores the highest hash of pod and node (computed only for ties).
    const seed = fnv1a(pod.uid);
    const nameHash = t.nameHash;
    let best = 0;
    let bestScore = scores[0]!;
    let bestTie = -1;
    for (let k = 1; k < found; k++) {
      const sc = scores[k]!;
      if (sc < bestScore) continue;
      if (sc > bestScore) {
        best = k;
        bestScore = sc;
        bestTie = -1;
        continue;
      }
      if (bestTie < 0) bestTie = tieHash(seed, nameHash[rows[best]!]!);
      const tie = tieHash(seed, nameHash[rows[k]!]!);
      if (tie > bestTie) {
        best = k;
        bestTie = tie;
      }
    }
    result.node = all[rows[best]!]!;
    result.score = scores[best]!;
    return result;
  }

  /**
   * The pod's shape entry in the equivalence cache, or null when an active filter is not signed. The
   * key is the pod's class and the signatures of the active filters and signed scores, in order
   * (framework.ts Signature): everything they read of the pod and the time.
   */
  #shapeEntry(ctx: PodContext, filters: readonly FilterPlugin[], active: readonly ActiveScore[]): ShapeEntry | null {
    let key = this.filterSignature(ctx, filters);
    if (key === null) return null;
    key += '#';
    for (const a of active) if (a.plugin.signature !== undefined) key += `#${a.plugin.signature(ctx)}`;
    const cc = ctx.curves;
    const e = this.#shapes!.get(key, filters, active);
    e.validate(ctx.t.size, ctx.t.layout, cc === null ? -1 : this.state.curves.version, cc === null ? -1 : cc.table.epoch, ctx.now);
    return e;
  }

  /**
   * What the filters' verdicts on a node depend on beyond the node itself: the pod's class and the
   * active filters' signatures (framework.ts Signature), or null when one is unsigned. Two pods with
   * the same filter signature at the same instant get the same verdict on every node: place()'s cache
   * and the simulator's queueing hints both judge pods by it.
   */
  filterSignature(ctx: PodContext, filters: readonly FilterPlugin[] = this.activeFilters(ctx)): string | null {
    let key: string = ctx.pod.class;
    for (const f of filters) {
      if (f.signature === undefined) return null;
      key += `#${f.signature(ctx)}`;
    }
    return key;
  }

  /** Filters (and, when it passes, scores) row i for the entry's shape: what place() does without the cache. */
  #evaluate(ctx: PodContext, e: ShapeEntry, i: number, prepared: unknown[] | null): unknown[] | null {
    const t = ctx.t;
    refreshPredicted(t, i, ctx.now);
    const fu = t.freshUntil[i]!;
    if (ctx.now <= fu) {
      if (fu < e.freshHi) e.freshHi = fu;
    } else if (fu > e.freshLo) e.freshLo = fu;
    const k = firstRefusal(e.filters, ctx, i, null);
    e.stamp[i] = t.version[i]!;
    e.verdict[i] = k;
    if (k >= 0) return prepared;
    const scores = e.scores;
    const nc = e.cached;
    if (prepared === null && nc > 0) {
      // prepare() of a signed score does not depend on the rows (framework.ts Signature).
      prepared = new Array<unknown>(nc);
      for (let a = 0; a < nc; a++) prepared[a] = scores[a]!.plugin.prepare?.(ctx, NO_ROWS);
    }
    let sum = 0;
    let sumHost = 0;
    for (let a = 0; a < nc; a++) {
      const v = e.w[a]! * clampScore(scores[a]!.plugin.score(ctx, i, prepared![a]));
      if (e.group[a] === 0) sum += v;
      else sumHost += v;
    }
    e.sum[i] = sum;
    e.sumHost[i] = sumHost;
    return prepared;
  }

  /** scoreRows() with the signed scores' sum read from the entry and the others computed live, in the same order. */
  #scoreCached(ctx: PodContext, e: ShapeEntry, rows: Int32Array, n: number): Float64Array {
    // The decision's scores live only until place() has taken the best: one buffer serves every decision.
    if (this.#scores.length < n) {
      this.#scores = new Float64Array(Math.max(n, 2 * this.#scores.length));
      this.#hostScores = new Float64Array(this.#scores.length);
    }
    const scores = this.#scores;
    scores.fill(0, 0, n);
    const active = e.scores;
    if (active.length === 0) return scores;
    const sum = e.sum;
    for (let k = 0; k < n; k++) scores[k] = sum[rows[k]!]!;
    const kube = this.config.kubeScheduler !== undefined;
    const host = kube ? this.#hostScores : scores;
    if (kube) {
      const sumHost = e.sumHost;
      for (let k = 0; k < n; k++) host[k] = sumHost[rows[k]!]!;
    }
    if (e.cached === active.length) return this.#combine(active, scores, host, n);
    // Live scores see current predictions, as without the cache (cache hits skip the refresh).
    for (let a = e.cached; a < active.length; a++) {
      if (active[a]!.plugin.readsPrediction === false) continue;
      for (let k = 0; k < n; k++) refreshPredicted(ctx.t, rows[k]!, ctx.now);
      break;
    }
    const view = n === rows.length ? rows : rows.subarray(0, n);
    for (let a = e.cached; a < active.length; a++) {
      const plugin = active[a]!.plugin;
      addScores(plugin, ctx, rows, n, plugin.prepare?.(ctx, view), e.w[a]!, e.group[a] === 0 ? scores : host);
    }
    return this.#combine(active, scores, host, n);
  }

  /**
   * An upper bound on what one pod of a class could ask for and pass the filters on some node now,
   * from what the filters admit at most (FilterPlugin.bound): per row, the least of the class's
   * bounding filters' bounds, then the largest over the rows, CPU and memory each maximised
   * separately, so that a pod asking more of either is refused on every row. -Infinity: every row
   * refuses every pod of the class; Infinity: no filter bounds it. It never rules out a pod that
   * would fit. `rows`: over those table rows only (default: every node).
   */
  freeBound(cls: WorkloadClass, now: number, rows: readonly number[] | null = null): Resources {
    const t = this.state.table;
    const q: BoundQuery = { cls, now, config: this.config, t, nodes: this.state.nodeList, level: this.timeline.at(now) };
    const bounds: RowBound[] = [];
    for (const f of this.filters) {
      const b = f.bound?.(q);
      if (b) bounds.push(b);
    }
    if (bounds.length === 0) return { cpu: Infinity, memory: Infinity };
    const out = { cpu: -Infinity, memory: -Infinity };
    const row = { cpu: 0, memory: 0 };
    const n = rows === null ? t.size : rows.length;
    for (let k = 0; k < n; k++) {
      const i = rows === null ? k : rows[k]!;
      refreshPredicted(t, i, now);
      let cpu = Infinity;
      let memory = Infinity;
      for (let f = 0; f < bounds.length && (cpu > -Infinity || memory > -Infinity); f++) {
        bounds[f]!(i, row);
        // A NaN bounds nothing (a filter comparing requests > NaN admits them).
        if (row.cpu < cpu) cpu = row.cpu;
        if (row.memory < memory) memory = row.memory;
      }
      if (cpu > out.cpu) out.cpu = cpu;
      if (memory > out.memory) out.memory = memory;
    }
    return out;
  }

  #worstOver(a: number, b: number): Level {
    const from = Math.floor(a / SPAN_QUANTUM) * SPAN_QUANTUM;
    const to = Math.ceil(b / SPAN_QUANTUM) * SPAN_QUANTUM;
    const key = `${from}:${to}`;
    let l = this.#spanCache.get(key);
    if (!l) {
      l = this.timeline.over(from, to);
      this.#spanCache.set(key, l);
    }
    return l;
  }
}

const NO_ROWS = new Int32Array(0);

interface Refusal {
  verdict: FilterVerdict | null;
}

/**
 * Runs the filters on row i in order until one refuses: its index (its verdict into `out`), or -1
 * when the row passes them all. The one filter loop of every entry point.
 */
function firstRefusal(filters: readonly FilterPlugin[], ctx: PodContext, i: number, out: Refusal | null): number {
  for (let k = 0; k < filters.length; k++) {
    const v = filters[k]!.filter(ctx, i);
    if (v !== null) {
      if (out !== null) out.verdict = v;
      return k;
    }
  }
  return -1;
}

/** out[k] += w x clamp(score of rows[k]) for k < n: the one weighted sum of every entry point. */
function addScores(plugin: ScorePlugin<unknown>, ctx: PodContext, rows: Int32Array, n: number, prepared: unknown, w: number, out: Float64Array): void {
  if (plugin.scoreInto) {
    plugin.scoreInto(ctx, rows, n, prepared, w, out);
    return;
  }
  for (let k = 0; k < n; k++) out[k]! += w * clampScore(plugin.score(ctx, rows[k]!, prepared));
}

/** Per-engine storage shared by its plugins, and stable ids for objects in signatures. */
class EngineHandle implements PluginHandle {
  readonly #shared = new Map<StateKey<unknown>, unknown>();
  readonly #ids = new WeakMap<object, number>();
  #nextId = 1;

  shared<T>(key: StateKey<T>, make: () => T): T {
    let v = this.#shared.get(key) as T | undefined;
    if (v === undefined) {
      v = make();
      this.#shared.set(key, v);
    }
    return v;
  }

  idOf(object: object | undefined): number {
    if (object === undefined) return 0;
    let id = this.#ids.get(object);
    if (id === undefined) this.#ids.set(object, (id = this.#nextId++));
    return id;
  }
}

/** kube-scheduler's numFeasibleNodesToFind (minFeasibleNodesToFind 100, adaptive 50% - n/125, floor 5%). */
export function numFeasibleNodesToFind(numAllNodes: number, percentage: number): number {
  const MIN = 100;
  if (numAllNodes < MIN || percentage >= 100) return numAllNodes;
  let pct = percentage;
  if (pct <= 0) pct = Math.max(5, 50 - numAllNodes / 125);
  const num = Math.floor((numAllNodes * pct) / 100);
  return num < MIN ? MIN : num;
}

/**
 * kube-scheduler's selectHost: the index of a top score, each of the tied ones with equal chance
 * (reservoir sampling: the k-th tie replaces the choice with probability 1/k).
 */
function selectHostRandom(scores: Float64Array, n: number, next: () => number): number {
  let best = 0;
  let bestScore = scores[0]!;
  let tied = 1;
  for (let k = 1; k < n; k++) {
    const sc = scores[k]!;
    if (sc < bestScore) continue;
    if (sc > bestScore) {
      best = k;
      bestScore = sc;
      tied = 1;
      continue;
    }
    tied++;
    if (next() % tied === 0) best = k;
  }
  return best;
}

/** A seeded stream of 32-bit integers (splitmix32), owned by one engine. */
function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * The tie-breaker of pod and node: FNV-1a of the pod's uid mixed with that of the node's name
 * (NodeTable.nameHash) through murmur3's finaliser. Stable across replays and well spread, so that
 * equal nodes do not all go to the first one; 0..2^32-1.
 */
function tieHash(seed: number, nameHash: number): number {
  let h = seed ^ nameHash;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
