// Where the extender's and the descheduler's cluster state comes from: a live cluster (informers
// and metrics.k8s.io, through a kubeconfig) or a static snapshot file (--state). Shared by both
// commands so that they read the cluster the same way.

import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Clock } from '../core/clock.ts';
import type { PolicyConfig } from '../core/config.ts';
import type { ClusterState } from '../core/state.ts';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import { loadSnapshotFile, StaticStateSource } from '../kube/snapshot.ts';
import type { StateSource } from '../kube/source.ts';
import { ClusterWatcher, kubeInformers, kubeMetrics } from '../kube/watcher.ts';

export interface SourceOptions {
  /** Snapshot file instead of a cluster. */
  stateFile?: string;
  kubeconfig?: string;
  state: ClusterState;
  clock: Clock;
  policy: PolicyConfig;
  metricsIntervalMs: number;
  log: Logger;
  registry: Registry;
}

export function openStateSource(o: SourceOptions): { source: StateSource; kubeConfig: KubeConfig | null } {
  if (o.stateFile) {
    const summary = loadSnapshotFile(o.stateFile, o.state, {
      clock: o.clock,
      classification: o.policy.classification,
      file: o.stateFile,
      onIssue: (i) => o.log.warn({ object: i.object, field: i.field }, `cannot read ${i.field}: ${i.message}`),
    });
    o.log.info({ file: o.stateFile, ...summary }, 'loaded cluster snapshot');
    return { source: new StaticStateSource(o.state, { clock: o.clock, refreshMs: o.metricsIntervalMs, description: `snapshot ${o.stateFile}` }), kubeConfig: null };
  }
  // Throws, naming where it looked, when there is no kubeconfig: never a silent localhost:8080.
  const { kubeConfig: kc, source: from } = loadKubeConfig(o.kubeconfig);
  o.log.info({ server: kc.getCurrentCluster()!.server, context: kc.getCurrentContext(), kubeconfig: from }, 'watching cluster');
  const source = new ClusterWatcher({
    state: o.state,
    clock: o.clock,
    classification: o.policy.classification,
    informers: kubeInformers(kc),
    metrics: kubeMetrics(kc),
    metricsIntervalMs: o.metricsIntervalMs,
    log: o.log,
    registry: o.registry,
  });
  return { source, kubeConfig: kc };
}
