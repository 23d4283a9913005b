// The extender's three verbs over the policy engine, free of HTTP: filter, prioritize and preempt take
// validated wire arguments (wire.ts) and return wire answers. server.ts puts them behind express; the
// benchmark calls them in process.
//
// Each call converts the pod once, asks the engine once (context + filter, or context + score) and
// builds the answer; per node it only looks names up and writes the answer.

import type { Logger } from 'pino';
import pino from 'pino';
import { realClock, type Clock } from '../core/clock.ts';
import type { PolicyEngine } from '../core/engine.ts';
import type { PodSpec, WorkloadClass } from '../core/model.ts';
import { selectVictims, type PreemptionCandidate } from '../core/preemption.ts';
import type { NodeState } from '../core/state.ts';
import { podFromKube, type ConvertIssue } from '../kube/convert.ts';
import type { StateSource } from '../kube/source.ts';
import { ExtenderMetrics } from './metrics.ts';
import {
  MAX_EXTENDER_PRIORITY,
  type ExtenderArgs,
  type ExtenderFilterResult,
  type ExtenderPreemptionArgs,
  type ExtenderPreemptionResult,
  type FailedNodesMap,
  type HostPriorityList,
  type MetaVictims,
  type WireNode,
} from './wire.ts';

export type NotReadyMode = 'open' | 'closed';

/** What to answer before the cluster state has synced: pass every node (open) or none (closed). */
export type NotReadyPolicy = Record<WorkloadClass, NotReadyMode>;

export const DEFAULT_NOT_READY: NotReadyPolicy = { online: 'open', batch: 'closed', system: 'open' };

export const NOT_SYNCED_REASON = 'tidal: cluster state not synced yet';

/** What to answer when a decision would leave the decision budget (see deadline.ts); default as when not ready. */
export type OverloadPolicy = Record<WorkloadClass, NotReadyMode>;

export const DEFAULT_OVERLOAD: OverloadPolicy = { online: 'open', batch: 'closed', system: 'open' };

/**
 * The reason a closed class gets for every node when the extender is overloaded. Constant (the
 * figures go to the log and metrics) so that kube-scheduler's FailedScheduling event groups it.
 * Unresolvable: preemption would only add load and could not make the extender faster.
 */
export const OVERLOADED_REASON = 'tidal: extender overloaded, placement deferred (decision budget exceeded); retried in a later scheduling cycle';

export interface HandlerOptions {
  engine: PolicyEngine;
  /** Readiness of the state the engine reads (engine.state must be source.state). */
  source: StateSource;
  clock?: Clock;
  whenNotReady?: Partial<NotReadyPolicy>;
  /** Answers when over the decision budget; default online open, batch closed, system open. */
  whenOverloaded?: Partial<OverloadPolicy>;
  log?: Logger;
  metrics?: ExtenderMetrics;
}

const UNKNOWN_NODE = 'UnknownNode';

export class ExtenderHandlers {
  readonly engine: PolicyEngine;
  readonly source: StateSource;
  readonly clock: Clock;
  readonly notReady: NotReadyPolicy;
  readonly overloaded: OverloadPolicy;
  readonly metrics: ExtenderMetrics;
  readonly log: Logger;
  /** "tidal/<Plugin>:" prefixes of the engine's filter reasons, to count failures by plugin without parsing. */
  readonly #prefixes: Array<{ prefix: string; plugin: string }>;
  /** Plugins whose refusals are FailedAndUnresolvableNodes. */
  readonly #unresolvable: Set<string>;

  constructor(opts: HandlerOptions) {
    if (opts.engine.state !== opts.source.state) throw new Error('the engine must read the state source\'s state');
    this.engine = opts.engine;
    this.source = opts.source;
    this.clock = opts.clock ?? realClock;
    this.notReady = { ...DEFAULT_NOT_READY, ...opts.whenNotReady };
    this.overloaded = { ...DEFAULT_OVERLOAD, ...opts.whenOverloaded };
    this.metrics = opts.metrics ?? new ExtenderMetrics();
    this.log = opts.log ?? pino({ level: 'silent' });
    this.#prefixes = opts.engine.filters.map((f) => ({ prefix: `tidal/${f.name}:`, plugin: f.name }));
    this.#unresolvable = new Set([UNKNOWN_NODE, ...opts.engine.filters.filter((f) => f.unresolvable).map((f) => f.name)]);
  }

  /** The core's view of a wire pod; unreadable fields fall back to defaults and are counted. */
  pod(wire: ExtenderArgs['Pod']): PodSpec {
    return podFromKube(wire, { classification: this.engine.config.classification, onIssue: (i) => this.#issue(i) });
  }

  filter(args: ExtenderArgs): ExtenderFilterResult {
    const started = performance.now();
    const pod = this.pod(args.Pod);
    const cacheMode = args.NodeNames !== null;
    const items: readonly WireNode[] = cacheMode ? [] : (args.Nodes!.items ?? []);
    const names: readonly string[] = cacheMode ? args.NodeNames! : items.map((n) => n.metadata!.name!);

    if (!this.source.isSynced()) {
      const mode = this.notReady[pod.class];
      this.metrics.notReady.inc({ verb: 'filter', class: pod.class, mode });
      const failed: FailedNodesMap = {};
      if (mode === 'closed') for (const n of names) failed[n] = NOT_SYNCED_REASON;
      const pass = mode === 'open';
      this.#logDecision('filter', pod, names.length, pass ? names.length : 0, pass ? {} : { NotSynced: names.length }, started);
      return {
        NodeNames: cacheMode ? (pass ? [...names] : []) : null,
        Nodes: cacheMode ? null : { ...args.Nodes!, items: pass ? [...items] : [] },
        FailedNodes: failed,
        FailedAndUnresolvableNodes: {},
        Error: '',
      };
    }

    const ctx = this.engine.context(pod, this.clock.now());
    const out = this.engine.filter(ctx, names);
    const failed: FailedNodesMap = {};
    const unresolvable: FailedNodesMap = {};
    const byPlugin = new Map<string, number>();
    out.failed.forEach((reason, node) => {
      failed[node] = reason;
      this.#countReason(byPlugin, reason);
    });
    out.unresolvable.forEach((reason, node) => {
      unresolvable[node] = reason;
      this.#countReason(byPlugin, reason);
    });
    this.metrics.decisions.inc({ class: pod.class, result: 'passed', plugin: 'none' }, out.feasible.length);
    byPlugin.forEach((n, plugin) => this.metrics.decisions.inc({ class: pod.class, result: this.#unresolvable.has(plugin) ? 'unresolvable' : 'failed', plugin }, n));
    let result: ExtenderFilterResult;
    if (cacheMode) {
      const passed = new Array<string>(out.feasible.length);
      for (let i = 0; i < out.feasible.length; i++) passed[i] = out.feasible[i]!.name;
      result = { NodeNames: passed, Nodes: null, FailedNodes: failed, FailedAndUnresolvableNodes: unresolvable, Error: '' };
    } else {
      const passed: WireNode[] = [];
      for (let i = 0; i < items.length; i++) {
        const name = names[i]!;
        if (!out.failed.has(name) && !out.unresolvable.has(name)) passed.push(items[i]!);
      }
      result = { NodeNames: null, Nodes: { ...args.Nodes!, items: passed }, FailedNodes: failed, FailedAndUnresolvableNodes: unresolvable, Error: '' };
    }
    this.#logDecision('filter', pod, names.length, out.feasible.length, byPlugin, started);
    return result;
  }

  prioritize(args: ExtenderArgs): HostPriorityList {
    const started = performance.now();
    const pod = this.pod(args.Pod);
    const cacheMode = args.NodeNames !== null;
    const items = cacheMode ? [] : (args.Nodes!.items ?? []);
    const n = cacheMode ? args.NodeNames!.length : items.length;
    const nameAt = cacheMode ? (i: number) => args.NodeNames![i]! : (i: number) => items[i]!.metadata!.name!;
    const result: HostPriorityList = new Array(n);
    if (!this.source.isSynced()) {
      this.metrics.notReady.inc({ verb: 'prioritize', class: pod.class, mode: this.notReady[pod.class] });
      for (let i = 0; i < n; i++) result[i] = { Host: nameAt(i), Score: 0 };
      this.#logDecision('prioritize', pod, n, n, {}, started);
      return result;
    }
    const nodes = this.engine.state.nodes;
    const known: NodeState[] = [];
    for (let i = 0; i < n; i++) {
      const node = nodes.get(nameAt(i));
      if (node) known.push(node);
    }
    const scores = known.length > 0 ? this.engine.score(this.engine.context(pod, this.clock.now()), known) : new Float64Array(0);
    let k = 0;
    for (let i = 0; i < n; i++) {
      const name = nameAt(i);
      // `known` follows the input order, so the k-th known node is the next one that exists.
      const s = k < known.length && known[k]!.name === name ? scores[k++]! : 0;
      result[i] = { Host: name, Score: toExtenderScore(s) };
    }
    this.#logDecision('prioritize', pod, n, known.length, {}, started);
    return result;
  }

  preempt(args: ExtenderPreemptionArgs): ExtenderPreemptionResult {
    const started = performance.now();
    const pod = this.pod(args.Pod);
    const answer: Record<string, MetaVictims> = {};
    const candidates: PreemptionCandidate[] = [];
    if (args.NodeNameToMetaVictims) {
      for (const [nodeName, v] of Object.entries(args.NodeNameToMetaVictims)) {
        candidates.push({ nodeName, victims: (v?.Pods ?? []).map((p) => p.UID), numPdbViolations: v?.NumPDBViolations ?? 0 });
      }
    } else {
      for (const [nodeName, v] of Object.entries(args.NodeNameToVictims ?? {})) {
        candidates.push({ nodeName, victims: (v?.Pods ?? []).map((p) => p.metadata!.uid!), numPdbViolations: v?.NumPDBViolations ?? 0 });
      }
    }
    if (!this.source.isSynced()) {
      // Without the state Tidal cannot tell batch victims from online ones: no preemption until synced.
      this.metrics.notReady.inc({ verb: 'preempt', class: pod.class, mode: 'closed' });
      this.metrics.preemptNodes.inc({ result: 'dropped' }, candidates.length);
      this.#logDecision('preempt', pod, candidates.length, 0, { NotSynced: candidates.length }, started);
      return { NodeNameToMetaVictims: answer };
    }
    const chosen = selectVictims(this.engine.state, pod, candidates, this.clock.now());
    let victims = 0;
    for (const c of chosen) {
      // kube-scheduler rejects an answer that keeps a node without victims.
      if (c.victims.length === 0) continue;
      answer[c.nodeName] = { Pods: c.victims.map((uid) => ({ UID: uid })), NumPDBViolations: c.numPdbViolations };
      victims += c.victims.length;
    }
    const kept = Object.keys(answer).length;
    this.metrics.victims.inc({ class: pod.class }, victims);
    this.metrics.preemptNodes.inc({ result: 'kept' }, kept);
    this.metrics.preemptNodes.inc({ result: 'dropped' }, candidates.length - kept);
    this.#logDecision('preempt', pod, candidates.length, kept, { victims }, started);
    return { NodeNameToMetaVictims: answer };
  }

  /**
   * The filter answer without a decision, when the decision budget is exceeded: an open class passes
   * every node, a closed one fails every node with OVERLOADED_REASON. Costs one pass over the names.
   */
  degradedFilter(args: ExtenderArgs, pod: PodSpec = this.pod(args.Pod)): ExtenderFilterResult {
    const cacheMode = args.NodeNames !== null;
    const items: readonly WireNode[] = cacheMode ? [] : (args.Nodes!.items ?? []);
    const pass = this.overloaded[pod.class] === 'open';
    const unresolvable: FailedNodesMap = {};
    if (!pass) {
      if (cacheMode) for (const n of args.NodeNames!) unresolvable[n] = OVERLOADED_REASON;
      else for (const n of items) unresolvable[n.metadata!.name!] = OVERLOADED_REASON;
    }
    return {
      NodeNames: cacheMode ? (pass ? args.NodeNames!.slice() : []) : null,
      Nodes: cacheMode ? null : { ...args.Nodes!, items: pass ? items.slice() : [] },
      FailedNodes: {},
      FailedAndUnresolvableNodes: unresolvable,
      Error: '',
    };
  }

  /** Prioritize without a decision: every node scores 0, so Tidal leaves the choice to the other scores. */
  degradedPrioritize(args: ExtenderArgs): HostPriorityList {
    const cacheMode = args.NodeNames !== null;
    const items = cacheMode ? [] : (args.Nodes!.items ?? []);
    const n = cacheMode ? args.NodeNames!.length : items.length;
    const result: HostPriorityList = new Array(n);
    for (let i = 0; i < n; i++) result[i] = { Host: cacheMode ? args.NodeNames![i]! : items[i]!.metadata!.name!, Score: 0 };
    return result;
  }

  /** Preempt without a decision: no victims (Tidal cannot check they are batch without deciding). */
  degradedPreempt(): ExtenderPreemptionResult {
    return { NodeNameToMetaVictims: {} };
  }

  #countReason(byPlugin: Map<string, number>, reason: string): void {
    let plugin = UNKNOWN_NODE;
    for (const p of this.#prefixes) {
      if (reason.startsWith(p.prefix)) {
        plugin = p.plugin;
        break;
      }
    }
    byPlugin.set(plugin, (byPlugin.get(plugin) ?? 0) + 1);
  }

  #issue(i: ConvertIssue): void {
    const m = /annotations\[([^\]]+)\]/.exec(i.field);
    this.metrics.podIssues.inc({ field: m ? m[1]! : 'pod-resources' });
    this.log.warn({ object: i.object, field: i.field }, `cannot read ${i.field}: ${i.message}`);
  }

  #logDecision(verb: string, pod: PodSpec, nodesIn: number, passed: number, failed: Map<string, number> | Record<string, number>, started: number): void {
    if (!this.log.isLevelEnabled('debug')) return;
    this.log.debug(
      {
        verb,
        pod: `${pod.namespace}/${pod.name}`,
        class: pod.class,
        nodesIn,
        passed,
        failed: failed instanceof Map ? Object.fromEntries(failed) : failed,
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      },
      `${verb} ${pod.namespace}/${pod.name}`,
    );
  }
}

/** Engine score 0..100 -> extender score 0..10 (integer; the scheduler multiplies by weight * 10). */
export function toExtenderScore(s: number): number {
  if (!(s > 0)) return 0;
  const v = Math.round((s * MAX_EXTENDER_PRIORITY) / 100);
  return v > MAX_EXTENDER_PRIORITY ? MAX_EXTENDER_PRIORITY : v;
}
