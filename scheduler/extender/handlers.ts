// The extender's verbs over the policy engine, free of HTTP: filter, prioritize and preempt take
// validated wire arguments (wire.ts) and return wire answers; bind (bind.ts) creates the Binding. server.ts puts them behind express; the
// benchmark calls them in process.
//
// Each call converts the pod once, asks the engine once (context + verdicts, or context + scoreNames:
// the engine's array fast paths, aligned with the request's names) and builds the answer. The server
// sends filterJson/prioritizeJson, which write the wire JSON directly (no per-node objects, no
// serialisation of a 5000-key map); filter/prioritize give the same answer as objects.

import type { Logger } from 'pino';
import pino from 'pino';
import { realClock, type Clock } from '../core/clock.ts';
import type { PolicyEngine } from '../core/engine.ts';
import type { FilterVerdict } from '../core/framework.ts';
import type { PodInfo, WorkloadClass } from '../core/model.ts';
import { selectVictims, type PreemptionCandidate } from '../core/preemption.ts';
import { podFromKube, type ConvertIssue } from '../kube/convert.ts';
import type { StateSource } from '../kube/source.ts';
import { Binder } from './bind.ts';
import { ExtenderMetrics } from './metrics.ts';
import { toExtenderScore } from '../core/config.ts';
import {
  type ExtenderArgs,
  type ExtenderBindingArgs,
  type ExtenderBindingResult,
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
/** Every node's refusal while the state is not synced and the class fails closed (resolvable: it is a wait). */
const NOT_SYNCED: FilterVerdict = { plugin: 'NotSynced', reason: 'cluster state not synced yet', unresolvable: false, message: NOT_SYNCED_REASON };
const NO_FAILURES: Record<string, number> = Object.freeze({}) as Record<string, number>;

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
  /** The bind verb; without one, bind answers that there is no cluster to bind in. */
  binder?: Binder;
}


export class ExtenderHandlers {
  readonly engine: PolicyEngine;
  readonly source: StateSource;
  readonly clock: Clock;
  readonly notReady: NotReadyPolicy;
  readonly overloaded: OverloadPolicy;
  readonly metrics: ExtenderMetrics;
  readonly log: Logger;
  readonly binder: Binder;

  constructor(opts: HandlerOptions) {
    if (opts.engine.state !== opts.source.state) throw new Error('the engine must read the state source\'s state');
    this.engine = opts.engine;
    this.source = opts.source;
    this.clock = opts.clock ?? realClock;
    this.notReady = { ...DEFAULT_NOT_READY, ...opts.whenNotReady };
    this.overloaded = { ...DEFAULT_OVERLOAD, ...opts.whenOverloaded };
    this.metrics = opts.metrics ?? new ExtenderMetrics();
    this.log = opts.log ?? pino({ level: 'silent' });
    this.binder = opts.binder ?? new Binder({ state: opts.engine.state, client: null, assumed: null, metrics: this.metrics, log: this.log });
  }

  /** The core's view of a wire pod; unreadable fields fall back to defaults and are counted. */
  pod(wire: ExtenderArgs['Pod']): PodInfo {
    return podFromKube(wire, { classification: this.engine.config.classification, onIssue: (i) => this.#issue(i) });
  }

  /** The filter answer as an object (tests, the demo); the server sends filterJson's text instead. */
  filter(args: ExtenderArgs): ExtenderFilterResult {
    const d = this.#filter(args);
    const failed: FailedNodesMap = {};
    const unresolvable: FailedNodesMap = {};
    const passed: string[] = [];
    const items: WireNode[] = [];
    for (let k = 0; k < d.names.length; k++) {
      const r = refusalAt(d, k);
      if (r === null) {
        if (d.items) items.push(d.items[k]!);
        else passed.push(d.names[k]!);
      } else defineKey(r.unresolvable ? unresolvable : failed, d.names[k]!, r.message);
    }
    return {
      NodeNames: d.items ? null : passed,
      Nodes: d.items ? { ...args.Nodes!, items } : null,
      FailedNodes: failed,
      FailedAndUnresolvableNodes: unresolvable,
      Error: '',
    };
  }

  /**
   * The filter answer as the JSON text filter() would serialise to, written directly: no per-node
   * objects, node names quoted once, each distinct reason quoted once.
   */
  filterJson(args: ExtenderArgs): string {
    const d = this.#filter(args);
    const n = d.names.length;
    // Passing names (or items) go through the native serialiser as one array; refusals are written
    // as "name":"reason" pairs, each distinct reason quoted once.
    const passed: unknown[] = [];
    let failed = '';
    let unresolvable = '';
    let last: FilterVerdict | null = null;
    let lastQuoted = '';
    for (let k = 0; k < n; k++) {
      const r = refusalAt(d, k);
      if (r === null) {
        passed.push(d.items ? d.items[k] : d.names[k]);
        continue;
      }
      if (r !== last) {
        last = r;
        lastQuoted = JSON.stringify(r.message);
      }
      const entry = `${quote(d.names[k]!)}:${lastQuoted}`;
      if (r.unresolvable) unresolvable = unresolvable === '' ? entry : `${unresolvable},${entry}`;
      else failed = failed === '' ? entry : `${failed},${entry}`;
    }
    const list = JSON.stringify(passed.length === n && !d.items ? d.names : passed);
    let nodes = 'null';
    if (d.items) {
      // The input NodeList with only the passing items (its other fields as sent).
      const { items: _items, ...rest } = args.Nodes!;
      const head = JSON.stringify(rest);
      nodes = head === '{}' ? `{"items":${list}}` : `${head.slice(0, -1)},"items":${list}}`;
    }
    return `{"NodeNames":${d.items ? 'null' : list},"Nodes":${nodes},"FailedNodes":{${failed}},"FailedAndUnresolvableNodes":{${unresolvable}},"Error":""}`;
  }

  /** One filter decision: per node null (passes) or a reason; counted in metrics and logged. */
  #filter(args: ExtenderArgs): FilterDecision {
    const started = performance.now();
    const pod = this.pod(args.Pod);
    this.binder.remember(pod);
    const items: readonly WireNode[] | null = args.NodeNames !== null ? null : (args.Nodes!.items ?? []);
    const names: readonly string[] = items === null ? args.NodeNames! : nodeNames(items);

    if (!this.source.isSynced()) {
      const mode = this.notReady[pod.class];
      this.metrics.notReady.inc({ verb: 'filter', class: pod.class, mode });
      const pass = mode === 'open';
      this.#logDecision('filter', pod, names.length, pass ? names.length : 0, pass ? {} : { NotSynced: names.length }, started);
      this.binder.afterFilter(pod.uid, pass ? names.length : 0);
      return { names, items, refusals: null, pass };
    }

    const v = this.engine.verdicts(this.engine.context(pod, this.clock.now()), names);
    if (v.passed > 0) this.metrics.decisions.inc({ class: pod.class, result: 'passed', plugin: 'none' }, v.passed);
    const byPlugin = v.passed < names.length ? this.#countRefusals(pod, v.refusals) : NO_FAILURES;
    this.#logDecision('filter', pod, names.length, v.passed, byPlugin, started);
    this.binder.afterFilter(pod.uid, v.passed);
    return { names, items, refusals: v.refusals, pass: true };
  }

  /**
   * Counts refusals per distinct verdict (the engine hands out one object per distinct reason, and
   * neighbours usually share it), then per plugin and result (the verdict says which plugin refused
   * and whether evicting could help) in the decisions metric; returns the count per plugin.
   */
  #countRefusals(pod: PodInfo, refusals: ReadonlyArray<FilterVerdict | null>): Map<string, number> {
    const byVerdict = new Map<FilterVerdict, number>();
    let last: FilterVerdict | null = null;
    let run = 0;
    for (let k = 0; k < refusals.length; k++) {
      const r = refusals[k]!;
      if (r === null) continue;
      if (r === last) {
        run++;
        continue;
      }
      if (last !== null) byVerdict.set(last, (byVerdict.get(last) ?? 0) + run);
      last = r;
      run = 1;
    }
    if (last !== null) byVerdict.set(last, (byVerdict.get(last) ?? 0) + run);
    const byPlugin = new Map<string, number>();
    const byResult = new Map<string, { plugin: string; result: 'failed' | 'unresolvable'; count: number }>();
    byVerdict.forEach((count, r) => {
      byPlugin.set(r.plugin, (byPlugin.get(r.plugin) ?? 0) + count);
      const result = r.unresolvable ? 'unresolvable' : 'failed';
      const key = `${r.plugin}/${result}`;
      const e = byResult.get(key);
      if (e) e.count += count;
      else byResult.set(key, { plugin: r.plugin, result, count });
    });
    byResult.forEach((e) => this.metrics.decisions.inc({ class: pod.class, result: e.result, plugin: e.plugin }, e.count));
    return byPlugin;
  }

  /** The prioritize answer as an object (tests, the demo); the server sends prioritizeJson's text. */
  prioritize(args: ExtenderArgs): HostPriorityList {
    const d = this.#prioritize(args);
    const result: HostPriorityList = new Array(d.names.length);
    for (let k = 0; k < d.names.length; k++) result[k] = { Host: d.names[k]!, Score: d.scores ? toExtenderScore(d.scores[k]!) : 0 };
    return result;
  }

  /** The prioritize answer as JSON text, written directly. */
  prioritizeJson(args: ExtenderArgs): string {
    const d = this.#prioritize(args);
    let out = '';
    for (let k = 0; k < d.names.length; k++) {
      const entry = `{"Host":${quote(d.names[k]!)},"Score":${d.scores ? toExtenderScore(d.scores[k]!) : 0}}`;
      out = k === 0 ? entry : `${out},${entry}`;
    }
    return `[${out}]`;
  }

  #prioritize(args: ExtenderArgs): { names: readonly string[]; scores: Float64Array | null } {
    const started = performance.now();
    const pod = this.pod(args.Pod);
    const names: readonly string[] = args.NodeNames !== null ? args.NodeNames : nodeNames(args.Nodes!.items ?? []);
    if (!this.source.isSynced()) {
      this.metrics.notReady.inc({ verb: 'prioritize', class: pod.class, mode: this.notReady[pod.class] });
      this.#logDecision('prioritize', pod, names.length, names.length, {}, started);
      return { names, scores: null };
    }
    const scores = names.length > 0 ? this.engine.scoreNames(this.engine.context(pod, this.clock.now()), names) : null;
    this.#logDecision('prioritize', pod, names.length, names.length, {}, started);
    return { names, scores };
  }

  /** The bind verb: creates the Binding and counts the pod on its node at once (bind.ts). */
  bind(args: ExtenderBindingArgs): Promise<ExtenderBindingResult> {
    return this.binder.bind(args);
  }

  preempt(args: ExtenderPreemptionArgs): ExtenderPreemptionResult {
    const started = performance.now();
    const pod = this.pod(args.Pod);
    const answer: Record<string, MetaVictims> = Object.create(null); // a node named __proto__ stays a key
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
  degradedFilter(args: ExtenderArgs, pod: PodInfo = this.pod(args.Pod)): ExtenderFilterResult {
    const cacheMode = args.NodeNames !== null;
    const items: readonly WireNode[] = cacheMode ? [] : (args.Nodes!.items ?? []);
    const pass = this.overloaded[pod.class] === 'open';
    this.binder.afterFilter(pod.uid, pass ? (cacheMode ? args.NodeNames!.length : items.length) : 0);
    const unresolvable: FailedNodesMap = {};
    if (!pass) {
      if (cacheMode) for (const n of args.NodeNames!) defineKey(unresolvable, n, OVERLOADED_REASON);
      else for (const n of items) defineKey(unresolvable, n.metadata!.name!, OVERLOADED_REASON);
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

  #issue(i: ConvertIssue): void {
    const m = /annotations\[([^\]]+)\]/.exec(i.field);
    this.metrics.podIssues.inc({ field: m ? m[1]! : 'pod-resources' });
    this.log.warn({ object: i.object, field: i.field }, `cannot read ${i.field}: ${i.message}`);
  }

  #logDecision(verb: string, pod: PodInfo, nodesIn: number, passed: number, failed: Map<string, number> | Record<string, number>, started: number): void {
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

interface FilterDecision {
  names: readonly string[];
  /** The request's NodeList items (nodeCacheCapable false), aligned with names; null with NodeNames. */
  items: readonly WireNode[] | null;
  /** Per node: null passes, else the refusing verdict; null before the state synced (then `pass` says all or none). */
  refusals: ReadonlyArray<FilterVerdict | null> | null;
  pass: boolean;
}

/** Node k's refusal in a filter decision: null when it passes. */
function refusalAt(d: FilterDecision, k: number): FilterVerdict | null {
  return d.refusals === null ? (d.pass ? null : NOT_SYNCED) : d.refusals[k]!;
}

function nodeNames(items: readonly WireNode[]): string[] {
  const names = new Array<string>(items.length);
  for (let i = 0; i < items.length; i++) names[i] = items[i]!.metadata!.name!;
  return names;
}

/** Kubernetes node names are DNS subdomains: those need no escaping in JSON. */
const PLAIN_NAME = /^[a-z0-9][a-z0-9.-]*$/;

/** A JSON string literal for a node name. */
function quote(name: string): string {
  return PLAIN_NAME.test(name) ? `"${name}"` : JSON.stringify(name);
}

/** Sets an own key, even "__proto__" (plain assignment would change the object's prototype). */
function defineKey(o: Record<string, string>, k: string, v: string): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/** Engine score 0..100 -> extender score 0..10 (the core's: the simulator models the wire with the same function). */
export { toExtenderScore } from '../core/config.ts';
