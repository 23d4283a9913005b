// Failure dominance within one scheduling pass. A pod that fit on no node (the attempt scanned every
// node) tells us that any pod asking at least as much, under at least as strict a span, cannot fit
// either in this pass: it is parked without an attempt. kube-scheduler tries every pod; this is the
// same outcome for less work, as long as the pass does not free capacity (placements only take it).

import { spanEndOf, type SimPod } from './sim-pod.ts';

type Cls = 'online' | 'batch';

interface Failed {
  cls: Cls;
  app: string;
  cpu: number;
  memory: number;
  /** 0 when the pod needed capacity now only; else the end of the span it needed it over. */
  spanEnd: number;
}

/** The pods that failed this pass, kept minimal (a Pareto frontier: entries another implies are dropped). */
export class FailedShapes {
  readonly #frontier: Failed[] = [];
  /** Bumped by add(): a shape not dominated at one version may be at the next. */
  #version = 0;

  /**
   * Whether a pod that failed implies that `p` fails too. The verdict is the same for every pod of a
   * queue shape (shapeKeyOf holds every input of implies()) and kept on the pod's shape bucket: once
   * dominated a shape stays so for the pass (an entry is only dropped for one that implies it, and
   * implication is transitive); not dominated, until the next add().
   */
  dominates(p: SimPod, now: number): boolean {
    const b = p.bucket;
    if (b === undefined || !b.live) return this.#dominates(p, now);
    if (b.memoOf === this && (b.memoDominated || b.memoVersion === this.#version)) return b.memoDominated;
    const r = this.#dominates(p, now);
    b.memoOf = this;
    b.memoVersion = this.#version;
    b.memoDominated = r;
    return r;
  }

  #dominates(p: SimPod, now: number): boolean {
    const span = spanEndOf(p, now);
    const cls = classOf(p);
    for (const f of this.#frontier) if (implies(f, cls, p.spec.app, p.cpu, p.memory, span)) return true;
    return false;
  }

  /** `p` fit nowhere. */
  add(p: SimPod, now: number): void {
    const f: Failed = { cls: classOf(p), app: p.spec.app, cpu: p.spec.requests.cpu, memory: p.spec.requests.memory, spanEnd: spanEndOf(p, now) };
    const failed = this.#frontier;
    for (let i = failed.length - 1; i >= 0; i--) {
      const g = failed[i]!;
      if (implies(f, g.cls, g.app, g.cpu, g.memory, g.spanEnd)) failed.splice(i, 1);
    }
    failed.push(f);
    this.#version++;
  }
}

/** Online and system pods are judged alike here (the online side of the node). */
const classOf = (p: SimPod): Cls => (p.cls === 'batch' ? 'batch' : 'online');

/**
 * Whether failure of f implies failure of a pod asking (cls, app, cpu, memory, spanEnd): it asks at
 * least as much; a batch pod over a span that ends no earlier (a span-free failure implies every span);
 * an online pod of the same app (per-app limits such as stacking differ between apps).
 */
function implies(f: Failed, cls: Cls, app: string, cpu: number, memory: number, spanEnd: number): boolean {
  if (f.cls !== cls || cpu < f.cpu || memory < f.memory) return false;
  if (cls === 'batch') return f.spanEnd === 0 || (spanEnd !== 0 && spanEnd >= f.spanEnd);
  return f.app === app;
}
