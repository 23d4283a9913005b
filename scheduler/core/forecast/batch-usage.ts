// How much CPU a batch pod will use, learned per job (its controlling owner, else its app, as the
// runtimes are: runtime.ts runtimeKey) from the usage that metrics report for its running pods:
//
//   ratio(owner)  = the highest CPU usage / CPU request seen among the owner's running pods
//   cpuOf(pod)    = pod's CPU request x ratio(owner), or its request while the owner has no sample
//
// Why: batch CPU is compressible and the lowest tier (cpu.shares of the besteffort cgroup or cpu.idle,
// simulator/node/README.md), so committing a batch pod's CPU at what it uses rather than at what it
// asks for overcommits only batch's own requests; the online side keeps its forecast upper band. A
// job whose pods use 70% of their CPU request leaves the other 30% idle if committed at requests:
// Katalyst's util-based headroom and Koordinator's batch allocatable both hand that back. Memory is
// never committed below requests (not compressible: an OOM kill loses the work).
//
// The highest ratio seen is kept, not the latest: a pod throttled on a busy node reports less than
// it would use, and a ramping job (JVM start-up) reports less at first; the highest only rises, so a
// commitment can grow (a pod found to use more) but never shrinks because of throttling. A zero
// reading (no sample since the pod started) teaches nothing.

import type { PodInfo } from '../model.ts';
import { RecentMap } from '../recent-map.ts';
import { ChangeLog, JobKeys, type Stamped } from './runtime.ts';

interface Ratio extends Stamped {
  ratio: number;
}

export class BatchUsageEstimates {
  readonly keys: JobKeys;
  readonly #ratios: RecentMap<string, Ratio>;
  readonly #log = new ChangeLog();

  constructor(maxKeys = 50_000, keys = new JobKeys()) {
    this.keys = keys;
    this.#ratios = new RecentMap(maxKeys, () => this.#log.evicted());
  }

  /** Bumped whenever an owner's ratio rises or an owner is dropped (commitments made from the older ratios are stale). */
  get version(): number {
    return this.#log.version;
  }

  /** A running batch pod used `cpu` (millicores) at a sample. */
  observe(p: PodInfo, cpu: number): void {
    if (!(cpu > 0) || !(p.requests.cpu > 0) || !Number.isFinite(cpu)) return;
    const r = cpu / p.requests.cpu;
    const key = this.keys.of(p);
    const t = this.#ratios.get(key);
    // A new key's version comes before the one of the key its setting may drop.
    if (!t) this.#ratios.set(key, { ratio: r, stamp: this.#log.changed(key) });
    else if (r > t.ratio) {
      t.ratio = r;
      t.stamp = this.#log.changed(key);
    }
  }

  /** Whether the ratio of any of `keys` (JobKeys) may have changed since `version` was `since`. */
  changedSince(keys: readonly string[], since: number): boolean {
    return this.#log.changedSince(this.#ratios, keys, since);
  }

  /** The learned usage / request ratio of the pod's owner, or null before any sample. */
  ratioOf(p: PodInfo): number | null {
    return this.#ratios.peek(this.keys.of(p))?.ratio ?? null;
  }

  /** The CPU (millicores) the pod is expected to use: request x the owner's ratio, else its request. */
  cpuOf(p: PodInfo): number {
    const r = this.ratioOf(p);
    return r === null ? p.requests.cpu : p.requests.cpu * r;
  }

  get size(): number {
    return this.#ratios.size;
  }
}
