// Where the extender's and the descheduler's cluster state comes from: a live cluster (informers
// and metrics.k8s.io, through a kubeconfig) or a static snapshot file (--state). Shared by both
// commands so that they read the cluster the same way.

import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Clock } from '../core/clock.ts';
import type { PolicyConfig } from '../core/config.ts';
import type { ClusterState } from '../core/state.ts';
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

/** Loads the kubeconfig given, or the default one (in-cluster, $KUBECONFIG, ~/.kube/config). */
export function loadKubeConfig(file: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (file) kc.loadFromFile(file);
    else kc.loadFromDefault();
  } catch (e) {
    // The first line only, control bytes masked: a garbage file must not be echoed to the terminal.
    const why = String((e as Error).message).split('\n')[0]!.replace(/[\u0000-\u001f\u007f-\u009f\ufffd]/g, '?');
    throw new Error(`${file ? `kubeconfig ${file}` : 'the default kubeconfig'}: cannot read it: ${why}`);
  }
  if (!kc.getCurrentCluster()) throw new Error(`no current cluster in ${file ? `kubeconfig ${file}` : 'the kubeconfig'} (use --kubeconfig, or --state FILE for a snapshot)`);
  return kc;
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
  const kc = loadKubeConfig(o.kubeconfig);
  o.log.info({ server: kc.getCurrentCluster()!.server, context: kc.getCurrentContext() }, 'watching cluster');
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
