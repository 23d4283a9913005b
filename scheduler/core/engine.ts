// The policy engine: one pod, a set of nodes, a time -> which nodes pass, how each scores, where the
// pod goes. The extender calls filter/score on the nodes kube-scheduler sends; the simulator calls
// place(), which scans nodes the way kube-scheduler does (rotating start, stop after enough feasible).

import { LRUCache } from 'lru-cache';
import { SLOT_MS, SLOTS_PER_DAY } from './app-curves.ts';
import { batchFreeAt, refreshPredicted, usageEstimate } from './capacity.ts';
import type { PolicyConfig } from './config.ts';
import { MAX_SCORE, type CurveContext, type FilterPlugin, type PodContext, type ScorePlugin, type SlotLevels } from './framework.ts';
import type { PodSpec, Resources, WorkloadClass } from './model.ts';
import type { Level, Profile } from './profile.ts';
import type { ClusterState, NodeState } from './state.ts';
import { ProfileTimeline } from './timeline.ts';
import { AppStackingLimit } from './plugins/app-stacking.ts';
import { AvoidBatchEviction } from './plugins/avoid-batch-eviction.ts';
import { BatchCapacityFit } from './plugins/batch-capacity.ts';
import { BatchRoom } from './plugins/batch-room.ts';
import { CombinedPeakFit, ComplementaryPeak } from './plugins/complementary-peak.ts';
import { LeastAllocated } from './plugins/least-allocated.ts';
import { LoadAware } from './plugins/load-aware.ts';
import { NodeUnschedulable } from './plugins/node-unschedulable.ts';
import { OnlineLoadThreshold } from './plugins/online-load.ts';
import { PodCountFit } from './plugins/pod-count.ts';
import { RequestsFit } from './plugins/requests-fit.ts';
import { WindowSurvival } from './plugins/window-survival.ts';
import { ZoneSpread } from './plugins/zone-spread.ts';

/** Filters in the order they run: cheap and decisive first. */
export const FILTERS: readonly FilterPlugin[] = [
  NodeUnschedulable,
  PodCountFit,
  RequestsFit,
  AppStackingLimit,
  OnlineLoadThreshold,
  CombinedPeakFit,
  BatchCapacityFit,
];

export const SCORES: Readonly<Record<string, ScorePlugin<any>>> = {
  LoadAware,
  ZoneSpread,
  AvoidBatchEviction,
  LeastAllocated,
  BatchRoom,
  WindowSurvival,
  ComplementaryPeak,
};

export const UNKNOWN_NODE = 'tidal: node is unknown to Tidal (not in its informer cache yet)';

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
  /** Per input node: null when it passes, else the reason. */
  reasons: Array<string | null>;
  /** Per input node: 1 when no eviction could make it pass. */
  unresolvable: Uint8Array;
  passed: number;
}

export interface PlaceResult {
  node: NodeState | null;
  score: number;
  /** How many nodes each filter rejected (for "0/N nodes are available" messages and reports). */
  rejectedBy: Map<string, number>;
  evaluated: number;
}

interface ActiveScore {
  plugin: ScorePlugin<unknown>;
  weight: number;
}

export interface EngineOptions {
  config: PolicyConfig;
  state: ClusterState;
  profile: Profile | ProfileTimeline;
  /** Extra plugins (for example the complementary-peak plugin) added after the built-in ones. */
  filters?: readonly FilterPlugin[];
  scores?: Readonly<Record<string, ScorePlugin<any>>>;
}

export class PolicyEngine {
  readonly config: PolicyConfig;
  readonly state: ClusterState;
  readonly timeline: ProfileTimeline;
  readonly filters: readonly FilterPlugin[];
  readonly scorePlugins: Readonly<Record<string, ScorePlugin<any>>>;
  readonly #spanCache = new LRUCache<string, Level>({ max: 4096 });
  #nextStart = 0;
  /** Reused buffer of feasible rows for place(). */
  #rows = new Int32Array(0);
  /** The coming day's levels slot by slot, for the slot that contains the last decision's time. */
  #levels: SlotLevels | null = null;

  constructor(opts: EngineOptions) {
    this.config = opts.config;
    this.state = opts.state;
    this.timeline = opts.profile instanceof ProfileTimeline ? opts.profile : new ProfileTimeline(opts.profile);
    this.filters = [...FILTERS, ...(opts.filters ?? [])];
    this.scorePlugins = { ...SCORES, ...opts.scores };
    for (const cls of ['online', 'batch'] as const) {
      for (const name of Object.keys(this.config.scoreWeights[cls])) {
        if (!this.scorePlugins[name]) throw new Error(`policy ${this.config.name}: unknown ${cls} score plugin "${name}"`);
      }
    }
  }

  /** PreFilter: everything about the pod that does not depend on the node, computed once. */
  context(pod: PodSpec, now: number): PodContext {
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
      level,
      spanLevel,
      spanEnd,
      mustHoldSpan: spanEnd > now && !pod.checkpointable,
      estimate: usageEstimate(pod.requests, this.config.emptyRequestEstimate, { cpu: 0, memory: 0 }),
      memo: new Map(),
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
   * The filters' verdict for each named node, aligned with `names`: reasons[k] is null when node k
   * passes, else its reason ("tidal/Plugin: reason", one string object per distinct reason), and
   * unresolvable[k] says whether evicting pods could not help. The webhook's fast path: no maps.
   */
  verdicts(ctx: PodContext, names: readonly string[]): Verdicts {
    const filters = this.activeFilters(ctx);
    const nf = filters.length;
    const n = names.length;
    const out: Verdicts = { reasons: new Array<string | null>(n), unresolvable: new Uint8Array(n), passed: 0 };
    const rowOf = this.state.rows;
    const t = ctx.t;
    const now = ctx.now;
    const full = new Map<string, string>();
    for (let k = 0; k < n; k++) {
      const i = rowOf.get(names[k]!);
      if (i === undefined) {
        out.reasons[k] = UNKNOWN_NODE;
        out.unresolvable[k] = 1;
        continue;
      }
      refreshPredicted(t, i, now);
      let f = 0;
      let reason: string | null = null;
      for (; f < nf; f++) {
        reason = filters[f]!.filter(ctx, i);
        if (reason !== null) break;
      }
      if (reason === null) {
        out.reasons[k] = null;
        out.passed++;
        continue;
      }
      const plugin = filters[f]!;
      let text = full.get(reason);
      if (text === undefined) {
        text = `tidal/${plugin.name}: ${reason}`;
        full.set(reason, text);
      }
      out.reasons[k] = text;
      if (plugin.unresolvable) out.unresolvable[k] = 1;
    }
    return out;
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
    const nf = filters.length;
    const out: FilterOutcome = { feasible: [], failed: new Map(), unresolvable: new Map() };
    const rowOf = this.state.rows;
    const all = this.state.nodeList;
    const t = ctx.t;
    const now = ctx.now;
    // Full reasons ("tidal/Plugin: reason") are built once per distinct reason, not once per node.
    const full = new Map<string, string>();
    for (const name of names ?? rowOf.keys()) {
      const i = rowOf.get(name);
      if (i === undefined) {
        out.unresolvable.set(name, UNKNOWN_NODE);
        continue;
      }
      refreshPredicted(t, i, now);
      let k = 0;
      let reason: string | null = null;
      for (; k < nf; k++) {
        reason = filters[k]!.filter(ctx, i);
        if (reason !== null) break;
      }
      if (reason === null) {
        out.feasible.push(all[i]!);
        continue;
      }
      const plugin = filters[k]!;
      let text = full.get(reason);
      if (text === undefined) {
        text = `tidal/${plugin.name}: ${reason}`;
        full.set(reason, text);
      }
      (plugin.unresolvable ? out.unresolvable : out.failed).set(name, text);
    }
    return out;
  }

  activeScores(ctx: PodContext): ActiveScore[] {
    const weights: Partial<Record<string, number>> = this.config.scoreWeights[ctx.pod.class === 'batch' ? 'batch' : 'online'];
    const out: ActiveScore[] = [];
    if (ctx.pod.class === 'system') return out;
    for (const [name, weight] of Object.entries(weights)) {
      const plugin = this.scorePlugins[name]!;
      if (weight && weight > 0 && plugin.appliesTo(ctx)) out.push({ plugin, weight });
    }
    return out;
  }

  /** Weighted score 0..100 per node, in the order given. System pods and pods no plugin scores get 0 everywhere. */
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
    let total = 0;
    for (const a of active) total += a.weight;
    if (total === 0) return scores;
    const view = n === rows.length ? rows : rows.subarray(0, n);
    for (const a of active) {
      const plugin = a.plugin;
      const prepared = plugin.prepare?.(ctx, view);
      const w = a.weight / total;
      for (let k = 0; k < n; k++) {
        const s = plugin.score(ctx, rows[k]!, prepared);
        scores[k]! += w * (s > MAX_SCORE ? MAX_SCORE : s > 0 ? s : 0);
      }
    }
    return scores;
  }

  /**
   * Chooses a node for the pod as kube-scheduler would with this policy as its plugins: filters from a
   * rotating start until enough feasible nodes are found (percentageOfNodesToScore; 0 = adaptive as
   * kube-scheduler), scores them, takes the best; ties break by a hash of pod and node, so that
   * replays are deterministic without piling onto the first node.
   */
  place(pod: PodSpec, now: number, percentageOfNodesToScore = 0): PlaceResult {
    const ctx = this.context(pod, now);
    const all = this.state.nodeList;
    const n = all.length;
    const rejectedBy = new Map<string, number>();
    const result: PlaceResult = { node: null, score: 0, rejectedBy, evaluated: 0 };
    if (n === 0) return result;
    const want = numFeasibleNodesToFind(n, percentageOfNodesToScore);
    const filters = this.activeFilters(ctx);
    const nf = filters.length;
    const t = ctx.t;
    if (this.#rows.length < n) this.#rows = new Int32Array(n);
    const rows = this.#rows;
    let found = 0;
    let i = 0;
    for (; i < n && found < want; i++) {
      const row = (this.#nextStart + i) % n;
      refreshPredicted(t, row, now);
      let k = 0;
      for (; k < nf; k++) if (filters[k]!.filter(ctx, row) !== null) break;
      if (k === nf) rows[found++] = row;
      else rejectedBy.set(filters[k]!.name, (rejectedBy.get(filters[k]!.name) ?? 0) + 1);
    }
    this.#nextStart = (this.#nextStart + i) % n;
    result.evaluated = i;
    if (found === 0) return result;
    const scores = found === 1 ? new Float64Array(1) : this.scoreRows(ctx, rows, found);
    let best = 0;
    let bestTie = tieBreak(pod.uid, all[rows[0]!]!.name);
    for (let k = 1; k < found; k++) {
      if (scores[k]! < scores[best]!) continue;
      const tie = tieBreak(pod.uid, all[rows[k]!]!.name);
      if (scores[k]! > scores[best]! || tie > bestTie) {
        best = k;
        bestTie = tie;
      }
    }
    result.node = all[rows[best]!]!;
    result.score = scores[best]!;
    return result;
  }

  /**
   * An upper bound on what one pod of a class could get on any node now: the largest free CPU and the
   * largest free memory over all schedulable nodes with a free pod slot (each maximised separately, so
   * a pod asking for more of either fits nowhere). Callers with many pending pods use it to skip
   * placement attempts that cannot succeed; it never rules out a pod that would fit.
   */
  freeBound(cls: WorkloadClass, now: number): Resources {
    const out = { cpu: 0, memory: 0 };
    const level = this.timeline.at(now);
    const scratch = { cpu: 0, memory: 0 };
    const t = this.state.table;
    const batchOwn = cls === 'batch' && this.config.colocation;
    const batchCounts = this.config.colocation ? 0 : 1;
    for (let i = 0; i < t.size; i++) {
      if (t.unschedulable[i] || t.pods[i]! >= t.maxPods[i]!) continue;
      let cpu: number;
      let memory: number;
      if (batchOwn) {
        refreshPredicted(t, i, now);
        const free = batchFreeAt(t, i, level, scratch);
        cpu = free.cpu;
        memory = free.memory;
      } else {
        cpu = t.allocCpu[i]! - t.nonBatchCpu[i]! - batchCounts * t.batchCpu[i]!;
        memory = t.allocMem[i]! - t.nonBatchMem[i]! - batchCounts * t.batchMem[i]!;
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

/** kube-scheduler's numFeasibleNodesToFind (minFeasibleNodesToFind 100, adaptive 50% - n/125, floor 5%). */
export function numFeasibleNodesToFind(numAllNodes: number, percentage: number): number {
  const MIN = 100;
  if (numAllNodes < MIN || percentage >= 100) return numAllNodes;
  let pct = percentage;
  if (pct <= 0) pct = Math.max(5, 50 - numAllNodes / 125);
  const num = Math.floor((numAllNodes * pct) / 100);
  return num < MIN ? MIN : num;
}

/** FNV-1a over pod uid and node name: a stable, well-spread tie breaker. */
function tieBreak(a: string, b: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < a.length; i++) h = Math.imul(h ^ a.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0x2f, 0x01000193);
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
