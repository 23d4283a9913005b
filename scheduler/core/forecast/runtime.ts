// How long a batch pod will run when it does not declare it: learned from completed pods of the same
// job (its controlling owner, else its app), else a configured default.
//
//   estimate(pod) = the mean runtime of the owner's completed pods (at least one seen), else default
//
// A completed pod is one the state removed while it ran and was not being evicted (removePod with
// the time it ended: ClusterState.completePod). The learned figure is the plain mean of the owner's
// last `keep` completions; keys beyond maxKeys are dropped least recently completed first. The default
// (DEFAULT_RUNTIME_ESTIMATE_MS, 1 h, about twice the median runtime of the shipped synthetic batch
// and the order of a typical Spark/Flink batch task) is documented in the ForecastCapacity plugin.

import { LRUCache } from 'lru-cache';
import type { PodInfo } from '../model.ts';

export const DEFAULT_RUNTIME_ESTIMATE_MS = 3_600_000;

/** The key a pod's runtime is learned under: namespace/owner kind/owner name, else namespace/app. */
export function runtimeKey(p: Pick<PodInfo, 'namespace' | 'ownerKind' | 'ownerName' | 'app'>): string {
  return p.ownerName ? `${p.namespace}/${p.ownerKind}/${p.ownerName}` : `${p.namespace}/app/${p.app}`;
}

class Track {
  readonly ms: number[] = [];
  sum = 0;
}

export class RuntimeEstimates {
  readonly keep: number;
  readonly #tracks: LRUCache<string, Track>;
  /** Bumped on every learned completion (signatures of verdicts that depend on an estimate). */
  version = 0;

  constructor(keep = 20, maxKeys = 50_000) {
    this.keep = keep;
    this.#tracks = new LRUCache({ max: maxKeys });
  }

  /** A pod of `key` ran for `ms` and completed. */
  observe(key: string, ms: number): void {
    if (!(ms > 0) || !Number.isFinite(ms)) return;
    let t = this.#tracks.get(key);
    if (!t) this.#tracks.set(key, (t = new Track()));
    t.ms.push(ms);
    t.sum += ms;
    if (t.ms.length > this.keep) t.sum -= t.ms.shift()!;
    this.version++;
  }

  /** The learned runtime of `key` (ms), or null when none of its pods has completed. */
  learned(key: string): number | null {
    const t = this.#tracks.peek(key);
    return t && t.ms.length > 0 ? t.sum / t.ms.length : null;
  }

  /** The pod's runtime: declared, else learned for its owner, else `defaultMs`. */
  runtimeOf(p: PodInfo, defaultMs: number): { ms: number; source: 'declared' | 'learned' | 'default' } {
    if (p.expectedRuntimeMs > 0) return { ms: p.expectedRuntimeMs, source: 'declared' };
    const l = this.learned(runtimeKey(p));
    return l !== null ? { ms: l, source: 'learned' } : { ms: defaultMs, source: 'default' };
  }

  get size(): number {
    return this.#tracks.size;
  }
}
