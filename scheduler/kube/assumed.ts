// Assumed pods: pods the extender has bound (its bind verb) before its informers have seen the
// binding. kube-scheduler schedules the next pod without waiting for the previous binding to be
// written and watched back, so without this a burst of pods would all be admitted against the same
// free capacity. As kube-scheduler's own cache does, the pod counts on its node from the moment the
// binding is under way; the informer's later update confirms it, a failed binding undoes it, and an
// assumption the informer never confirms expires.
//
// The state keeps one PodInfo per UID. While a pod is assumed, informer updates that still show it
// unbound (a status update written before the binding, say) do not undo the assumption: they replace
// the copy to restore if the assumption is dropped, and the state keeps the pod on the assumed node.

import type { Clock } from '../core/clock.ts';
import type { PodInfo } from '../core/model.ts';
import type { ClusterState } from '../core/state.ts';

/** How long an assumption lives without the informer confirming it (after the binding call ended). */
export const DEFAULT_ASSUME_TTL_MS = 30_000;

/** How an assumption ended: the informer saw the pod bound (confirmed), the binding failed (forgotten), the informer never confirmed it (expired), the pod was deleted (removed). */
export type AssumeOutcome = 'confirmed' | 'forgotten' | 'expired' | 'removed';

interface Entry {
  uid: string;
  node: string;
  /** The pod as it was before the assumption (or as the informer last delivered it unbound); null when the state did not know it. */
  observed: PodInfo | null;
  /** ms: after this the assumption expires (assume time + TTL, refreshed when the binding call ends). */
  deadline: number;
  /** The binding call succeeded. */
  bound: boolean;
}

export interface AssumedPodsOptions {
  state: ClusterState;
  clock: Clock;
  /** Default DEFAULT_ASSUME_TTL_MS. */
  ttlMs?: number;
  /** How often start()'s timer looks for expired assumptions; default 1 s. */
  sweepMs?: number;
}

export class AssumedPods {
  readonly state: ClusterState;
  readonly clock: Clock;
  #ttlMs: number;
  readonly #sweepMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #listeners: Array<(outcome: AssumeOutcome, pod: { uid: string; node: string; bound: boolean }) => void> = [];
  #timer: NodeJS.Timeout | null = null;

  constructor(o: AssumedPodsOptions) {
    this.state = o.state;
    this.clock = o.clock;
    this.#ttlMs = DEFAULT_ASSUME_TTL_MS;
    this.ttlMs = o.ttlMs ?? DEFAULT_ASSUME_TTL_MS;
    this.#sweepMs = o.sweepMs ?? 1000;
  }

  /** How long an assumption lives without the informer confirming it (applies to assumptions made or refreshed from now on). */
  get ttlMs(): number {
    return this.#ttlMs;
  }

  set ttlMs(ms: number) {
    if (!(ms > 0) || !Number.isFinite(ms)) throw new Error(`assumed pod TTL must be a positive duration (got ${ms} ms)`);
    this.#ttlMs = ms;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(uid: string): boolean {
    return this.#entries.has(uid);
  }

  /** The node a pod is assumed on, if it is. */
  nodeOf(uid: string): string | undefined {
    return this.#entries.get(uid)?.node;
  }

  /** Called whenever an assumption ends. */
  onOutcome(fn: (outcome: AssumeOutcome, pod: { uid: string; node: string; bound: boolean }) => void): void {
    this.#listeners.push(fn);
  }

  /**
   * Records `pod` as bound to `node` in the state now. `pod` is the unbound pod (from the state, or
   * from the request kube-scheduler filtered when the informer has not delivered it yet).
   */
  assume(pod: PodInfo, node: string): void {
    const now = this.clock.now();
    const existing = this.#entries.get(pod.uid);
    const inState = this.state.pods.get(pod.uid);
    const observed = existing ? existing.observed : (inState ?? null);
    this.#entries.set(pod.uid, { uid: pod.uid, node, observed, deadline: now + this.ttlMs, bound: false });
    this.state.upsertPod({ ...(observed ?? pod), nodeName: node }, now);
  }

  /** The binding call succeeded: the assumption now waits for the informer, at most the TTL. */
  finishBinding(uid: string): void {
    const e = this.#entries.get(uid);
    if (!e) return; // the informer confirmed it first
    e.bound = true;
    e.deadline = this.clock.now() + this.ttlMs;
  }

  /** The binding failed: the pod goes back to what it was before the assumption. */
  forget(uid: string): void {
    this.#drop(uid, 'forgotten');
  }

  /**
   * Informer hook, for every pod add or update: returns the spec the state must hold. A pod the
   * informer shows bound ends its assumption (wherever it was bound: the API is the truth); one it
   * still shows unbound stays on its assumed node.
   */
  observe(spec: PodInfo): PodInfo {
    const e = this.#entries.get(spec.uid);
    if (!e) return spec;
    if (spec.nodeName) {
      this.#entries.delete(spec.uid);
      this.#emit('confirmed', e);
      return spec;
    }
    e.observed = spec;
    return { ...spec, nodeName: e.node };
  }

  /** Informer hook, for every pod deletion (before the state drops the pod). */
  observeRemoved(uid: string): void {
    const e = this.#entries.get(uid);
    if (!e) return;
    this.#entries.delete(uid);
    this.#emit('removed', e);
  }

  /** Drops assumptions past their deadline; returns how many. */
  expire(now = this.clock.now()): number {
    let n = 0;
    for (const e of [...this.#entries.values()]) {
      if (e.deadline <= now) {
        this.#drop(e.uid, 'expired');
        n++;
      }
    }
    return n;
  }

  /** Sweeps expired assumptions every second or so (the timer does not keep the process alive). */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.expire(), this.#sweepMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  #drop(uid: string, outcome: AssumeOutcome): void {
    const e = this.#entries.get(uid);
    if (!e) return;
    this.#entries.delete(uid);
    const now = this.clock.now();
    if (e.observed) this.state.upsertPod(e.observed, now);
    else this.state.removePod(uid);
    this.#emit(outcome, e);
  }

  #emit(outcome: AssumeOutcome, e: Entry): void {
    for (const fn of this.#listeners) fn(outcome, { uid: e.uid, node: e.node, bound: e.bound });
  }
}
