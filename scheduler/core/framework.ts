// Plugin shapes modelled on kube-scheduler's framework: per pod, a context is prepared once
// (PreFilter), filters say pass or why not, scores say 0..100 per node and may normalise across the
// feasible nodes (NormalizeScore). Each plugin is one file in plugins/ that exports a definition (its
// name, args with defaults and a validator, a factory); registry.ts lists them, and an engine builds
// its own plugin instances from them, so that whatever a plugin keeps between decisions (scratch
// arrays, caches) belongs to one engine: no core module holds mutable state.
// Plugins address a node by its row i in the node table (ctx.t), where the figures they read sit
// column-wise; ctx.nodes[i] is the NodeState for what is not a number (app counts, zone). The engine
// refreshes row i's predicted online usage (t.predCpu[i], t.predMem[i]) before any plugin sees it.

import type { PolicyConfig } from './config.ts';
import type { NodeCurves } from './node-curves.ts';
import type { PodInfo, Resources, WorkloadClass } from './model.ts';
import type { Level, Profile } from './profile.ts';
import type { NodeTable } from './node-table.ts';
import type { ClusterState, NodeState } from './state.ts';
import type { EffectiveLevel } from './timeline.ts';

export const MAX_SCORE = 100;

/**
 * Signatures (kube-scheduler's SignPlugin): place() keeps each filter's verdict and each row-local
 * score's value per row for later pods with the same signature, while the row is unchanged
 * (equivalence.ts). A plugin's signature(ctx) returns, as a string, everything the plugin reads of the
 * pod and of the time beyond row i's own figures (node table, its row of the combined curves,
 * predicted usage, fresh or not, all covered by the row's version): for example the pod's requests,
 * the level in force, its app. The engine joins the signatures of the active plugins with the pod's
 * class into the cache key. A plugin without signature() is never cached: a filter without it turns
 * the cache off for the pod, a score without it (one that normalises over the feasible rows, as
 * ZoneSpread) is computed live. A signed score's prepare() must not depend on the rows it is given.
 */
export type Signature = (ctx: PodContext) => string;

export interface PodContext {
  readonly pod: PodInfo;
  readonly now: number;
  readonly config: PolicyConfig;
  readonly state: ClusterState;
  /** state.table: per-node figures, row i for node i. */
  readonly t: NodeTable;
  /** state.nodeList: nodes[i] owns row i. */
  readonly nodes: readonly NodeState[];
  /** The profile the engine follows (its windows' online demand events: forecast/events.ts). */
  readonly profile: Profile;
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
   * Per-decision, plugin-keyed state (kube-scheduler's CycleState): what a plugin prepares once per
   * decision and reads per node (a pod's curve), and the decision's filter verdicts. Verdicts are
   * built once per decision and reused for every node they apply to: kube-scheduler groups identical
   * reasons in its FailedScheduling event ("3000 ... , 2000 ..."), so a reason must not carry
   * per-node figures, and building one string per node would dominate the cost of a decision over
   * thousands of nodes.
   */
  readonly cycle: CycleState;
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

/** Why a filter refused a node. One object per distinct reason and decision (failWith). */
export interface FilterVerdict {
  /** The refusing plugin's name. */
  readonly plugin: string;
  /** Phrased for a FailedScheduling event; the same for every node that fails for the same cause. */
  readonly reason: string;
  /**
   * True when evicting lower-priority pods could not make the node pass (kube-scheduler's
   * UnschedulableAndUnresolvable): the extender reports such nodes as FailedAndUnresolvableNodes, and
   * preemption does not consider them.
   */
  readonly unresolvable: boolean;
  /** "tidal/<plugin>: <reason>", as the extender reports it. */
  readonly message: string;
}

export interface FilterPlugin {
  readonly name: string;
  /** See Signature. */
  readonly signature?: Signature;
  /** Whether this plugin has anything to say about the pod (checked once per decision). */
  appliesTo(ctx: PodContext): boolean;
  /** null when the node passes, else why not (failWith, or a constant verdict made by verdict()). */
  filter(ctx: PodContext, i: number): FilterVerdict | null;
  /**
   * What the filter admits at most, for PolicyEngine.freeBound: the row bound of every pod of q.cls at
   * q.now, or null (or no method) when it has none for the class. Only a filter whose appliesTo holds
   * for every pod of the class, and that refuses on a row every pod of the class asking more than the
   * row's bound there (whatever else the pod is: app, runtime, priority), may give one.
   */
  bound?(q: BoundQuery): RowBound | null;
}

/** What a filter's bound reads: the class and the instant, and the cluster's table. */
export interface BoundQuery {
  readonly cls: WorkloadClass;
  readonly now: number;
  readonly config: PolicyConfig;
  readonly t: NodeTable;
  readonly nodes: readonly NodeState[];
  /** The effective profile level at now (PodContext.level). */
  readonly level: EffectiveLevel;
}

/**
 * Row i's bound (the engine refreshes its prediction first): into out, the most CPU and the most
 * memory a pod may request and still pass there; a pod asking more of either is refused. -Infinity
 * (both): the row refuses every pod of the class; Infinity: no bound on that resource. It may be
 * above what the filter admits (conservative), never below.
 */
export type RowBound = (i: number, out: Resources) => void;

/** A row bound for a filter that admits a pod while its requests fit what `free` says is left on the row. */
export function freeRows(free: (i: number) => Readonly<Resources>): RowBound {
  return (i, out) => {
    const f = free(i);
    out.cpu = f.cpu;
    out.memory = f.memory;
  };
}

/** A row bound for a filter that refuses a row outright or not at all (where `refuses` says). */
export function refusingRows(refuses: (i: number) => boolean): RowBound {
  return (i, out) => {
    const b = refuses(i) ? -Infinity : Infinity;
    out.cpu = b;
    out.memory = b;
  };
}

export interface ScorePlugin<P = unknown> {
  readonly name: string;
  /** See Signature. */
  readonly signature?: Signature;
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

/** A key into a CycleState or an engine's shared plugin state; identity is what matters. */
export interface StateKey<T> {
  readonly name: string;
  /** Never set: carries T for the type checker. */
  readonly __type?: T;
}

export function stateKey<T>(name: string): StateKey<T> {
  return { name };
}

/** Per-decision, plugin-keyed state (kube-scheduler's CycleState); lives as long as its PodContext. */
export class CycleState {
  // Made on first use: most decisions store nothing, and the extender makes one per verb call.
  #values: Map<StateKey<unknown>, unknown> | null = null;
  /** plugin -> cause -> verdict (two lookups of the plugins' constant strings, no key built per node). */
  #verdicts: Map<string, Map<string, FilterVerdict>> | null = null;
  /**
   * The decision reads which filter refused a node, never the verdict's text (PolicyEngine.place,
   * the queueing hints' refusals): failWith returns a placeholder without building the reason.
   */
  quiet = false;

  read<T>(key: StateKey<T>): T | undefined {
    return this.#values?.get(key) as T | undefined;
  }

  write<T>(key: StateKey<T>, value: T): void {
    (this.#values ??= new Map()).set(key, value);
  }

  /** The decision's verdict of a plugin for a cause, built on first use (failWith). */
  verdict(plugin: string, cause: string, unresolvable: boolean, reason: () => string): FilterVerdict {
    if (this.quiet) return unresolvable ? QUIET_UNRESOLVABLE : QUIET;
    const byPlugin = (this.#verdicts ??= new Map());
    let causes = byPlugin.get(plugin);
    if (causes === undefined) byPlugin.set(plugin, (causes = new Map()));
    let v = causes.get(cause);
    if (v === undefined) {
      v = verdict(plugin, reason(), unresolvable);
      causes.set(cause, v);
    }
    return v;
  }
}

/** What failWith returns to a quiet decision (CycleState.quiet): nobody reads it but as "refused". */
const QUIET: FilterVerdict = Object.freeze({ plugin: 'tidal', reason: 'refused', unresolvable: false, message: 'tidal: refused' });
const QUIET_UNRESOLVABLE: FilterVerdict = Object.freeze({ plugin: 'tidal', reason: 'refused', unresolvable: true, message: 'tidal: refused' });

/** A verdict object (for reasons that never change, built once by the plugin's factory). */
export function verdict(plugin: string, reason: string, unresolvable: boolean): FilterVerdict {
  return { plugin, reason, unresolvable, message: `tidal/${plugin}: ${reason}` };
}

/**
 * The decision's verdict of a plugin for a cause, built once per decision (see PodContext.cycle):
 * `key` names the cause within the plugin ("cpu"), `reason` builds the text when first needed.
 */
export function failWith(ctx: PodContext, plugin: string, key: string, unresolvable: boolean, reason: () => string): FilterVerdict {
  return ctx.cycle.verdict(plugin, key, unresolvable, reason);
}

/**
 * What an engine gives the plugins it builds: storage that lives as long as the engine and is shared
 * by the plugins that ask for the same key (the pod-curve scratch that ComplementaryPeak,
 * CombinedPeakFit, BatchCapacityFit and WindowSurvival use), and stable ids for objects that appear
 * in signatures (a level's capacity model).
 */
export interface PluginHandle {
  shared<T>(key: StateKey<T>, make: () => T): T;
  /** A small integer per object, stable for the engine's life (0 for undefined). */
  idOf(object: object | undefined): number;
}

/** One problem with a plugin's args: where inside the args block (["cpu"]), and what is wrong. */
export interface ArgsIssue {
  path: (string | number)[];
  message: string;
}

interface DefinitionBase<A> {
  readonly name: string;
  /** One line for `--help`-style listings and the README. */
  readonly description: string;
  /** The args a policy gets when it names none. */
  readonly defaults: A;
  /** The fields of mapping args (any other is an error: registry.ts argsIssues). */
  readonly fields?: readonly string[];
  /** The problems with user-given args (a parsed YAML/JSON value) besides unknown fields, [] when valid. */
  readonly validate?: (args: unknown) => ArgsIssue[];
}

export interface FilterDefinition<A = unknown> extends DefinitionBase<A> {
  readonly kind: 'filter';
  readonly create: (args: A, handle: PluginHandle) => FilterPlugin;
}

export interface ScoreDefinition<A = unknown, P = any> extends DefinitionBase<A> {
  readonly kind: 'score';
  /** Which classes' weights may name it (TidalConfig scoreWeights.online / .batch). */
  readonly classes: readonly ('online' | 'batch')[];
  readonly create: (args: A, handle: PluginHandle) => ScorePlugin<P>;
}

export type PluginDefinition = FilterDefinition<any> | ScoreDefinition<any>;

/** A definition for a plugin without args and without per-engine state. */
export function statelessFilter(name: string, description: string, plugin: FilterPlugin): FilterDefinition<null> {
  return { kind: 'filter', name, description, defaults: null, create: () => plugin };
}

export function statelessScore<P>(name: string, description: string, classes: readonly ('online' | 'batch')[], plugin: ScorePlugin<P>): ScoreDefinition<null, P> {
  return { kind: 'score', name, description, classes, defaults: null, create: () => plugin };
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
