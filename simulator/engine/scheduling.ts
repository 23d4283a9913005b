// One scheduling pass over the active queue, as kube-scheduler's scheduleOne loop would run it for
// each pod in turn: the core places the pod (PolicyEngine.place: filters, then scores); a pod that
// fits nowhere gets kube-scheduler's PostFilter, preemption (online and system pods only; the victims
// are the core's choice, planPreemption), and otherwise waits among the unschedulable pods.
// Two shortcuts keep a long backlog cheap without changing outcomes: a batch pod larger than what any
// node could give its class (what the policy's own filters admit at most) is parked untried, and so is
// a pod a failure of this pass dominates (dominance.ts). maxFailuresPerPass caps the attempts per
// class as a safety valve.

import type { PolicyEngine } from '../../scheduler/core/engine.ts';
import type { Resources } from '../../scheduler/core/model.ts';
import { planPreemption } from '../../scheduler/core/preemption.ts';
import { FailedShapes } from './dominance.ts';
import type { PodLifecycle } from './lifecycle.ts';
import type { SimOptions } from './options.ts';
import type { SchedulingQueue } from './queue.ts';
import type { SimPod } from './sim-pod.ts';
import type { RunTotals } from './totals.ts';

export class SchedulingCycle {
  readonly #engine: PolicyEngine;
  readonly #queue: SchedulingQueue;
  readonly #lifecycle: PodLifecycle;
  readonly #totals: RunTotals;
  readonly #opts: SimOptions;

  constructor(engine: PolicyEngine, queue: SchedulingQueue, lifecycle: PodLifecycle, totals: RunTotals, opts: SimOptions) {
    this.#engine = engine;
    this.#queue = queue;
    this.#lifecycle = lifecycle;
    this.#totals = totals;
    this.#opts = opts;
  }

  /** Requeues hinted pods, then tries every pod of the active queue once. */
  schedule(now: number): void {
    const queue = this.#queue;
    queue.requeueHinted(now);
    if (queue.activeCount === 0) return;
    const t0 = performance.now();
    const pods = queue.takeActive();
    const failures = { online: 0, batch: 0 };
    const failed = new FailedShapes();
    // What the policy's own filters could still admit for a batch pod on any node (PolicyEngine.freeBound,
    // computed once per pass; placements only lower it, so a stale bound prunes less but never wrongly).
    let bound: Resources | null = null;
    for (const p of pods) {
      if (p.gone) continue;
      const cls = p.cls === 'batch' ? 'batch' : 'online';
      if (cls === 'batch') bound ??= this.#engine.freeBound('batch', now);
      const hopeless = cls === 'batch' && (p.cpu > bound!.cpu || p.memory > bound!.memory);
      if (hopeless || failures[cls] >= this.#opts.maxFailuresPerPass || failed.dominates(p, now)) {
        queue.park(p);
        continue;
      }
      const res = this.#engine.place(p.spec, now, this.#opts.percentageOfNodesToScore);
      if (res.node) {
        this.#lifecycle.bind(p, res.node.name, now);
        continue;
      }
      this.#totals.failedAttempts++;
      if (cls === 'online' && this.#preempt(p, now)) continue;
      failures[cls]++;
      failed.add(p, now);
      queue.park(p);
    }
    this.#totals.placementMs += performance.now() - t0;
  }

  /** Evicts the victims the core chose and binds the pod there, if it then passes the filters. */
  #preempt(p: SimPod, now: number): boolean {
    const chosen = planPreemption(this.#engine, p.spec, now);
    if (!chosen) return false;
    for (const uid of chosen.victims) {
      const v = this.#lifecycle.pods.get(uid);
      if (v) this.#lifecycle.evict(v, now, 'preemption');
    }
    // The victims' requests are released at once in the simulation; check the pod now fits there.
    const again = this.#engine.filter(this.#engine.context(p.spec, now), [chosen.nodeName]);
    if (again.feasible.length === 0) return false;
    this.#lifecycle.bind(p, chosen.nodeName, now);
    this.#totals.onlinePreemptions++;
    return true;
  }
}
