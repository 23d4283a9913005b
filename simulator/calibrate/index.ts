// Calibration: does the simulator place pods where a real cluster did? The input is a trace recorded
// from the cluster (`tidal trace record`, pods pinned to the node each was bound to, arrivals in
// creation order). For each policy, every recorded arrival is decided by the policy's core as the
// simulator would (PolicyEngine.place, kube-scheduler-like random tie-breaking), on the cluster as it
// was just before that pod: earlier pods sit where the cluster put them, so one early difference does
// not cascade into every later decision. Then the pod is bound where the cluster bound it.
//
// A decision agrees when the policy picked the recorded node, or a node of the same score class: the
// recorded node passes the policy's filters and the policy's weighted score (the core's own model of
// kube-scheduler's plugins, e.g. LeastAllocated for kube-default) gives it the same top score as the
// node picked. Among equal top scores kube-scheduler chooses at random, so "same node" alone would
// measure luck, not the model.
//
// The order: `tidal trace record` writes the arrivals in the order kube-scheduler bound them (its
// Scheduled events, scheduledAt), which is the order it decided them in, and they are decided in that
// order. Except among interchangeable pods (one owner, one shape: a Job's burst) created within a
// second: kube-scheduler binds them concurrently, so their events may come in another order than their
// scheduling cycles (measured: a train pod's event 8 ms before that of the one decided ahead of it);
// and they differ only in where each went. They are decided as a group, in an order
// that explains the recording: next is the first pod, in trace order, whose recorded node the policy
// scores among its top scores on the cluster as it is, else the first left. A wrong model still
// disagrees on every pod whose recorded node is not on top in any order.
//
// Traces without scheduledAt (the events expired, or recorded before trace record read them) know only
// creationTimestamp, of second resolution: kube-scheduler's queue takes pods of equal priority in the
// order it learnt of them, which no field of a pod keeps (a Job's pods are created concurrently with
// random names; a Deployment's next replica and a Job created in the same second sort by name). Then
// all the arrivals with the same createdAt, of any shape, are decided as one such group. That inference
// can pick a wrong order across shapes (e.g. a Deployment's first replica before the Job burst created
// just ahead of it, in name order), which scheduledAt avoids. Without createdAt (traces not recorded by
// `tidal trace record`), pods are decided one by one in trace order.

import { PolicyEngine } from '../../scheduler/core/engine.ts';
import type { Profile } from '../../scheduler/core/profile.ts';
import { ClusterState } from '../../scheduler/core/state.ts';
import { ProfileTimeline } from '../../scheduler/core/timeline.ts';
import { newSimPod } from '../engine/sim-pod.ts';
import type { SimPolicy } from '../policies/index.ts';
import type { Trace, TracePod } from '../traces/events.ts';

export type Outcome = 'same-node' | 'same-score' | 'different' | 'recorded-infeasible' | 'simulator-pending' | 'both-pending' | 'cluster-pending';

export interface PodDecision {
  uid: string;
  /** namespace/name */
  pod: string;
  class: 'online' | 'batch';
  /** The node the cluster bound the pod to ("" when it was pending in the recording). */
  recorded: string;
  /** The node the policy picked ("" when it found none). */
  placed: string;
  /** The policy's weighted scores (0..100) of the two nodes; NaN where a node is absent or filtered out. */
  recordedScore: number;
  placedScore: number;
  /** Why the recorded node was refused by the policy's filters, when it was. */
  recordedRefusal: string;
  outcome: Outcome;
}

export interface PolicyCalibration {
  policy: string;
  decisions: PodDecision[];
  counts: Record<Outcome, number>;
  /** (same-node + same-score + both-pending) / decisions: the share of pods placed where the cluster did. */
  agreement: number;
}

export interface CalibrateInput {
  trace: Trace;
  profile: Profile;
  policies: readonly SimPolicy[];
  /** Seed of the random tie-breaker (EngineOptions.tieSeed). */
  seed?: number;
  /** kube-scheduler's percentageOfNodesToScore (0: adaptive, as kube-scheduler). */
  percentageOfNodesToScore?: number;
}

/** Scores equal to this are one score class (the core's weighted sums are floating point). */
const SCORE_EPSILON = 1e-9;

export async function calibrate(input: CalibrateInput): Promise<PolicyCalibration[]> {
  const runs = input.policies.map((policy) => new Run(policy, input.profile, input.seed ?? 1, input.percentageOfNodesToScore ?? 0));
  let pinned = 0;
  let seq = 0;
  let group: TracePod[] = [];
  let groupTime = 0;
  const flush = () => {
    if (group.length === 0) return;
    for (const r of runs) r.decideGroup(group, seq, groupTime);
    seq += group.length;
    group = [];
  };
  for await (const e of input.trace.events()) {
    if (e.type === 'pod-arrival') {
      if (e.pod.nodeName) pinned++;
      if (group.length > 0 && !(e.time === groupTime && sameGroup(group[0]!, e.pod))) flush();
      group.push(e.pod);
      groupTime = e.time;
      continue;
    }
    flush();
    switch (e.type) {
      case 'node-add':
        for (const r of runs) r.state.upsertNode(e.node, e.time);
        break;
      case 'node-remove':
        for (const r of runs) r.state.removeNode(e.name);
        break;
      case 'pod-end':
        for (const r of runs) r.state.removePod(e.uid);
        break;
      case 'pod-usage':
        for (const r of runs) r.state.recordPodUsage(e.uid, { cpu: e.cpu, memory: e.memory });
        break;
      default:
        break;
    }
  }
  flush();
  if (seq > 0 && pinned === 0) throw new Error('calibrate: no pod in the trace says where it was bound (record it with `tidal trace record`, without --no-pin)');
  return runs.map((r) => r.result());
}

class Run {
  readonly state: ClusterState;
  readonly #engine: PolicyEngine;
  readonly #policy: SimPolicy;
  readonly #pct: number;
  readonly #decisions: PodDecision[] = [];

  constructor(policy: SimPolicy, profile: Profile, seed: number, pct: number) {
    this.#policy = policy;
    this.#pct = pct;
    this.state = new ClusterState(policy.config.usage);
    const args = policy.pluginArgs?.(profile);
    const config = args ? { ...policy.config, pluginArgs: { ...policy.config.pluginArgs, ...args } } : policy.config;
    const timeline = new ProfileTimeline(policy.profileFor(profile));
    this.#engine = new PolicyEngine({ config, state: this.state, profile: timeline, definitions: policy.definitions, tieBreak: 'random', tieSeed: seed });
  }

  /**
   * Decides a group of pods whose order is not known (one pod: the group of one; see sameGroup), in an
   * order that explains the recording (see the file comment): next is the first pod, in trace order,
   * whose recorded node is among the policy's top scores on the cluster as it is (else the first left).
   */
  decideGroup(tps: readonly TracePod[], seq: number, now: number): void {
    const left = [...tps];
    while (left.length > 0) {
      let at = 0;
      if (left.length > 1) {
        const k = left.findIndex((tp) => this.#onTop(tp, seq, now));
        if (k >= 0) at = k;
      }
      this.#decide(left.splice(at, 1)[0]!, seq++, now);
    }
  }

  /** Whether the policy puts the pod's recorded node among its top scores now (pending: no node passes). */
  #onTop(tp: TracePod, seq: number, now: number): boolean {
    const spec = newSimPod(tp, seq, this.#policy.config, now).spec;
    const ctx = this.#engine.context(spec, now);
    const filtered = this.#engine.filter(ctx, null);
    if (!tp.nodeName) return filtered.feasible.length === 0;
    const k = filtered.feasible.findIndex((f) => f.name === tp.nodeName);
    if (k < 0) return false;
    const scores = this.#engine.score(ctx, filtered.feasible);
    let max = -Infinity;
    for (const x of scores) if (x > max) max = x;
    return Math.abs(scores[k]! - max) <= SCORE_EPSILON;
  }

  #decide(tp: TracePod, seq: number, now: number): void {
    const spec = newSimPod(tp, seq, this.#policy.config, now).spec;
    const recorded = tp.nodeName ?? '';
    const res = this.#engine.place(spec, now, this.#pct);
    const placed = res.node?.name ?? '';
    // Scores over every feasible node, as one scheduling cycle sees them (some plugins normalise over the set).
    const ctx = this.#engine.context(spec, now);
    const filtered = this.#engine.filter(ctx, null);
    const scores = this.#engine.score(ctx, filtered.feasible);
    const scoreOf = (n: string) => {
      const k = filtered.feasible.findIndex((f) => f.name === n);
      return k < 0 ? NaN : scores[k]!;
    };
    const recordedScore = scoreOf(recorded);
    const placedScore = scoreOf(placed);
    const recordedRefusal = !recorded || !Number.isNaN(recordedScore) ? '' : !this.state.nodes.has(recorded) ? 'node not in the trace' : (filtered.failed.get(recorded) ?? filtered.unresolvable.get(recorded) ?? 'refused');
    let outcome: Outcome;
    if (!recorded) outcome = placed ? 'cluster-pending' : 'both-pending';
    else if (!placed) outcome = 'simulator-pending';
    else if (placed === recorded) outcome = 'same-node';
    else if (recordedRefusal) outcome = 'recorded-infeasible';
    else if (Math.abs(recordedScore - placedScore) <= SCORE_EPSILON) outcome = 'same-score';
    else outcome = 'different';
    this.#decisions.push({ uid: tp.uid, pod: `${tp.namespace}/${tp.name}`, class: tp.class, recorded, placed, recordedScore, placedScore, recordedRefusal, outcome });
    // The cluster's choice stands: the next decision starts from the cluster as it was.
    if (recorded) this.state.upsertPod({ ...spec, nodeName: recorded, startedAt: now }, now);
  }

  result(): PolicyCalibration {
    const counts: Record<Outcome, number> = { 'same-node': 0, 'same-score': 0, different: 0, 'recorded-infeasible': 0, 'simulator-pending': 0, 'both-pending': 0, 'cluster-pending': 0 };
    for (const d of this.#decisions) counts[d.outcome]++;
    const n = this.#decisions.length;
    const agree = counts['same-node'] + counts['same-score'] + counts['both-pending'];
    return { policy: this.#policy.name, decisions: this.#decisions, counts, agreement: n === 0 ? 1 : agree / n };
  }
}

/**
 * Whether b is decided in one group with a (the group's first), whose order is inferred (see the file
 * comment). Where the recording says when kube-scheduler bound both: interchangeable (one owner and
 * shape) and created within a second of each other (a burst; creationTimestamp's seconds may differ
 * across it). Else: created in the same second. Never without createdAt.
 */
export function sameGroup(a: TracePod, b: TracePod): boolean {
  if (a.createdAt === undefined || b.createdAt === undefined) return false;
  if (a.scheduledAt === undefined || b.scheduledAt === undefined) return a.createdAt === b.createdAt;
  return Math.abs(b.createdAt - a.createdAt) <= 1000 && a.namespace === b.namespace && a.class === b.class && a.app === b.app && a.job === b.job && a.priority === b.priority && a.requests.cpu === b.requests.cpu && a.requests.memory === b.requests.memory;
}

/** A node's class in the confusion summary: its shape (allocatable) and zone. */
function nodeClass(state: Map<string, { cpu: number; memory: number; zone: string }>, name: string): string {
  if (!name) return '(pending)';
  const s = state.get(name);
  if (!s) return name;
  return `${s.cpu / 1000}c/${Math.round(s.memory / 2 ** 30)}Gi${s.zone ? `@${s.zone}` : ''}`;
}

/** Nodes' shapes from the trace, for the confusion summary. */
export async function nodeShapes(trace: Trace): Promise<Map<string, { cpu: number; memory: number; zone: string }>> {
  const out = new Map<string, { cpu: number; memory: number; zone: string }>();
  for await (const e of trace.events()) if (e.type === 'node-add') out.set(e.node.name, { cpu: e.node.allocatable.cpu, memory: e.node.allocatable.memory, zone: e.node.zone });
  return out;
}

/**
 * The calibration as text: per policy the share that agrees and the counts by outcome; on mismatch a
 * confusion summary (recorded node class -> simulated node class, with counts) and a few examples.
 */
export function formatCalibration(results: readonly PolicyCalibration[], shapes: Map<string, { cpu: number; memory: number; zone: string }>, examples = 5): string {
  const lines: string[] = [];
  const fmt = (x: number) => (Number.isNaN(x) ? '-' : x.toFixed(2));
  for (const r of results) {
    const n = r.decisions.length;
    const c = r.counts;
    lines.push(`${r.policy}: ${(r.agreement * 100).toFixed(1)}% of ${n} pods agree (same node ${c['same-node']}, same score class ${c['same-score']}, both pending ${c['both-pending']})`);
    const bad = r.decisions.filter((d) => d.outcome !== 'same-node' && d.outcome !== 'same-score' && d.outcome !== 'both-pending');
    if (bad.length === 0) continue;
    lines.push(`  mismatches: different score ${c.different}, recorded node refused by the policy ${c['recorded-infeasible']}, pending only in the simulator ${c['simulator-pending']}, pending only in the cluster ${c['cluster-pending']}`);
    const confusion = new Map<string, number>();
    for (const d of bad) {
      const key = `${d.outcome}: ${nodeClass(shapes, d.recorded)} -> ${nodeClass(shapes, d.placed)}`;
      confusion.set(key, (confusion.get(key) ?? 0) + 1);
    }
    lines.push('  confusion (outcome: recorded node class -> simulated node class: pods):');
    for (const [k, v] of [...confusion].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) lines.push(`    ${k}: ${v}`);
    lines.push('  examples:');
    for (const d of bad.slice(0, examples)) {
      const why = d.recordedRefusal ? ` (refused: ${d.recordedRefusal})` : '';
      lines.push(`    ${d.pod} [${d.class}] recorded ${d.recorded || '-'} score ${fmt(d.recordedScore)}, simulated ${d.placed || '-'} score ${fmt(d.placedScore)}${why}`);
    }
  }
  return lines.join('\n');
}
