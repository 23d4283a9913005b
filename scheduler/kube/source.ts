// Where a front end's ClusterState comes from: the live cluster (watcher.ts) or a static snapshot
// (snapshot.ts). The extender and the descheduler only need the state and whether it can be trusted.

import type { ClusterState } from '../core/state.ts';

export interface Readiness {
  ready: boolean;
  /** Why not ready (or "synced"), phrased for /readyz and for the extender's not-ready answers. */
  reason: string;
  /** Per-informer and metrics details for /readyz and logs. */
  details: Record<string, unknown>;
}

export interface StateSource {
  readonly state: ClusterState;
  /** True once every initial list has been loaded into the state. */
  isSynced(): boolean;
  /** Resolves once synced; rejects with the readiness reason after timeoutMs. */
  waitForSync(timeoutMs: number): Promise<void>;
  readiness(): Readiness;
  start(): Promise<void>;
  stop(): Promise<void>;
}
