// The scheduling queue, as kube-scheduler's PriorityQueue behaves:
//  - activeQ: pods to try in the next scheduling pass, by priority, then arrival;
//  - unschedulablePods: pods a pass could not place. They wait for a cluster event that may make them
//    schedulable (queueing hints: a node that freed capacity or changed) or for the periodic flush,
//    kube-scheduler's podMaxInUnschedulablePodsDuration (5 minutes; simulation.ts calls
//    flushUnschedulable on SimOptions.retryIntervalMs).
// kube-scheduler's backoffQ is not modelled apart: hints are judged at most every hintIntervalMs, and
// a requeued pod would wait out up to 10 s of backoff there anyway.

import type { PolicyEngine } from '../../scheduler/core/engine.ts';
import type { PodInfo, Resources } from '../../scheduler/core/model.ts';
import { spanEndOf, type SimPod } from './sim-pod.ts';

const byParkSeq = (a: SimPod, b: SimPod): number => a.parkSeq - b.parkSeq;

/**
 * Unschedulable pods of one shape (shapeKeyOf), in the order they were parked. A bucket outlives its
 * pods (the queue keeps it while pods of its shape keep coming back, and its pods hold it: parking a
 * pod again needs no lookup); an empty bucket is no part of the unschedulable pods.
 */
export interface ShapeBucket {
  readonly key: string;
  readonly cls: PodInfo['class'];
  /** The shape's requests (SimPod.cpu, memory). */
  readonly cpu: number;
  readonly memory: number;
  pods: SimPod[];
  /** False once the queue dropped the bucket (empty from one flush to the next): its pods look their shape up again. */
  live: boolean;
  /**
   * The scheduling pass's dominance verdict for the shape (dominance.ts FailedShapes): the pass's
   * failures (`memoOf`) and their version it was judged at. Every pod of a shape gets one verdict.
   */
  memoOf: object | null;
  memoVersion: number;
  memoDominated: boolean;
}

export class SchedulingQueue {
  readonly #engine: PolicyEngine;
  readonly #hintIntervalMs: number;
  /** activeQ, in arrival order until a pass sorts it. */
  readonly #active: SimPod[] = [];
  /**
   * unschedulablePods, indexed by shape (shapeKeyOf: pods of one shape get one verdict from a hint),
   * each bucket in park order; parkSeq orders pods across buckets, so that every reader sees them in
   * the one order they were parked in (hints keep the relative order of the pods they leave).
   */
  readonly #buckets = new Map<string, ShapeBucket>();
  #unschedulableCount = 0;
  #parkSeq = 0;
  /** Queued entries (active or unschedulable) per class: pending(cls) of an absent class is free. */
  readonly #perClass: Record<PodInfo['class'], number> = { online: 0, batch: 0, system: 0 };
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
    this.#perClass[p.cls]++;
  }

  /** A pass could not place the pod: it waits for a hint or the flush. */
  park(p: SimPod): void {
    // A pass takes its pods from the active queue: the pod returns to the queue here.
    this.#perClass[p.cls]++;
    let b = p.bucket;
    if (b === undefined || !b.live) {
      const key = (p.shapeKey ??= shapeKeyOf(p));
      b = this.#buckets.get(key);
      if (b === undefined) this.#buckets.set(key, (b = { key, cls: p.cls, cpu: p.cpu, memory: p.memory, pods: [], live: true, memoOf: null, memoVersion: -1, memoDominated: false }));
      p.bucket = b;
    }
    b.pods.push(p);
    p.parkSeq = this.#parkSeq++;
    this.#unschedulableCount++;
  }

  /** A cluster event on the node (a pod left, the node joined or changed, its online usage fell). */
  nodeChanged(name: string): void {
    this.#changed.add(name);
  }

  /** Moves every unschedulable pod back to the active queue (the periodic flush). */
  flushUnschedulable(): void {
    this.#changed.clear();
    // Buckets that stayed empty since the previous flush are dropped (their shape no longer comes back).
    const moving: ShapeBucket[] = [];
    for (const b of this.#buckets.values()) {
      if (b.pods.length > 0) moving.push(b);
      else {
        b.live = false;
        this.#buckets.delete(b.key);
      }
    }
    if (this.#unschedulableCount === 0) return;
    this.#moveToActive(moving);
    this.#unschedulableCount = 0;
  }

  /**
   * Appends the buckets' pods to the active queue in the order they were parked. Only pending()
   * reads the active queue's order (a pass sorts it by priority and arrival), so the appended run is
   * put in park order when pending() first needs it (#ordered).
   */
  #moveToActive(buckets: readonly ShapeBucket[]): void {
    const active = this.#active;
    const from = active.length;
    for (const b of buckets) {
      const pods = b.pods;
      for (let k = 0; k < pods.length; k++) active.push(pods[k]!);
      pods.length = 0;
    }
    if (buckets.length > 1) this.#unordered.push(from, active.length);
  }

  /** Runs [from, to) of the active queue still to be put in park order, as pairs. */
  readonly #unordered: number[] = [];

  /** Puts the active queue in the order the pods were added and moved (see #moveToActive). */
  #ordered(): SimPod[] {
    const active = this.#active;
    const u = this.#unordered;
    for (let k = 0; k < u.length; k += 2) {
      const run = active.slice(u[k]!, u[k + 1]!).sort(byParkSeq);
      for (let j = 0; j < run.length; j++) active[u[k]! + j] = run[j]!;
    }
    u.length = 0;
    return active;
  }

  /**
   * Queueing hints: an unschedulable pod goes back to the active queue only when it would now pass the
   * filters on a node that changed since it failed (as kube-scheduler's NodeResourcesFit hint asks
   * whether a deleted pod's room makes the pod fit). At most once per hintIntervalMs: kube-scheduler
   * backs a requeued pod off for up to 10 s anyway. Pods of one shape are judged once, by the first
   * of them: the pass visits shapes, not pods.
   */
  requeueHinted(now: number): void {
    if (this.#changed.size === 0 || now - this.#lastHint < this.#hintIntervalMs) return;
    this.#lastHint = now;
    const rows = this.#engine.state.rows;
    const names: string[] = [];
    const changedRows: number[] = [];
    for (const n of this.#changed) {
      const i = rows.get(n);
      if (i === undefined) continue;
      names.push(n);
      changedRows.push(i);
    }
    this.#changed.clear();
    if (names.length === 0 || this.#unschedulableCount === 0) return;
    // Pods are judged by the engine's filter signature (the same key its equivalence cache uses), found
    // once per shape of pod. A shape asking for more than its class's filters admit on any changed node
    // (PolicyEngine.freeBound over those nodes, once per class) is refused there without being judged.
    // The shape whose first pod was parked first is always judged first, so that the engine's
    // per-instant work (context: the curves synced to now) is done as before; the others in any order,
    // as a verdict does not depend on it and the moved pods go back in park order (#moveToActive).
    const bounds: Partial<Record<PodInfo['class'], Resources>> = {};
    const shapes: ShapeBucket[] = [];
    let first = 0;
    for (const b of this.#buckets.values()) {
      if (b.pods.length === 0) continue;
      if (shapes.length > 0 && b.pods[0]!.parkSeq < shapes[first]!.pods[0]!.parkSeq) first = shapes.length;
      shapes.push(b);
    }
    if (first > 0) [shapes[0], shapes[first]] = [shapes[first]!, shapes[0]!];
    // Filter signatures are found in a trie of their '#'-separated tokens (SigNode), the one node per
    // distinct prefix string filterSignature would build: no string of the whole prefix is built or
    // hashed per shape.
    const roots = new Map<string, SigNode>();
    // Prefixes (the class, then the first k + 1 active filters' signatures, as filterSignature joins
    // them) under which every changed node was refused by filter k (SigNode.refusedAt): a filter's
    // verdict on a node depends on the node and the filter's signature only, and the active filters of
    // a class are the same for every pod, so a shape with such a prefix is refused there too. A full
    // signature's verdict is kept on its node (SigNode.fits).
    const prefixes: SigNode[] = [];
    const moving: ShapeBucket[] = [];
    let judged = false;
    for (const b of shapes) {
      if (judged) {
        const bound = (bounds[b.cls] ??= this.#engine.freeBound(b.cls, now, changedRows));
        if (b.cpu > bound.cpu || b.memory > bound.memory) continue;
      }
      judged = true;
      const ctx = this.#engine.context(b.pods[0]!.spec, now);
      const filters = this.#engine.activeFilters(ctx);
      prefixes.length = 0;
      const cls = ctx.pod.class;
      let sig: SigNode | null = roots.get(cls) ?? null;
      if (sig === null) roots.set(cls, (sig = newSigNode()));
      let fits: boolean | undefined;
      for (let k = 0; k < filters.length; k++) {
        const f = filters[k]!;
        if (f.signature === undefined) {
          sig = null;
          break;
        }
        sig = descend(sig!, f.signature(ctx));
        prefixes.push(sig);
        if (sig.refusedAt !== null && sig.refusedAt.includes(k)) {
          fits = false;
          break;
        }
      }
      if (fits === undefined && sig !== null) fits = sig.fits;
      if (fits === undefined) {
        const v = this.#engine.refusals(ctx, filters, names);
        fits = v.passed > 0;
        if (sig !== null) {
          sig.fits = fits;
          if (!fits && v.last < prefixes.length) (prefixes[v.last]!.refusedAt ??= []).push(v.last);
        }
      }
      if (!fits) continue;
      moving.push(b);
      this.#unschedulableCount -= b.pods.length;
    }
    if (moving.length > 0) this.#moveToActive(moving);
  }

  /** Empties the active queue into the order a pass tries it: priority, then arrival. */
  takeActive(): SimPod[] {
    this.#unordered.length = 0;
    const pods = this.#active.splice(0).sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    for (const p of pods) this.#perClass[p.cls]--;
    return pods;
  }

  get activeCount(): number {
    return this.#active.length;
  }

  /** Queued entries, including pods that ended while queued and are dropped when next looked at. */
  get size(): number {
    return this.#active.length + this.#unschedulableCount;
  }

  /** A pending pod left (it ended): a linear search of the active queue and of the pod's shape. */
  remove(p: SimPod): void {
    const i = this.#ordered().indexOf(p);
    if (i >= 0) {
      this.#active.splice(i, 1);
      this.#perClass[p.cls]--;
    }
    const b = p.shapeKey === undefined ? undefined : this.#buckets.get(p.shapeKey);
    const j = b === undefined ? -1 : b.pods.indexOf(p);
    if (j >= 0) {
      b!.pods.splice(j, 1);
      this.#unschedulableCount--;
      this.#perClass[p.cls]--;
    }
  }

  /** Pods of a class waiting to be placed (active queue first, then the unschedulable ones in park order). */
  pending(cls: PodInfo['class']): PodInfo[] {
    const out: PodInfo[] = [];
    if (this.#perClass[cls] === 0) return out;
    for (const p of this.#ordered()) if (!p.gone && p.cls === cls) out.push(p.spec);
    const buckets: ShapeBucket[] = [];
    for (const b of this.#buckets.values()) if (b.cls === cls && b.pods.length > 0) buckets.push(b);
    let parked: SimPod[];
    if (buckets.length === 1) parked = buckets[0]!.pods;
    else {
      parked = [];
      for (const b of buckets) for (const p of b.pods) parked.push(p);
      parked.sort(byParkSeq);
    }
    for (const p of parked) if (!p.gone) out.push(p.spec);
    return out;
  }

  /** Pending pods that are still there, batch and the rest. */
  countPending(): { batch: number; other: number } {
    const out = { batch: 0, other: 0 };
    const count = (p: SimPod): void => {
      if (p.gone) return;
      if (p.cls === 'batch') out.batch++;
      else out.other++;
    };
    for (const p of this.#active) count(p);
    for (const b of this.#buckets.values()) for (const p of b.pods) count(p);
    return out;
  }
}

/** A prefix of filter signatures in the hint pass's trie (requeueHinted): its tokens are the path to it. */
interface SigNode {
  readonly next: Map<string, SigNode>;
  /** The filter indexes k at which this prefix ended filter k's signature and every changed node was refused by filter k. */
  refusedAt: number[] | null;
  /** The verdict for the pods whose whole filter signature this is. */
  fits: boolean | undefined;
}

const newSigNode = (): SigNode => ({ next: new Map(), refusedAt: null, fits: undefined });

/** The node `#piece` leads to from `node` (a piece with '#' in it spans several tokens, as in the joined string). */
function descend(node: SigNode, piece: string): SigNode {
  let from = 0;
  for (;;) {
    const cut = piece.indexOf('#', from);
    const token = cut < 0 ? (from === 0 ? piece : piece.slice(from)) : piece.slice(from, cut);
    let next = node.next.get(token);
    if (next === undefined) node.next.set(token, (next = newSigNode()));
    node = next;
    if (cut < 0) return node;
    from = cut + 1;
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
