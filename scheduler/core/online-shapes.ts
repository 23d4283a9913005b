// The online pods' request shapes the state holds (bound or pending), counted per distinct shape, so
// that "the largest online shape" (OnlineShapeRoom) is one read per decision instead of a walk over
// every pod. Distinct shapes are few (a deployment's replicas share one), so losing the largest
// shape's last pod rescans the shapes, not the pods.

import type { Resources } from './model.ts';

interface ShapeCount {
  readonly cpu: number;
  readonly memory: number;
  n: number;
}

export class OnlineShapes {
  readonly #counts = new Map<string, ShapeCount>();
  /** The largest shape by CPU, then memory; null when it must be found again (or none is held). */
  #largest: ShapeCount | null = null;

  add(r: Resources): void {
    const key = `${r.cpu}/${r.memory}`;
    let c = this.#counts.get(key);
    if (c === undefined) this.#counts.set(key, (c = { cpu: r.cpu, memory: r.memory, n: 0 }));
    c.n++;
    const l = this.#largest;
    if (l !== null && larger(c, l)) this.#largest = c;
    else if (l === null && this.#counts.size === 1) this.#largest = c;
  }

  remove(r: Resources): void {
    const key = `${r.cpu}/${r.memory}`;
    const c = this.#counts.get(key);
    if (c === undefined) return;
    if (--c.n > 0) return;
    this.#counts.delete(key);
    if (this.#largest === c) this.#largest = null;
  }

  /** The largest shape held, by CPU then memory ({0, 0} when none). */
  largest(): Resources {
    let l = this.#largest;
    if (l === null) {
      for (const c of this.#counts.values()) if (l === null || larger(c, l)) l = c;
      this.#largest = l;
    }
    return l === null ? { cpu: 0, memory: 0 } : { cpu: l.cpu, memory: l.memory };
  }
}

function larger(a: Resources, b: Resources): boolean {
  return a.cpu > b.cpu || (a.cpu === b.cpu && a.memory > b.memory);
}
