// Plugin shapes modelled on kube-scheduler's framework: per pod, a context is prepared once
// (PreFilter), filters say pass or why not, scores say 0..100 per node and may normalise across the
// feasible nodes (NormalizeScore). Each plugin is a small object in plugins/, named for what it decides.
// Plugins address a node by its row i in the node table (ctx.t), where the figures they read sit
// column-wise; ctx.nodes[i] is the NodeState for what is not a number (app counts, zone). The engine
// refreshes row i's predicted online usage (t.predCpu[i], t.predMem[i]) before any plugin sees it.

import type { PolicyConfig } from './config.ts';
import type { NodeCurves } from './curves-table.ts';
import type { PodSpec, Resources } from './model.ts';
import type { Level } from './profile.ts';
import type { NodeTable } from './node-table.ts';
import type { ClusterState, NodeState } from './state.ts';
import type { EffectiveLevel } from './timeline.ts';

export const MAX_SCORE = 100;

/**
 * What a plugin's verdict or score for row i depends on, for the engine's equivalence cache
 * (equivalence.ts), which reuses it for later pods of the same shape while row i is unchanged:
 *   'shape'  row i's figures (node table, its row of the combined curves, predicted usage, fresh or
 *            not) and the pod's shape: class, requests and estimate, the level now and over its span
 *            (numbers and model), whether it must hold its span and how many curve slots the span
 *            covers, the coming day's slot levels, and its app's curve when the app has one.
 *   'app'    the same, and the pod's app name.
 * A plugin without it is never cached: a filter without it turns the cache off for the pod, a
 * score without it (one that normalises over the feasible rows, as ZoneSpread) is computed live.
 * A cached score's prepare() must not depend on the rows it is given.
 */
export type Equivalence = 'shape' | 'app';

export interface PodContext {
  readonly pod: PodSpec;
  readonly now: number;
  readonly config: PolicyConfig;
  readonly state: ClusterState;
  /** state.table: per-node figures, row i for node i. */
  readonly t: NodeTable;
  /** state.nodeList: nodes[i] owns row i. */
  readonly nodes: readonly NodeState[];
  /** The effective profile level now. */
  readonly level: EffectiveLevel;
  /** The worst level over the pod's declared runtime [now, now + runtime]; `level` when it has none. */
  readonly spanLevel: Level;
  /** End of that span (ms), equal to now when the pod declares no runtime. */
  readonly spanEnd: number;
  /** Batch capacity must hold over the whole span (a non-checkpointable pod with a declared runtime). */
  readonly mustHoldSpan: boolean;
  /** Usage this pod is expected to add to a node. */
  readonly estimate: Resources;
  /**
   * Per-decision memo. Filter reasons are built once per decision and reused for every node they
   * apply to: kube-scheduler groups identical reasons in its FailedScheduling event ("3000 ... ,
   * 2000 ..."), so a reason must not carry per-node figures, and building one string per node would
   * dominate the cost of a decision over thousands of nodes.
   */
  readonly memo: Map<string, string>;
  /** Scratch space reused per node so that the hot loop does not allocate. */
  readonly scratch: Resources;
  readonly scratch2: Resources;
  /** The nodes' combined online curves and the coming day's levels, when complementary-peak placement is on. */
  readonly curves: CurveContext | null;
}

/** The profile over the coming 24 hours, slot by slot (15 minutes), indexed by slot of day. */
export interface SlotLevels {
  /** Week slot that contains now (the horizon's first slot). */
  readonly epoch: number;
  /** Slot of day that contains now. */
  readonly slot0: number;
  /** Start of now's slot (ms). */
  readonly start: number;
  /** The worst level in force at any instant of each slot (slot of day d = the next occurrence of that time). */
  readonly headroom: Float64Array;
  readonly share: Float64Array;
}

export interface CurveContext {
  /** Synced to the decision's time. */
  readonly table: NodeCurves;
  readonly levels: SlotLevels;
}

export interface FilterPlugin {
  readonly name: string;
  /**
   * True when evicting lower-priority pods could not make the node pass (kube-scheduler's
   * UnschedulableAndUnresolvable): the extender reports such nodes as FailedAndUnresolvableNodes.
   */
  readonly unresolvable: boolean;
  /** See Equivalence. */
  readonly equivalence?: Equivalence;
  /** Whether this plugin has anything to say about the pod (checked once per decision). */
  appliesTo(ctx: PodContext): boolean;
  /**
   * null when the node passes; otherwise the reason, phrased for a FailedScheduling event, the same
   * string for every node that fails for the same cause (memoReason).
   */
  filter(ctx: PodContext, i: number): string | null;
}

export interface ScorePlugin<P = unknown> {
  readonly name: string;
  /** See Equivalence. */
  readonly equivalence?: Equivalence;
  /** false: never reads the predicted usage (t.predCpu, t.predMem), so the engine need not refresh it first. */
  readonly readsPrediction?: boolean;
  appliesTo(ctx: PodContext): boolean;
  /** Per-decision preparation over the feasible nodes' rows (PreScore); its result is passed to score. */
  prepare?(ctx: PodContext, rows: ArrayLike<number>): P;
  /** 0..MAX_SCORE, higher is better. */
  score(ctx: PodContext, i: number, prepared: P): number;
  /**
   * Optional bulk form: out[k] += w x clamp(score(ctx, rows[k], prepared)) for k < n, with exactly the
   * values score() would give (the engine uses it where it scores many rows at once).
   */
  scoreInto?(ctx: PodContext, rows: Int32Array, n: number, prepared: P, w: number, out: Float64Array): void;
}

/** A reason built once per decision (see PodContext.memo). */
export function memoReason(ctx: PodContext, key: string, build: () => string): string {
  let r = ctx.memo.get(key);
  if (r === undefined) {
    r = build();
    ctx.memo.set(key, r);
  }
  return r;
}

export function clampScore(s: number): number {
  if (!(s > 0)) return 0;
  return s > MAX_SCORE ? MAX_SCORE : s;
}

/** Weighted mean of a per-resource fraction in [0, 1] (CPU and memory), as a 0..100 score. */
export function weightedScore(cpuFraction: number, memFraction: number, w: Resources): number {
  const total = w.cpu + w.memory;
  if (total <= 0) return 0;
  return clampScore((MAX_SCORE * (cpuFraction * w.cpu + memFraction * w.memory)) / total);
}
