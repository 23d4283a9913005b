// The scheduling queue, as kube-scheduler's PriorityQueue behaves:
//  - activeQ: pods to try in the next scheduling pass, by priority, then arrival;
//  - unschedulablePods: pods a pass could not place. They wait for a cluster event that may make them
//    schedulable (queueing hints: a node that freed capacity or changed) or for the periodic flush,
//    kube-scheduler's podMaxInUnschedulablePodsDuration (5 minutes; simulation.ts calls
//    flushUnschedulable on SimOptions.retryIntervalMs).
// kube-scheduler's backoffQ is not modelled apart: hints are judged at most every hintIntervalMs, and
// a requeued pod would wait out up to 10 s of backoff there anyway.

import type { PolicyEngine } from '../../scheduler/core/engine.ts';
import type { PodInfo } from '../../scheduler/core/model.ts';
import { spanEndOf, type SimPod } from './sim-pod.ts';

export class SchedulingQueue {
  readonly #engine: PolicyEngine;
  readonly #hintIntervalMs: number;
  /** activeQ, in arrival order until a pass sorts it. */
  readonly #active: SimPod[] = [];
  #unschedulable: SimPod[] = [];
  /**
   * Nodes where capacity was freed (or that changed) since unschedulable pods were last looked at:
   * only pods that would pass the filters on one of them go back to the active queue; the others wait
   * for the periodic flush.
   */
  readonly #changed = new Set<string>();
  #lastHint = -Infinity;

  constructor(engine: PolicyEngine, hintIntervalMs: number) {
    this.#engine = engine;
    this.#hintIntervalMs = hintIntervalMs;
  }

  /** A pod becomes pending (arrival, recreation): it is tried in the next pass. */
  add(p: SimPod): void {
    this.#active.push(p);
  }

  /** A pass could not place the pod: it waits for a hint or the flush. */
  park(p: SimPod): void {
    this.#unschedulable.push(p);
  }

  /** A cluster event on the node (a pod left, the node joined or changed, its online usage fell). */
  nodeChanged(name: string): void {
    this.#changed.add(name);
  }

  /** Moves every unschedulable pod back to the active queue (the periodic flush). */
  flushUnschedulable(): void {
    this.#changed.clear();
    if (this.#unschedulable.length === 0) return;
    for (const p of this.#unschedulable) this.#active.push(p);
    this.#unschedulable = [];
  }

  /**
   * Queueing hints: an unschedulable pod goes back to the active queue only when it would now pass the
   * filters on a node that changed since it failed (as kube-scheduler's NodeResourcesFit hint asks
   * whether a deleted pod's room makes the pod fit). At most once per hintIntervalMs: kube-scheduler
   * backs a requeued pod off for up to 10 s anyway. Pods of one shape are judged once.
   */
  requeueHinted(now: number): void {
    if (this.#changed.size === 0 || now - this.#lastHint < this.#hintIntervalMs) return;
    this.#lastHint = now;
    const rows = this.#engine.state.rows;
    const names: string[] = [];
    for (const n of this.#changed) if (rows.has(n)) names.push(n);
    this.#changed.clear();
    if (names.length === 0 || this.#unschedulable.length === 0) return;
    // Pods are judged by the engine's filter signature (the same key its equivalence cache uses), found
    // once per shape of pod: the shape memo saves building a context for every waiting pod.
    const byShape = new Map<string, boolean>();
    const bySignature = new Map<string, boolean>();
    const keep: SimPod[] = [];
    for (const p of this.#unschedulable) {
      const shape = (p.shapeKey ??= shapeKeyOf(p));
      let fits = byShape.get(shape);
      if (fits === undefined) {
        const ctx = this.#engine.context(p.spec, now);
        const sig = this.#engine.filterSignature(ctx);
        fits = sig === null ? undefined : bySignature.get(sig);
        if (fits === undefined) {
          fits = this.#engine.verdicts(ctx, names).passed > 0;
          if (sig !== null) bySignature.set(sig, fits);
        }
        byShape.set(shape, fits);
      }
      (fits ? this.#active : keep).push(p);
    }
    this.#unschedulable = keep;
  }

  /** Empties the active queue into the order a pass tries it: priority, then arrival. */
  takeActive(): SimPod[] {
    return this.#active.splice(0).sort((a, b) => b.spec.priority - a.spec.priority || a.seq - b.seq);
  }

  get activeCount(): number {
    return this.#active.length;
  }

  /** Queued entries, including pods that ended while queued and are dropped when next looked at. */
  get size(): number {
    return this.#active.length + this.#unschedulable.length;
  }

  /** A pending pod left (it ended): a linear search, as most pods end running. */
  remove(p: SimPod): void {
    const i = this.#active.indexOf(p);
    if (i >= 0) this.#active.splice(i, 1);
    const j = this.#unschedulable.indexOf(p);
    if (j >= 0) this.#unschedulable.splice(j, 1);
  }

  /** Pods of a class waiting to be placed (active queue first, then the unschedulable ones). */
  pending(cls: PodInfo['class']): PodInfo[] {
    const out: PodInfo[] = [];
    for (const p of this.#active) if (!p.gone && p.spec.class === cls) out.push(p.spec);
    for (const p of this.#unschedulable) if (!p.gone && p.spec.class === cls) out.push(p.spec);
    return out;
  }

  /** Pending pods that are still there, batch and the rest. */
  countPending(): { batch: number; other: number } {
    const out = { batch: 0, other: 0 };
    for (const list of [this.#active, this.#unschedulable]) {
      for (const p of list) {
        if (p.gone) continue;
        if (p.spec.class === 'batch') out.batch++;
        else out.other++;
      }
    }
    return out;
  }
}

/**
 * A memo key for the hint pass: pods with equal keys have equal inputs to every filter at one instant
 * (class, app, requests, priority, checkpointing and declared runtime; a waiting pod has not started,
 * so its remaining runtime is its whole runtime, as the engine computes it), hence the same engine
 * filter signature. It only saves building a context per waiting pod; the verdict is shared by the
 * engine's signature (PolicyEngine.filterSignature).
 */
export function shapeKeyOf(p: SimPod): string {
  const s = p.spec;
  return `${s.class}|${s.app}|${s.requests.cpu}|${s.requests.memory}|${s.priority}|${s.checkpointable}|${spanEndOf(p, 0)}`;
}
