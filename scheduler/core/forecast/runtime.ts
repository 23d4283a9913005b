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

import type { PodInfo } from '../model.ts';
import { RecentMap } from '../recent-map.ts';

export const DEFAULT_RUNTIME_ESTIMATE_MS = 3_600_000;

/** The key a pod's runtime is learned under: namespace/owner kind/owner name, else namespace/app. */
export function runtimeKey(p: Pick<PodInfo, 'namespace' | 'ownerKind' | 'ownerName' | 'app'>): string {
  return p.ownerName ? `${p.namespace}/${p.ownerKind}/${p.ownerName}` : `${p.namespace}/app/${p.app}`;
}

/**
 * Each pod's runtimeKey, built once per PodInfo object (a pod's owner and namespace never change; an
 * updated pod is a new object). Estimates are read per pod in every commitment, so building and
 * hashing a fresh key string each time cost more than the lookup itself.
 */
export class JobKeys {
  readonly #keys = new WeakMap<PodInfo, string>();

  of(p: PodInfo): string {
    let k = this.#keys.get(p);
    if (k === undefined) this.#keys.set(p, (k = runtimeKey(p)));
    return k;
  }
}

/**
 * The version of a learned store at which each key last changed, so that a reader of a few keys (a
 * node's commitments) can tell whether any of them changed since it read them without reading them
 * again. A key the LRU dropped has changed too (its estimate is gone): any eviction since counts as a
 * change of every key.
 */
export interface Stamped {
  stamp: number;
}

/** How many of a store's latest changes its ChangeLog remembers. */
const LOG_SIZE = 16;

/**
 * A learned store's versions: each is one key's change or one key dropped by the store's LRU (which
 * counts as a change of every key: its estimate is gone). It keeps which key each of the latest
 * LOG_SIZE versions changed, so that changedSince looks at the few keys that changed rather than
 * every key it was asked about: a replay checks a node's jobs on every filter call after any job in
 * the cluster completed, one or two changes against a node's tens of jobs.
 */
export class ChangeLog {
  /** The latest version (0: nothing learned yet). */
  version = 0;
  #evictedAt = -1;
  readonly #keys: (string | null)[] = new Array<string | null>(LOG_SIZE).fill(null);

  /** `key` changed: its new version (the key's stamp). */
  changed(key: string): number {
    const v = ++this.version;
    this.#keys[v % LOG_SIZE] = key;
    return v;
  }

  /** The store dropped a key. */
  evicted(): void {
    this.#evictedAt = ++this.version;
    this.#keys[this.version % LOG_SIZE] = null;
  }

  /** Whether any of `keys` changed since version `since`, their stamps kept in `cache`. */
  changedSince<T extends Stamped>(cache: RecentMap<string, T>, keys: readonly string[], since: number): boolean {
    const version = this.version;
    if (version === since) return false;
    if (this.#evictedAt > since) return true;
    const n = version - since;
    // The log remembers every version since, and reading it costs less than the keys' stamps.
    if (n <= LOG_SIZE && n <= keys.length) {
      for (let v = since + 1; v <= version; v++) {
        const k = this.#keys[v % LOG_SIZE]!;
        if (k === null || keys.includes(k)) return true;
      }
      return false;
    }
    for (let k = 0; k < keys.length; k++) {
      const t = cache.peek(keys[k]!);
      if (t !== undefined && t.stamp > since) return true;
    }
    return false;
  }
}

class Track implements Stamped {
  readonly ms: number[] = [];
  sum = 0;
  stamp = 0;
}

export class RuntimeEstimates {
  readonly keep: number;
  readonly keys: JobKeys;
  readonly #tracks: RecentMap<string, Track>;
  readonly #log = new ChangeLog();

  constructor(keep = 20, maxKeys = 50_000, keys = new JobKeys()) {
    this.keep = keep;
    this.keys = keys;
    this.#tracks = new RecentMap(maxKeys, () => this.#log.evicted());
  }

  /** Bumped on every learned completion and every key dropped (signatures of verdicts that depend on an estimate). */
  get version(): number {
    return this.#log.version;
  }

  /** A pod of `key` ran for `ms` and completed. */
  observe(key: string, ms: number): void {
    if (!(ms > 0) || !Number.isFinite(ms)) return;
    let t = this.#tracks.get(key);
    if (!t) this.#tracks.set(key, (t = new Track()));
    t.ms.push(ms);
    t.sum += ms;
    if (t.ms.length > this.keep) t.sum -= t.ms.shift()!;
    t.stamp = this.#log.changed(key);
  }

  /** Whether the estimate of any of `keys` may have changed since `version` was `since`. */
  changedSince(keys: readonly string[], since: number): boolean {
    return this.#log.changedSince(this.#tracks, keys, since);
  }

  /** The learned runtime of `key` (ms), or null when none of its pods has completed. */
  learned(key: string): number | null {
    const t = this.#tracks.peek(key);
    return t && t.ms.length > 0 ? t.sum / t.ms.length : null;
  }

  /** The pod's runtime: declared, else learned for its owner, else `defaultMs`. */
  runtimeOf(p: PodInfo, defaultMs: number): { ms: number; source: 'declared' | 'learned' | 'default' } {
    if (p.expectedRuntimeMs > 0) return { ms: p.expectedRuntimeMs, source: 'declared' };
    const l = this.learned(this.keys.of(p));
    return l !== null ? { ms: l, source: 'learned' } : { ms: defaultMs, source: 'default' };
  }

  get size(): number {
    return this.#tracks.size;
  }
}
